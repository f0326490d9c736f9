"""Where the IG's own files are (../shared/ig beside the repository), for the validator tests."""

from __future__ import annotations

from pathlib import Path

SHARED_IG = Path(__file__).resolve().parents[2].parent / "shared" / "ig"
FOLDERS = {"stu1": "stu1", "2.1.0": "v2.1.0", "stu3-ballot": "stu3-ballot"}
