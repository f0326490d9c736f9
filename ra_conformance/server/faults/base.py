"""What a fault is: a catalogue record (``Fault``) and its defect, a behaviour of the answer layer (server/layer.py).

A defect is one of:

* ``Rewrite(f)``        ``f(call, answer) -> answer``: changes an answer after the correct handler ran;
* ``Refusal(f)``        ``f(call) -> answer | None``: answers a request in place of the correct handler;
* ``BundleRewrite(f)``  ``f(bundle) -> bundle``: changes each coding-gap patient Bundle, in the synchronous answer
                        and in the asynchronous export files alike;
* ``Strategy(Rules, field=f)``: a module's rule (a field of its ``Rules`` record) replaced by ``f``, for what a
                        rewrite cannot do (which reports are chosen, how a date is read);
* ``Defects(a, b)``     several of these at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...ig import REPORT_STYLE_OPERATIONS
from ..layer import Behaviour, Call, Chain
from ..rest import Answer

Body = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """One deliberate defect: what it breaks (``catches``: REQ ids), how a correct suite reports it (``expected``:
    fail or warn), the defect itself, and the settings its self-test run needs (e.g. ``{"ig_version": "stu1"}``)."""

    name: str
    description: str
    catches: tuple[str, ...]
    defect: Behaviour
    expected: str = "fail"
    settings: Mapping[str, Any] = field(default_factory=dict)


class Rewrite(Behaviour):
    def __init__(self, rewrite: Callable[[Call, Answer], Answer]) -> None:
        self._rewrite = rewrite

    def after(self, call: Call, answer: Answer) -> Answer:
        return self._rewrite(call, answer)


class Refusal(Behaviour):
    def __init__(self, refuse: Callable[[Call], Answer | None]) -> None:
        self._refuse = refuse

    async def before(self, call: Call) -> Answer | None:
        return self._refuse(call)


class BundleRewrite(Behaviour):
    def __init__(self, rewrite: Callable[[Body], Body]) -> None:
        self._rewrite = rewrite

    def after(self, call: Call, answer: Answer) -> Answer:
        if is_operation(call, answer):
            for param in return_parameters(answer.body):
                param["resource"] = self._rewrite(param["resource"])
        return answer

    def bundle(self, bundle: Body) -> Body:
        return self._rewrite(bundle)


class Strategy(Behaviour):
    def __init__(self, rules: type, **strategies: Any) -> None:
        self.rules = {rules: strategies}


class Defects(Chain):
    """Several defects of one fault, applied in order."""

    def __init__(self, *parts: Behaviour) -> None:
        super().__init__(parts)


# -- where an answer comes from ---------------------------------------------------------------------------


def is_operation(call: Call, answer: Answer) -> bool:
    """A synchronous answer of the coding-gap operation ($cc-gaps, $report, $ra.cc-gaps): a Parameters."""
    name = call.path.rstrip("/").rsplit("/", 1)[-1]
    return (name.startswith("$") and name[1:] in REPORT_STYLE_OPERATIONS and isinstance(answer.body, dict)
            and answer.body.get("resourceType") == "Parameters")


def return_parameters(body: Any) -> Iterator[Body]:
    """The ``return`` parameters (each holding a patient Bundle) of an operation answer."""
    for param in body.get("parameter", []):
        if param.get("name") == "return" and isinstance(param.get("resource"), dict):
            yield param


def is_searchset(answer: Answer) -> bool:
    body = answer.body
    return isinstance(body, dict) and body.get("resourceType") == "Bundle" and body.get("type") == "searchset"
