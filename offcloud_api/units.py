"""How sizes read for people: one format for the CLI, pyLoad's status line and the demo."""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["format_size", "parse_size"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_size(text: str, *, default_unit: str = "m") -> int:
    """Bytes from ``50 MB``, ``1.5 GiB``, ``700M`` or ``50`` (``default_unit``: MB).

    ``MB`` is 10^6 bytes and ``MiB`` 2^20, as disks and Offcloud count them. Raises ValueError
    with a message for people.
    """
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a size (examples: 50 MB, 1.5 GiB, 700M)")
    number, prefix, binary = match.groups()
    unit = prefix.lower() if (prefix or binary or text.strip()[-1:].isalpha()) else default_unit
    base = 1024 if binary else 1000
    return int(float(number) * base ** _POWERS[unit])


def format_size(size: Optional[float]) -> str:
    """``1.4 GiB``-style sizes (powers of 1024); ``-`` when unknown."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{int(size)} B"
    units = ("KiB", "MiB", "GiB", "TiB", "PiB")
    value = size / 1024
    index = 0
    while value >= 1024 and index < len(units) - 1:
        value /= 1024
        index += 1
    return f"{value:.1f} {units[index]}"
