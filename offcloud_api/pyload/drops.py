"""A file download whose connection dropped: a transient error, resumed after a growing wait.

pyLoad raises curl's error out of ``BaseDownloader._download`` when a file server's connection
breaks mid-body (curl 56, "Failure when receiving data from the peer"; 18, a partial file; 52, 55,
7, 28). pyLoad itself would fail the link with the bare ``pycurl.error`` and a traceback in its
log (its own handling of these codes is commented out in ``DownloadThread``). The downloader
hands the error here instead: the link waits (:data:`~.outcomes.TEMPORARY_WAITS`, short first)
and tries again, keeping the part already on disk, which pyLoad resumes with a ``Range``.

Drops count in a row, and only while the download gets no further: a drop after which the part
file grew starts the count afresh, so a long download over a flaky line goes on as long as it
makes progress. After :data:`DROP_ATTEMPTS` drops in a row without a byte more the link fails
with a message a user can read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from .outcomes import TEMPORARY_ATTEMPTS, temporary_wait

__all__ = [
    "DROP_ATTEMPTS",
    "TRANSIENT_CURL_ERRORS",
    "DropDecision",
    "after_drop",
    "curl_code",
    "drops_in_a_row",
    "part_bytes",
]

#: curl errors that say the connection broke, not that the file or the request is wrong, and
#: what they mean in words.
TRANSIENT_CURL_ERRORS = {
    7: "could not connect",
    18: "the transfer ended before the whole file came",
    28: "the connection timed out",
    52: "the server closed the connection without an answer",
    55: "sending to the server failed",
    56: "the connection broke while receiving",
}
#: Drops in a row without progress that a link survives; one more and it fails.
DROP_ATTEMPTS = TEMPORARY_ATTEMPTS

PathLike = Union[str, bytes, "os.PathLike[str]"]


def curl_code(error: BaseException) -> Optional[int]:
    """The curl error number of a ``pycurl.error`` (``args[0]``), or ``None``."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        return args[0]
    return None


def part_bytes(filename: PathLike) -> int:
    """Bytes of the partial download of ``filename`` on disk (its ``.chunkN`` files)."""
    target = Path(os.fsdecode(filename))
    prefix = target.name + ".chunk"
    total = 0
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return 0
    for path in entries:
        if path.name.startswith(prefix) and path.name[len(prefix) :].isdigit():
            try:
                total += path.stat().st_size
            except OSError:
                continue
    return total


def drops_in_a_row(previous: int, *, progressed: bool) -> int:
    """The count after one more drop: 1 when the download got further since the last one."""
    return 1 if progressed else previous + 1


@dataclass(frozen=True)
class DropDecision:
    """What the downloader does: wait ``wait`` seconds and try again, or fail (``give_up``)."""

    message: str
    wait: int = 0
    give_up: bool = False


def after_drop(code: int, drops: int) -> DropDecision:
    """How to go on after the ``drops``-th drop in a row (curl error ``code``)."""
    if drops > DROP_ATTEMPTS:
        return DropDecision(
            f"The connection to Offcloud's file server dropped {drops} times; restart the link "
            "later",
            give_up=True,
        )
    wait = temporary_wait(drops)
    reason = TRANSIENT_CURL_ERRORS.get(code, "the connection broke")
    return DropDecision(
        f"The connection to Offcloud's file server dropped ({reason}, curl error {code}); "
        f"resuming the download in {wait} s",
        wait=wait,
    )
