"""Process figures the parallel benchmarks share (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def proc_cpu(pid: int | None) -> float:
    """utime + stime of a live process (Linux /proc), seconds; 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | str | None = "self") -> float:
    """The peak resident memory (VmHWM) of a live process (Linux /proc), MB; 0 when unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
