"""What the command line writes: safe text, tables, JSON and the progress line.

Text from a server (file names, job names, error messages) never reaches the terminal raw:
:func:`printable` shows control characters and bidirectional overrides as escapes, in every
line, progress bar and log line, and :func:`json_text` escapes the ones JSON would let through.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional, TextIO, Union

from ..models import Job
from ..units import format_size

__all__ = [
    "ProgressBar",
    "format_duration",
    "format_fields",
    "format_table",
    "format_when",
    "json_text",
    "printable",
    "to_json",
    "yes_no",
]

#: What a terminal would act on instead of showing: C0 controls, DEL, C1 controls (``\x9b`` is
#: a CSI on some terminals), bidirectional overrides (a name that reads backwards) and the
#: Unicode line separators.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
#: The same, less what ``json.dumps`` escapes itself (C0, which includes its own newlines).
_UNPRINTABLE_IN_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """``text`` safe to write to a terminal: what a terminal would act on becomes an escape.

    ``\x1b`` is shown as the four characters ``\x1b``, a newline as ``\n``, U+202E as
    ``\u202e``; everything else, any script or emoji included, is left as it is. Applying it
    twice changes nothing more.
    """
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def format_duration(seconds: Optional[float]) -> str:
    """``45s``, ``2m05s``, ``1h02m``, ``3d04h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def format_when(moment: Union[date, datetime, None]) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="seconds")
    return moment.isoformat()


def yes_no(value: Optional[bool]) -> str:
    return "-" if value is None else ("yes" if value else "no")


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> list[str]:
    """Rows under a header, in columns two spaces apart; ``right`` columns are right-aligned."""
    widths = [max([len(title)] + [len(row[i]) for row in rows]) for i, title in enumerate(header)]
    lines = []
    for row in [list(header), *rows]:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_fields(pairs: Sequence[tuple[str, Optional[str]]]) -> list[str]:
    """``Name:  value`` lines, aligned; pairs without a value are left out."""
    shown = [(name, value) for name, value in pairs if value is not None]
    width = max((len(name) for name, _ in shown), default=0) + 1
    return [f"{name + ':':<{width}}  {value}" for name, value in shown]


def to_json(value: Any) -> Any:
    """Plain JSON data from the library's dataclasses: enums as values, dates as ISO strings."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_json(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, (date, datetime)):  # datetime is a date
        return format_when(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(name): to_json(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def json_text(value: Any) -> str:
    """``value`` as indented JSON (:func:`to_json`) with nothing in it a terminal acts on."""
    text = json.dumps(to_json(value), indent=2, ensure_ascii=False)
    # Valid JSON either way: any character may be written as a \u escape.
    return _UNPRINTABLE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class ProgressBar:
    """One status line on ``stream``, redrawn in place on a terminal.

    On a terminal the line is rewritten with a carriage return (at most every ``redraw`` seconds);
    elsewhere (a log file, a pipe) a new line is written at most every ``every`` seconds and the
    last state once more on :meth:`close`, so logs stay short.
    """

    BAR_WIDTH = 20

    def __init__(
        self,
        label: str,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        every: float = 5.0,
        redraw: float = 0.2,
    ) -> None:
        self.label = label
        self.stream = stream
        self.clock = clock
        self.every = every
        self.redraw = redraw
        isatty = getattr(stream, "isatty", None)
        self.is_tty = bool(isatty()) if callable(isatty) else False
        self._last_shown: Optional[float] = None
        self._drawn_width = 0
        self._pending: Optional[str] = None
        self._rate_start: Optional[tuple[float, int]] = None

    def show(
        self,
        *,
        fraction: Optional[float] = None,
        done: Optional[float] = None,
        total: Optional[float] = None,
        speed: Optional[float] = None,
        eta: Optional[float] = None,
        note: str = "",
        force: bool = False,
    ) -> None:
        """Render a state; it is written now or later, depending on the throttle."""
        line = self.render(fraction=fraction, done=done, total=total, speed=speed, eta=eta)
        line = f"{line}  {note}" if note else line
        now = self.clock()
        wait = self.redraw if self.is_tty else self.every
        if not force and self._last_shown is not None and now - self._last_shown < wait:
            self._pending = line
            return
        self._last_shown = now
        self._pending = None
        self._write(line)

    def render(
        self,
        *,
        fraction: Optional[float],
        done: Optional[float],
        total: Optional[float],
        speed: Optional[float],
        eta: Optional[float],
    ) -> str:
        parts = [self.label]
        if fraction is not None:
            filled = int(fraction * self.BAR_WIDTH)
            parts.append("[" + "#" * filled + "-" * (self.BAR_WIDTH - filled) + "]")
            parts.append(f"{fraction * 100:5.1f}%")
        if done is not None:
            parts.append(
                f"{format_size(done)} / {format_size(total)}" if total else format_size(done)
            )
        if speed:
            parts.append(f"{format_size(speed)}/s")
        if eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
        return "  ".join(parts)

    def job(self, job: Job) -> None:
        """An ``on_progress`` hook for waits: Offcloud's side of a cloud job."""
        self.label = job.file_name or job.request_id
        self.show(
            fraction=job.fraction_done,
            done=job.amount,
            total=job.file_size,
            speed=job.speed,
            eta=job.eta,
            note=job.status.value,
        )

    def transfer(self, done: int, total: Optional[int]) -> None:
        """A download progress hook: bytes on disk, with speed and ETA measured here."""
        now = self.clock()
        if self._rate_start is None:
            self._rate_start = (now, done)
        started, start_bytes = self._rate_start
        elapsed = now - started
        speed = (done - start_bytes) / elapsed if elapsed > 0 else None
        eta = (total - done) / speed if speed and total is not None else None
        fraction = min(done / total, 1.0) if total else None
        self.show(
            fraction=fraction, done=done, total=total, speed=speed, eta=eta, force=done == total
        )

    def close(self) -> None:
        """End the line on a terminal; elsewhere, write the state not yet written."""
        if self.is_tty:
            if self._drawn_width:
                self.stream.write("\n")
                self.stream.flush()
        elif self._pending is not None:
            self._write(self._pending)
        self._pending = None
        self._drawn_width = 0

    def _write(self, line: str) -> None:
        line = printable(line)
        if self.is_tty:
            columns = shutil.get_terminal_size(fallback=(80, 24)).columns
            line = line[: max(columns - 1, 10)]
            padding = " " * max(self._drawn_width - len(line), 0)
            self.stream.write(f"\r{line}{padding}")
            self._drawn_width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
