"""The run machinery: `ra-conform run` (runner), the pytest plugin, the run's context, the test plan, the self-test."""
