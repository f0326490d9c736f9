"""The run machinery: how `ra-conform run` turns Settings into pytest results and reports.

* runner.py    `ra-conform run` / `plan`: target (or embedded server) -> pytest.main(plugins=[RaPlugin(settings)])
* selftest.py  `ra-conform selftest`: a run per fault and per legal variant
* plugin.py    the pytest plugin: options (plain pytest), markers, fixtures, the plan, reports at session end
  - session.py   RaPlugin (the run's set-up as an object) and what the plugin keeps on the pytest config
  - outcomes.py  each test's state, findings and exchanges
  - xdist.py     the set-up to the workers, their results and notes back
  - capture.py   which exchanges a test shows: its own, its fixtures', its memoised answers'
* context.py   RaContext, the `ra` fixture: Target (target.py) + Answers (answers.py)
* plan.py      which tests run and why (the IG's expectation for each item against the declarations)
* progress.py  the live progress bar; export.py the asynchronous export the bulk suite judges
"""
