"""`python measured.py ARGS…` = `ra-conform ARGS…`, then the peak RSS (KiB) written to $RA_TEST_RSS_FILE."""

import atexit
import os
import resource

from ra_conformance.cli import main


def _peak_kb() -> int:
    """VmHWM: this process's own peak (ru_maxrss would also count the parent's pages at fork, kept across exec)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak() -> None:
    path = os.environ.get("RA_TEST_RSS_FILE")
    if path:
        with open(path, "w") as fh:
            fh.write(str(_peak_kb()))


atexit.register(_peak)
main()
