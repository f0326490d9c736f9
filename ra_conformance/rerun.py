"""The command that reruns one test: the run's own command (`ra-conform run --target …`, or the plain-pytest form)
plus a `-k` expression that selects exactly that test (its module and its name, parameters included)."""

from __future__ import annotations


def select_one(nodeid: str, name: str = "") -> str:
    """`test_group.py and test_req_036_…[group-x]`: pytest -k keywords (module file name and test name)."""
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    name = name or nodeid.rsplit("::", 1)[-1]
    return f"{module} and {name}" if module.endswith(".py") else name


def rerun_one(base: str, nodeid: str, name: str = "") -> str:
    """`BASE -k '…'` (empty when the run's command is unknown)."""
    return f"{base} -k '{select_one(nodeid, name)}'" if base else ""
