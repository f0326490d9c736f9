"""A tiny structural reading of report.html (stdlib HTMLParser): elements, ids, text per id."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"meta", "input", "br", "img", "link", "hr", "source", "area", "base", "col", "embed", "wbr"}
# Anything that would make the browser fetch from elsewhere.
EXTERNAL = re.compile(r"""(?:src|href|action|poster|srcset)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(""", re.I)


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.text_by_id: dict[str, list[str]] = {}
        self.attrs_by_id: dict[str, dict[str, str | None]] = {}
        self.stack: list[tuple[str, str | None]] = []
        self.unbalanced: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        eid = a.get("id")
        if eid:
            self.ids.append(eid)
            self.text_by_id[eid] = []
            self.attrs_by_id[eid] = a
        if tag not in VOID:
            self.stack.append((tag, eid))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            self.unbalanced.append(tag)
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for _, eid in self.stack:
            if eid:
                self.text_by_id[eid].append(data)

    def text(self, eid: str) -> str:
        return "".join(self.text_by_id[eid])

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)
