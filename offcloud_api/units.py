"""How sizes read for people: one format for the CLI, pyLoad's status line and the demo."""

from __future__ import annotations

from typing import Optional

__all__ = ["format_size"]


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
