"""The fault matrix's rows as a Markdown table.

``tests/e2e/test_faults.py`` writes one row per fault case as JSON when
``OFFCLOUD_FAULT_REPORT`` names a file (with the API calls of each case by route, ``cloud``,
``cloud/status``, ``cloud/explore`` ...) and, where a case measures something of its own, a
``figure`` in words (how fast a burst of errors was ridden out, what a resting host cost);
``tests/test_fault_cases.py`` adds the rows of the cases the plugin code decides alone (run
without pyLoad; their status "download starts" is where the plugin hands the file link to
pyLoad). This prints them for docs/reliability.md::

    OFFCLOUD_FAULT_REPORT=faults.json ./run test tests/e2e/test_faults.py tests/test_fault_cases.py
    python bench/fault_table.py faults.json

Standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

COLUMNS = (
    ("case", "Case"),
    ("fault", "Fault"),
    ("expected", "Expected"),
    ("status", "pyLoad status"),
    ("message", "Message"),
    ("api_calls", "API calls"),
    ("routes", "By route"),
    ("intact", "File intact"),
    ("duration_s", "Time (s)"),
    ("figure", "Figure"),
)


def cell(value: Any) -> str:
    """One table cell: no line breaks, pipes escaped, a dash for nothing.

    A mapping (the calls by route) reads ``cloud 2, cloud/status 3``, in its own order.
    """
    if isinstance(value, dict):
        value = ", ".join(f"{key} {count}" for key, count in value.items())
    if value is None or value == "":
        return "—"
    text = " ".join(str(value).split())
    return text.replace("|", "\\|")


def status(row: dict[str, Any]) -> str:
    """pyLoad's final status; "failed, then finished" when the case restarted the link."""
    final = row.get("status") or ""
    first = row.get("first_status")
    return f"{first}, then {final}" if first and final else final


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for row in rows:
        values = {**row, "status": status(row)}
        lines.append("| " + " | ".join(cell(values.get(key)) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        sys.stderr.write("usage: python bench/fault_table.py REPORT.json\n")
        return 2
    try:
        rows = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"cannot read {args[0]}: {exc}\n")
        return 1
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        sys.stderr.write(f"{args[0]} is not a list of rows\n")
        return 1
    sys.stdout.write(render(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
