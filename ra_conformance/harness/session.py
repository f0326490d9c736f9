"""What the plugin keeps on a pytest config for one run, and how the rest of the harness reads it back.

`RaPlugin` is the run's set-up handed to pytest as an object (`pytest.main(args, plugins=[RaPlugin(settings)])`):
`ra-conform run` builds Settings once and pytest never rebuilds them. Plain `pytest --ra-target URL` builds one
from its --ra-* options; xdist workers receive the controller's (xdist.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from ..results import RunResults
from ..settings import Settings

if TYPE_CHECKING:
    from .context import RaContext
    from .plan import PlanEntry


@dataclass(frozen=True)
class RaPlugin:
    """The run's set-up: its settings, the command a report shows to rerun one test, and whether the plugin writes
    summary.json and report.html into `settings.report_dir` (plain pytest: only with --ra-report-dir)."""

    settings: Settings
    rerun: str = ""
    write_reports: bool = True


SETUP_KEY = pytest.StashKey[RaPlugin]()
RESULTS_KEY = pytest.StashKey[RunResults]()
CONTEXT_KEY = pytest.StashKey["RaContext | None"]()
PLAN_KEY = pytest.StashKey["list[PlanEntry]"]()


def setup_of(config: pytest.Config) -> RaPlugin:
    return config.stash[SETUP_KEY]


def settings_of(config: pytest.Config) -> Settings:
    return config.stash[SETUP_KEY].settings


def results_of(config: pytest.Config) -> RunResults:
    return config.stash[RESULTS_KEY]


def plan_of(config: pytest.Config) -> list[PlanEntry]:
    return config.stash.get(PLAN_KEY, [])


def current_context(config: pytest.Config) -> RaContext | None:
    """The run's context if one was made (the plugin makes it at collection, when there is a target)."""
    return config.stash.get(CONTEXT_KEY, None)
