"""Documents ra-conform reads at run time (installed as `ra_conformance.docs`; see setup.py)."""
