"""pytest-xdist: the run's set-up travels to the workers, their results and run notes back to the controller.

Workers are separate processes that get pytest's argv, not the objects handed to `pytest.main`: the controller
puts its RaPlugin into each worker's `workerinput` (pickled: Settings holds paths and tuples), and a worker
takes it from there instead of rebuilding Settings. Hooks of the ra-conform plugin; inert without xdist.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from ..results import TestResult
from .session import SETUP_KEY, RaPlugin, current_context, results_of

WORKER_SETUP = "ra_setup"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:  # xdist controller hook: before a worker starts
    setup = node.config.stash.get(SETUP_KEY, None)
    if setup is not None:
        node.workerinput[WORKER_SETUP] = pickle.dumps(setup)


def worker_setup(config: pytest.Config) -> RaPlugin | None:
    """In an xdist worker: the controller's set-up (None elsewhere)."""
    data = getattr(config, "workerinput", {}).get(WORKER_SETUP)
    return pickle.loads(data) if data is not None else None


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def hand_over(config: pytest.Config) -> None:
    """In a worker at session end: what the controller's reports need beyond the test results."""
    ctx = current_context(config)
    if ctx is None:
        return
    out = config.workeroutput  # type: ignore[attr-defined]
    out["ra_resources"] = ctx.answers.answered_resources()
    out["ra_ig_version"], out["ra_operation"] = ctx.ig_version, ctx.operation_name
    out["ra_flows"] = sorted(ctx.exercised)
    out["ra_ignored"] = {k: list(v) for k, v in ctx.answers.ignored.items()}
    out["ra_outcomes"] = list(ctx.answers.outcome_texts)


class Recorder:
    """Per-session (not module-global: pytest may run nested in pytest) collector of results on the controller."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.worker_resources: list[dict[str, Any]] = []
        self.worker_flows: set[str] = set()
        self.worker_ignored: dict[str, list[str]] = {}
        self.worker_outcomes: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "ra_result", None)
        if data is not None:
            results_of(self.config).tests.append(TestResult(**data))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller hook
        output = getattr(node, "workeroutput", {})
        self.worker_resources.extend(output.get("ra_resources", []))
        results = results_of(self.config)
        for key in ("ig_version", "operation"):
            if output.get(f"ra_{key}") and not getattr(results, key):
                setattr(results, key, output[f"ra_{key}"])
        self.worker_flows.update(output.get("ra_flows", []))
        for name, reqs in output.get("ra_ignored", {}).items():
            self.worker_ignored.setdefault(name, list(reqs))
        self.worker_outcomes.extend(t for t in output.get("ra_outcomes", []) if t not in self.worker_outcomes)


RECORDER_KEY = pytest.StashKey[Recorder]()
