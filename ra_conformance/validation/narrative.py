"""Narrative.div (R4 txt-1, txt-2; http://hl7.org/fhir/R4/narrative.html#xhtml): well-formed XHTML whose
root is a ``div`` in the XHTML namespace, only the basic HTML 4.0 formatting elements and attributes
(chapters 7-11 except 9.4, and 12: links and images), no scripts, forms, frames or event attributes, and
some non-whitespace content. Parsed with the standard library's expat parser; DTDs are refused (FHIR has
none, and they are the door to entity expansion attacks); HTML named entities (``&nbsp;``) are accepted.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.entities import name2codepoint

XHTML = "{http://www.w3.org/1999/xhtml}"
ELEMENTS = frozenset((
    "p br div h1 h2 h3 h4 h5 h6 a span b em i strong small big tt dfn q var abbr acronym cite blockquote "
    "hr address bdo kbd sub sup ul ol li dl dt dd pre table caption colgroup col thead tr tfoot tbody th td "
    "code samp img map area ins del s u strike center font").split())
_CORE = "id class style title lang xml:lang dir accesskey tabindex"
_CELL = "abbr axis headers scope rowspan colspan align valign char charoff width height nowrap bgcolor"
ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset(_CORE.split()),
    "a": frozenset("href name hreflang type rel rev charset shape coords target".split()),
    "img": frozenset("src alt longdesc height width usemap ismap align border hspace vspace".split()),
    "table": frozenset("summary width border frame rules cellspacing cellpadding align bgcolor".split()),
    "col": frozenset("span width align valign char charoff".split()),
    "colgroup": frozenset("span width align valign char charoff".split()),
    "td": frozenset(_CELL.split()), "th": frozenset(_CELL.split()),
    "tr": frozenset("align valign char charoff bgcolor".split()),
    "thead": frozenset("align valign char charoff".split()),
    "tbody": frozenset("align valign char charoff".split()),
    "tfoot": frozenset("align valign char charoff".split()),
    "ol": frozenset("type start compact".split()), "ul": frozenset("type compact".split()),
    "li": frozenset("type value".split()), "dl": frozenset(["compact"]),
    "p": frozenset(["align"]), "div": frozenset(["align"]), "hr": frozenset("align noshade size width".split()),
    "h1": frozenset(["align"]), "h2": frozenset(["align"]), "h3": frozenset(["align"]),
    "h4": frozenset(["align"]), "h5": frozenset(["align"]), "h6": frozenset(["align"]),
    "br": frozenset(["clear"]), "pre": frozenset(["width"]), "caption": frozenset(["align"]),
    "blockquote": frozenset(["cite"]), "q": frozenset(["cite"]), "ins": frozenset("cite datetime".split()),
    "del": frozenset("cite datetime".split()), "bdo": frozenset(["dir"]),
    "map": frozenset(["name"]), "area": frozenset("shape coords href nohref alt target".split()),
    "font": frozenset("size color face".split()),
}
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _numeric(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES or name not in name2codepoint:
        return match.group(0)
    return f"&#{name2codepoint[name]};"


def check_div(div: str) -> list[tuple[str, str]]:
    """[(rule, message)] for one Narrative.div value; [] when it is valid."""
    if "<!DOCTYPE" in div or "<!ENTITY" in div:
        return [("txt-1", "the narrative must not declare a DOCTYPE or entities")]
    try:
        root = ET.fromstring(_ENTITY.sub(_numeric, div))
    except ET.ParseError as exc:
        return [("txt-1", f"the narrative is not well-formed XHTML: {exc}")]
    problems: list[tuple[str, str]] = []
    if root.tag != XHTML + "div":
        problems.append(("txt-1", "the narrative root must be <div xmlns=\"http://www.w3.org/1999/xhtml\">"))
    has_content = any(t.strip() for t in root.itertext()) or any(
        # typeshed types Element.tag as str; a comment's or processing instruction's tag is a function
        isinstance(n.tag, str) and n.tag.endswith("img") for n in root.iter())  # type: ignore[redundant-expr]
    for node in root.iter():
        if not isinstance(node.tag, str):  # comments, processing instructions
            continue
        if not node.tag.startswith(XHTML):
            problems.append(("txt-1", f"element {node.tag!r} is not in the XHTML namespace"))
            continue
        name = node.tag[len(XHTML):]
        if name not in ELEMENTS:
            problems.append(("txt-1", f"element <{name}> is not allowed in a narrative"))
            continue
        allowed = ATTRIBUTES.get(name, frozenset())
        for attr in node.attrib:
            local = "xml:lang" if attr == _XML_LANG else attr
            if local not in ATTRIBUTES["*"] and local not in allowed:
                problems.append(("txt-1", f"attribute {local!r} is not allowed on <{name}>"))
    if not has_content:
        problems.append(("txt-2", "the narrative has no non-whitespace content"))
    return problems
