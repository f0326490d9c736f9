"""`python measured.py ARGS…` = `ra-conform ARGS…`, then the peak RSS (KiB) written to $RA_TEST_RSS_FILE."""

import atexit
import os
import resource

from ra_conformance.cli import main


def _peak() -> None:
    path = os.environ.get("RA_TEST_RSS_FILE")
    if path:
        with open(path, "w") as fh:
            fh.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


atexit.register(_peak)
main()
