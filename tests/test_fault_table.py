"""bench/fault_table.py: the fault matrix's JSON rows as a Markdown table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "bench" / "fault_table.py"

ROWS = [
    {
        "case": "offline link",
        "fault": "Offcloud answers: The file is not available on the server.",
        "expected": "offline, with Offcloud's reason",
        "status": "offline",
        "message": "File offline: a | b\nsecond line",
        "api_calls": 1,
        "routes": {"cloud": 1},
        "intact": "n.a.",
        "duration_s": 1.0,
        "warnings": ["not shown"],
    },
    {
        "case": "429",
        "status": "finished",
        "message": "",
        "api_calls": 5,
        "routes": {"cloud": 2, "cloud/status": 2, "cloud/explore": 1},
        "intact": "yes",
    },
    {"case": "key", "status": "finished", "first_status": "failed", "message": "rejected"},
    {
        "case": "three 500s on the polls",
        "status": "finished",
        "api_calls": 6,
        "figure": "recovered 1.8 s after the first 500",
    },
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_rows_become_a_markdown_table(tmp_path: Path) -> None:
    report = tmp_path / "faults.json"
    report.write_text(json.dumps(ROWS), encoding="utf-8")
    done = run(str(report))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "| Case | Fault | Expected | pyLoad status | Message | API calls | By route "
        "| File intact | Time (s) | Figure |"
    )
    assert lines[1] == "|---|---|---|---|---|---|---|---|---|---|"
    assert lines[2] == (
        "| offline link | Offcloud answers: The file is not available on the server. "
        "| offline, with Offcloud's reason | offline | File offline: a \\| b second line "
        "| 1 | cloud 1 | n.a. | 1.0 | — |"
    )
    assert lines[3] == (
        "| 429 | — | — | finished | — | 5 | cloud 2, cloud/status 2, cloud/explore 1 | yes | — "
        "| — |"
    )
    assert lines[4] == "| key | — | — | failed, then finished | rejected | — | — | — | — | — |"
    assert lines[5] == (
        "| three 500s on the polls | — | — | finished | — | 6 | — | — | — "
        "| recovered 1.8 s after the first 500 |"
    )
    assert len(lines) == 6


def test_a_missing_or_broken_report_is_an_error(tmp_path: Path) -> None:
    assert run(str(tmp_path / "none.json")).returncode == 1
    broken = tmp_path / "broken.json"
    broken.write_text('{"not": "rows"}', encoding="utf-8")
    assert "not a list of rows" in run(str(broken)).stderr
    assert run().returncode == 2
