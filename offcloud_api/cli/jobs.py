"""The cloud job commands: ``add``, ``status``, ``wait``, ``explore``, ``history``, ``remove``
and ``retry``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Optional

from ..exceptions import CloudOnlyError, EndpointRemovedError
from ..models import Job, JobStatus
from ..units import format_size
from .context import EXIT_OK, Context, add_command
from .output import format_duration, format_fields, format_table, format_when

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = [
    "add_add_parser",
    "add_explore_parser",
    "add_history_parser",
    "add_remove_parser",
    "add_retry_parser",
    "add_status_parser",
    "add_wait_parser",
]


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"minutes must be 0 or more, not {text!r}")
    return value


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_minutes,
        metavar="MINUTES",
        help="give up waiting after this many minutes (the job goes on); default: no limit",
    )


def _timeout_seconds(ctx: Context) -> Optional[float]:
    minutes: Optional[float] = ctx.args.timeout
    return None if minutes is None else minutes * 60


def _wait(ctx: Context, request_id: str, first: Optional[Job] = None) -> Job:
    bar = ctx.progress(request_id)
    try:
        return ctx.client.wait_for_download(
            request_id, timeout=_timeout_seconds(ctx), on_progress=bar.job, first=first
        )
    finally:
        bar.close()


def add_add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "add", "add a link, magnet or URL to Offcloud", run_add)
    parser.add_argument("url", metavar="URL", help="a hoster link, magnet link or URL")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--instant",
        action="store_true",
        help="unrestrict at once (legacy API only; falls back to a cloud job where unavailable)",
    )
    mode.add_argument("--cloud", action="store_true", help="make a cloud job (the default)")
    parser.add_argument(
        "--wait",
        action="store_true",
        help="wait until it is downloaded, then print its file URLs (from explore)",
    )
    _add_timeout(parser)


def run_add(ctx: Context) -> int:
    api = ctx.client
    url: str = ctx.args.url
    job: Optional[Job] = None
    if ctx.args.instant:
        try:
            job = api.instant(url)
        except EndpointRemovedError:
            ctx.note("Offcloud no longer offers instant downloads here; adding a cloud job")
        except CloudOnlyError:
            ctx.note("this host works only through cloud downloading; adding a cloud job")
    if job is not None:  # instant links (legacy API only) are final when made
        if ctx.args.json:
            ctx.print_json(job)
        else:
            ctx.print(f"instant {job.request_id}: {job.file_name or '-'}", job.file_url or "-")
        return EXIT_OK

    job = api.cloud(url)  # its answer has no file link on the 2026 API: explore has them
    if not ctx.args.wait:
        if ctx.args.json:
            ctx.print_json(job)
        else:
            ctx.print(f"cloud {job.request_id}: {job.file_name or '-'} ({job.status.value})")
        return EXIT_OK

    if not ctx.args.json:
        ctx.note(f"added cloud job {job.request_id}; waiting for Offcloud to download it")
    job = _wait(ctx, job.request_id, first=job if job.status.is_final else None)
    files = api.explore_cloud(job.request_id, job=job)
    if ctx.args.json:
        ctx.print_json({"job": job, "files": files})
    else:
        ctx.print(*(file.url for file in files))
    return EXIT_OK


def add_status_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "status", "show where a cloud job stands", run_status)
    parser.add_argument("request_id", metavar="ID", help="the job's request id")


def run_status(ctx: Context) -> int:
    job = ctx.client.cloud_status(ctx.args.request_id)
    if ctx.args.json:
        ctx.print_json(job)
    else:
        ctx.print(*format_fields(_job_fields(job)))
    return EXIT_OK


def _job_fields(job: Job) -> list[tuple[str, Optional[str]]]:
    fraction = job.fraction_done
    status = job.status.value
    if fraction is not None and job.status is not JobStatus.DOWNLOADED:
        status += f" ({fraction * 100:.1f}%)"
    return [
        ("Request id", job.request_id),
        ("Name", job.file_name),
        ("Status", status),
        ("Size", None if job.file_size is None else format_size(job.file_size)),
        ("Downloaded", None if job.amount is None else format_size(job.amount)),
        ("Speed", f"{format_size(job.speed)}/s" if job.speed else None),
        ("ETA", None if job.eta is None else format_duration(job.eta)),
        ("Server", job.server),
        ("Created", None if job.created_on is None else format_when(job.created_on)),
        ("Link", job.original_link),
        ("Message", job.message),
        ("Error", job.error_message),
        # Legacy answers only: the 2026 status has no link; 'offcloud explore ID' lists them.
        ("URL", job.file_url if job.status is JobStatus.DOWNLOADED else None),
    ]


def add_wait_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "wait", "wait until a cloud job is downloaded", run_wait)
    parser.add_argument("request_id", metavar="ID", help="the job's request id")
    _add_timeout(parser)


def run_wait(ctx: Context) -> int:
    job = _wait(ctx, ctx.args.request_id)
    if ctx.args.json:
        ctx.print_json(job)
    else:
        size = f" ({format_size(job.file_size)})" if job.file_size is not None else ""
        ctx.print(f"{job.request_id} downloaded: {job.file_name or '-'}{size}")
    return EXIT_OK


def add_explore_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "explore", "list the files of a finished job", run_explore)
    parser.add_argument("request_id", metavar="ID", help="the job's request id")


def run_explore(ctx: Context) -> int:
    files = ctx.client.explore_cloud(ctx.args.request_id)
    if ctx.args.json:
        ctx.print_json(files)
    else:
        rows = [[format_size(file.size), file.path, file.url] for file in files]
        ctx.print(*format_table(["SIZE", "PATH", "URL"], rows, right=[0]))
    return EXIT_OK


def add_history_parser(subparsers: Subparsers) -> None:
    add_command(subparsers, "history", "list the cloud jobs of the account", run_history)


def run_history(ctx: Context) -> int:
    jobs = ctx.client.get_history()
    if ctx.args.json:
        ctx.print_json(jobs)
        return EXIT_OK
    rows = [
        [
            job.request_id,
            job.status.value,
            format_size(job.file_size),
            format_when(job.created_on),
            job.file_name or "-",
        ]
        for job in jobs
    ]
    ctx.print(*format_table(["ID", "STATUS", "SIZE", "CREATED", "NAME"], rows, right=[2]))
    return EXIT_OK


def add_remove_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "remove", "remove cloud jobs and their files from Offcloud", run_remove
    )
    parser.add_argument("request_ids", metavar="ID", nargs="+", help="request ids")


def run_remove(ctx: Context) -> int:
    request_ids: list[str] = ctx.args.request_ids
    ctx.client.remove(request_ids)
    if ctx.args.json:
        ctx.print_json({"removed": request_ids})
    else:
        ctx.print(*(f"removed {request_id}" for request_id in request_ids))
    return EXIT_OK


def add_retry_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "retry", "ask Offcloud to retry a failed job", run_retry)
    parser.add_argument("request_id", metavar="ID", help="the job's request id")


def run_retry(ctx: Context) -> int:
    request_id: str = ctx.args.request_id
    job = ctx.client.retry(request_id)
    if ctx.args.json:
        ctx.print_json({"request_id": request_id, "job": job})
    elif job is None:
        ctx.print(f"asked Offcloud to retry {request_id}")
    else:
        ctx.print(f"asked Offcloud to retry {request_id}: now {job.status.value}")
    return EXIT_OK
