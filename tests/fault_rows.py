"""The fault matrix's rows, one format for the cases run in pyLoad (tests/e2e/test_faults.py)
and those decided by the plugin code alone (tests/test_fault_cases.py).

Each module collects its :class:`CaseRecord` rows; once it is done, :func:`write_report` merges
them into the JSON file ``OFFCLOUD_FAULT_REPORT`` names (a case's older row replaced, the other
module's rows kept), which ``bench/fault_table.py`` renders for docs/reliability.md.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPORT_ENV = "OFFCLOUD_FAULT_REPORT"


@dataclass
class CaseRecord:
    """One row of the fault matrix."""

    case: str
    fault: str
    expected: str
    status: str = ""
    #: The status the fault left before the user restarted the link, if the case restarts it.
    first_status: str = ""
    message: str = ""
    api_calls: int = 0
    #: The API calls by route, in the order first seen (``cloud``, ``cloud/status`` ...).
    routes: dict[str, int] = field(default_factory=dict)
    intact: str = "n.a."
    duration_s: float = 0.0
    #: What the Offcloud plugins logged as warnings on the way (waits, retries), in order.
    warnings: list[str] = field(default_factory=list)
    #: The case's own measure, in words (how fast it recovered, what a rest cost).
    figure: str = ""


def write_report(records: list[CaseRecord]) -> None:
    """Merge ``records`` into the report ``OFFCLOUD_FAULT_REPORT`` names, if it names one."""
    target = os.environ.get(REPORT_ENV)
    if not target or not records:
        return
    ours = {record.case for record in records}
    with Path(target).open("a+", encoding="utf-8") as report:
        # Both modules may end at once, in two pytest-xdist workers: one merge at a time.
        fcntl.flock(report, fcntl.LOCK_EX)
        report.seek(0)
        text = report.read()
        kept = json.loads(text) if text.strip() else []
        rows = [row for row in kept if row.get("case") not in ours]
        rows += [asdict(record) for record in records]
        report.seek(0)
        report.truncate()
        report.write(json.dumps(rows, indent=2) + "\n")
