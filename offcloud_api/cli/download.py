"""``offcloud download``: the files of a finished job to a folder of this computer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import requests

from ..download import download_file, is_complete, job_destinations, part_path, relative_path
from ..models import CloudFile, JobStatus
from ..units import format_size
from .context import EXIT_OK, PROG, CommandError, Context, add_command

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = ["add_download_parser"]


def add_download_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "download", "fetch the files of a finished job to a folder", run_download
    )
    parser.add_argument("request_id", metavar="ID", help="the job's request id")
    parser.add_argument(
        "--to",
        metavar="DIR",
        type=Path,
        default=Path(),
        help=(
            "the folder to save into (default: the current one); the job goes into a folder of "
            "its own there: the top folder its files share, else one named after the job"
        ),
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help=(
            "replace files that exist already (default: if any is in the way, nothing is "
            "downloaded; a file of the size Offcloud lists is kept as complete either way)"
        ),
    )
    parser.add_argument(
        "--no-job-folder",
        action="store_true",
        help="write the job's paths straight into DIR, without a folder of the job's own",
    )


#: What ``download`` does with each file: fetch it, or leave the one there (complete, or of
#: unknown size and so kept rather than replaced).
_FETCH, _COMPLETE, _KEPT = "fetch", "complete", "kept"


def run_download(ctx: Context) -> int:
    api = ctx.client
    request_id: str = ctx.args.request_id
    root: Path = ctx.args.to
    overwrite: bool = ctx.args.overwrite
    job = api.cloud_status(request_id)
    if job.status is not JobStatus.DOWNLOADED:
        raise CommandError(
            f"job {request_id} is {job.status.value}, not downloaded yet; "
            f"wait for it with '{PROG} wait {request_id}'"
        )
    # The links come from explore, signed per call (a CDN on the 2026 API): asked for now.
    files = api.explore_cloud(request_id, job=job)
    # Every path, and every file in the way, is checked before the first byte is written.
    targets = job_destinations(
        root,
        [relative_path(file.path, file.name) for file in files],
        job_name=job.file_name,
        fallback=request_id,
        own_folder=not ctx.args.no_job_folder,
    )
    plan = [(file, target, _plan(file, target, overwrite)) for file, target in zip(files, targets)]
    _refuse_files_in_the_way([(file, target) for file, target, what in plan if what is None])
    saved: list[dict[str, Any]] = []
    with requests.Session() as session:
        session.headers["User-Agent"] = api.user_agent
        for file, target, what in plan:
            if what == _FETCH:
                _download_one(ctx, session, file, target, overwrite=overwrite)
            size = target.stat().st_size
            saved.append(
                {
                    "path": file.path,
                    "file": target,
                    "size": size,
                    "state": "downloaded" if what == _FETCH else "present",
                }
            )
            if ctx.args.json:
                continue
            if what == _FETCH:
                ctx.print(f"saved {target} ({format_size(size)})")
            elif what == _COMPLETE:
                ctx.print(f"kept {target} ({format_size(size)}): complete already")
            else:
                ctx.print(
                    f"kept {target} ({format_size(size)}): it exists already; "
                    "--overwrite replaces it"
                )
    if ctx.args.json:
        ctx.print_json(saved)
    return EXIT_OK


def _plan(file: CloudFile, target: Path, overwrite: bool) -> Optional[str]:
    """What to do with one file; None when a file is in the way (see ``--overwrite``)."""
    if is_complete(target, file.size):
        return _COMPLETE
    part = part_path(target)
    if part.is_symlink() or (part.exists() and not part.is_file()):
        return None  # not a .part this command wrote: never written through, even to replace
    if not (target.is_symlink() or target.exists()) or overwrite:
        return _FETCH
    if file.size is None and target.is_file() and not target.is_symlink():
        return _KEPT  # most likely this job's, from an earlier run: no size to tell
    return None


def _refuse_files_in_the_way(blocked: list[tuple[CloudFile, Path]]) -> None:
    if not blocked:
        return
    file, target = blocked[0]
    part = part_path(target)
    if part.is_symlink() or (part.exists() and not part.is_file()):
        first = f"{part} is in the way (not a partial download)"
    elif target.is_symlink():
        first = f"{target} exists already (a symlink)"
    elif target.is_dir():
        first = f"{target} exists already (a folder)"
    else:
        listed = "" if file.size is None else f", Offcloud lists {format_size(file.size)}"
        first = f"{target} exists already ({format_size(target.stat().st_size)}{listed})"
    if len(blocked) == 1:
        what = "it"
    else:
        first += f"; so do {len(blocked) - 1} more"
        what = "them"
    raise CommandError(
        f"{first}; nothing was downloaded: pass --overwrite to replace {what}, "
        "or choose another --to"
    )


def _download_one(
    ctx: Context, session: requests.Session, file: CloudFile, target: Path, *, overwrite: bool
) -> Path:
    bar = ctx.progress(file.path)
    try:
        return download_file(
            session,
            file.url,
            target,
            expected_size=file.size,
            progress=bar.transfer,
            overwrite=overwrite,
        )
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or type(exc).__name__}") from exc
    finally:
        bar.close()
