"""Offcloud's progress on a pyLoad link: the status line and the percentage."""

from __future__ import annotations

from typing import Any

from ..models import Job, JobStatus
from ..units import format_size


def format_progress(job: Job) -> str:
    """One short status line for pyLoad's queue: what Offcloud is doing, how far, how fast."""
    parts = [f"Offcloud {job.status.value}"]
    if job.amount is not None and job.file_size:
        parts.append(f"{format_size(job.amount)} of {format_size(job.file_size)}")
    elif job.fraction_done is not None and job.fraction_done > 0:
        # The 2026 status has a fraction and no sizes (docs/api.md L8).
        parts.append(f"{job.fraction_done * 100:.0f} %")
    if job.message and job.status is JobStatus.CREATED:
        parts.append(job.message)  # "Loading..." while Offcloud has not started it (L7)
    if job.speed:
        parts.append(f"{format_size(job.speed)}/s")
    eta = job.eta
    if eta is not None:
        parts.append(f"{eta:.0f} s left" if eta < 120 else f"{eta / 60:.0f} min left")
    return ", ".join(parts)


def show_progress(pyfile: Any, job: Job) -> None:
    """Offcloud's progress on a pyLoad link: the status text and the percentage."""
    pyfile.set_custom_status(format_progress(job))
    fraction = job.fraction_done
    if fraction is not None:
        pyfile.set_progress(int(fraction * 100))
