"""The ``offcloud`` command line: account, hosts, jobs, cache checks and downloads.

Every command is one ``add_<command>_parser(subparsers)`` function in :data:`COMMAND_PARSERS`;
a new command (or a group with subcommands of its own) is one more function there. Output is for
people by default and JSON with ``--json``. Errors are one line on stderr and an exit code:

====  ==========================================================================
0     success
1     any other error (a failed or stuck job, a wait that timed out, Offcloud refused the link
      with a text of its own, a bad file path)
2     wrong usage
3     no or wrong API key (``AuthError``, missing configuration)
4     not found: unknown job or route, dead or invalid link (``NotFoundError``,
      ``FileOfflineError``)
5     try again later (``TemporaryError``: rate limits, server and network errors)
6     the account lacks a feature, its cloud storage is full (``CloudFullError``), or the
      IP is not confirmed
130   interrupted (Ctrl-C)
====  ==========================================================================

Text from a server (file names, job names, error messages) never reaches the terminal raw:
:func:`printable` shows control characters and bidirectional overrides as escapes, in every
line, progress bar and log line, and ``--json`` escapes the ones JSON would let through.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, TextIO, Union
from urllib.parse import urlsplit

import requests

from . import __version__
from .client import OffcloudAPI
from .config import ENV_API_KEY, ENV_API_URL, ENV_CONFIG, KEY_PAGE, ConfigError, load_settings
from .download import (
    download_file,
    is_complete,
    job_destinations,
    part_path,
    relative_path,
)
from .exceptions import (
    AuthError,
    CloudFullError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    TemporaryError,
)
from .magnet import info_hash_of, is_magnet
from .models import AccountInfo, CacheResult, CloudFile, Job, JobStatus
from .redact import redact
from .retry import RetryPolicy
from .units import format_size

__all__ = [
    "COMMAND_PARSERS",
    "ProgressBar",
    "exit_code_for",
    "format_size",
    "main",
    "printable",
    "to_json",
]

log = logging.getLogger(__name__)

PROG = "offcloud"
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_TEMPORARY = 5
EXIT_NOT_AVAILABLE = 6
EXIT_INTERRUPTED = 130
#: Where a user frees the cloud's storage (docs/api.md L23).
CLOUD_PAGE = "https://offcloud.com/#/cloud"

DEFAULT_SIMULATOR_HOST = "127.0.0.1"
DEFAULT_SIMULATOR_PORT = 8765

#: How the command line pauses between polls and retries, and reads the time; tests swap them.
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.monotonic

_KEY_HELP = f"""\
The API key is read from the {ENV_API_KEY} environment variable, else from the config file
${ENV_CONFIG}, else $XDG_CONFIG_HOME/offcloud/config.ini (~/.config/offcloud/config.ini):

    [offcloud]
    api_key = <your key from {KEY_PAGE}>
    api_url = <optional; also --api-url or {ENV_API_URL}>

There is deliberately no option for the key: command-line arguments end up in your shell
history and in the process list, where other users can read them.

exit codes: 0 ok, 1 error, 2 usage, 3 API key, 4 not found, 5 try again later,
6 feature not available or IP not confirmed, 130 interrupted"""


class UsageError(Exception):
    """The command line is wrong: exit code 2."""


class CommandError(Exception):
    """A command cannot go on for a reason that is not an Offcloud error: exit code 1."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, printed by :func:`main`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[_Parser]


# --------------------------------------------------------------------------------------------
# formatting

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


# --------------------------------------------------------------------------------------------
# progress


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


# --------------------------------------------------------------------------------------------
# what every command gets


class Context:
    """The parsed arguments, the output streams and, on first use, the API client."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        #: Texts to mask in anything printed; the key joins once it is read.
        self.secrets: list[str] = []
        self._client: Optional[OffcloudAPI] = None

    @property
    def client(self) -> OffcloudAPI:
        """The API client, made on first use so that commands without one need no key."""
        if self._client is None:
            settings = load_settings()
            key = settings.require_key()
            self.secrets.append(key)
            base_url = self.args.api_url or settings.api_url
            if base_url:
                self._warn_if_plain_http(base_url)
            retry = RetryPolicy.for_commands(sleep)
            self._client = OffcloudAPI(key, base_url=base_url, retry=retry)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def print(self, *lines: str) -> None:
        for line in lines:
            print(printable(line), file=self.out)

    def print_json(self, value: Any) -> None:
        text = json.dumps(to_json(value), indent=2, ensure_ascii=False)
        # Valid JSON either way: any character may be written as a \u escape.
        text = _UNPRINTABLE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
        print(text, file=self.out)

    def note(self, message: str) -> None:
        print(f"{PROG}: {printable(self.redact(message))}", file=self.err)

    def error(self, message: str) -> None:
        print(f"{PROG}: error: {printable(self.redact(message))}", file=self.err)

    def redact(self, text: str) -> str:
        return " ".join(redact(text, self.secrets).split())

    def progress(self, label: str) -> ProgressBar:
        return ProgressBar(label, self.err, clock=clock)

    def _warn_if_plain_http(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            self.note(f"warning: the API key goes unencrypted over http to {parts.hostname}")


Handler = Callable[[Context], int]


def _add_command(
    subparsers: Subparsers, name: str, summary: str, run: Handler
) -> argparse.ArgumentParser:
    """Register a command that runs ``run``; a group adds its own subparsers to the result."""
    parser = subparsers.add_parser(
        name, help=summary, description=summary, parents=[_global_options(subcommand=True)]
    )
    parser.set_defaults(run=run)
    return parser


def _global_options(*, subcommand: bool) -> _Parser:
    """Options valid before and after the command name.

    After it they default to SUPPRESS, so an option given before the command is not reset.
    """
    options = _Parser(add_help=False)
    options.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if subcommand else False,
        help="print JSON for scripts instead of text",
    )
    options.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if subcommand else False,
        help="log what happens (requests, retries, polls) to stderr",
    )
    options.add_argument(
        "--api-url",
        metavar="URL",
        default=argparse.SUPPRESS if subcommand else None,
        help=f"the API's base URL (default: {ENV_API_URL}, the config file, Offcloud's)",
    )
    return options


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"minutes must be 0 or more, not {text!r}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


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


# --------------------------------------------------------------------------------------------
# account and sites


def add_credential_parsers(subparsers: Subparsers) -> None:
    """``account``, ``login`` and ``logout`` (offcloud_api.cli_login)."""
    from .cli_login import add_parsers  # noqa: PLC0415 - cli_login imports this module

    add_parsers(subparsers)


def _account_fields(account: AccountInfo) -> list[tuple[str, Optional[str]]]:
    expires = None
    if account.expiration is not None:
        expires = format_when(account.expiration) + (" (expired)" if account.is_expired else "")
    limits = None
    if account.limits:
        limits = ", ".join(
            f"{name} {'unlimited' if value is None else value}"
            for name, value in sorted(account.limits.items())
        )
    return [
        ("Premium", yes_no(account.is_premium)),
        ("Can download", yes_no(account.can_download)),
        ("Expires", expires),
        ("User id", account.user_id),
        ("E-mail", account.email),
        ("Limits", limits),
        ("API", account.api_generation),
    ]


def add_sites_parser(subparsers: Subparsers) -> None:
    _add_command(subparsers, "sites", "list the hosts Offcloud supports", run_sites)


def run_sites(ctx: Context) -> int:
    sites = sorted(ctx.client.get_supported_sites(), key=lambda site: site.name.lower())
    if ctx.args.json:
        ctx.print_json(sites)
        return EXIT_OK
    rows = [
        [
            site.name,
            site.status.value,
            "cloud only" if site.cloud_only else "yes",
            "-" if site.max_chunks is None else str(site.max_chunks),
        ]
        for site in sites
    ]
    ctx.print(*format_table(["HOST", "STATUS", "INSTANT", "CHUNKS"], rows, right=[3]))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# jobs


def add_add_parser(subparsers: Subparsers) -> None:
    parser = _add_command(subparsers, "add", "add a link, magnet or URL to Offcloud", run_add)
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
    parser = _add_command(subparsers, "status", "show where a cloud job stands", run_status)
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
    parser = _add_command(subparsers, "wait", "wait until a cloud job is downloaded", run_wait)
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
    parser = _add_command(subparsers, "explore", "list the files of a finished job", run_explore)
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
    _add_command(subparsers, "history", "list the cloud jobs of the account", run_history)


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
    parser = _add_command(
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
    parser = _add_command(subparsers, "retry", "ask Offcloud to retry a failed job", run_retry)
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


def add_proxies_parser(subparsers: Subparsers) -> None:
    _add_command(subparsers, "proxies", "list the proxies for instant downloads", run_proxies)


def run_proxies(ctx: Context) -> int:
    proxies = ctx.client.get_proxies()
    if ctx.args.json:
        ctx.print_json(proxies)
    else:
        rows = [[proxy.id, proxy.region or "-", proxy.name or "-"] for proxy in proxies]
        ctx.print(*format_table(["ID", "REGION", "NAME"], rows))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# cache


def add_cache_parser(subparsers: Subparsers) -> None:
    parser = _add_command(
        subparsers, "cache", "check whether Offcloud holds torrents already", run_cache
    )
    parser.add_argument("items", metavar="MAGNET|HASH", nargs="+", help="magnet links or hashes")
    parser.add_argument(
        "--files",
        action="store_true",
        help="also list the files of cached torrents (one call per 100 instead of per 1,000)",
    )


def run_cache(ctx: Context) -> int:
    items: list[str] = ctx.args.items
    for item in items:
        if info_hash_of(item) is None:
            what = "a magnet link with a valid info-hash" if is_magnet(item) else "an info-hash"
            raise UsageError(f"not a magnet link or info-hash: {item!r} is not {what}")
    # Files only on request: without them, 1,000 hashes are one call (/cache answers hits only).
    results = ctx.client.cache_info(items, include_files=ctx.args.files)
    if ctx.args.json:
        ctx.print_json(results)
        return EXIT_OK
    for result in results:
        ctx.print(_cache_line(result))
        if ctx.args.files:
            ctx.print(*(f"    {file.path}" for file in result.files))
    return EXIT_OK


def _cache_line(result: CacheResult) -> str:
    """``yes``/``no``, the hash, and the number of files where they were asked for."""
    count = len(result.files)
    files = "-" if not count else f"{count} file{'s' if count != 1 else ''}"
    cached = "yes" if result.cached else "no"
    return f"{cached:<3}  {result.info_hash or '-':<40}  {files}"


# --------------------------------------------------------------------------------------------
# downloading to this computer


def add_download_parser(subparsers: Subparsers) -> None:
    parser = _add_command(
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


# --------------------------------------------------------------------------------------------
# the simulator


def add_simulate_parser(subparsers: Subparsers) -> None:
    parser = _add_command(
        subparsers,
        "simulate",
        "run a local Offcloud simulator (point --api-url or OFFCLOUD_API_URL at it)",
        run_simulate,
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_SIMULATOR_HOST,
        help=f"the address to listen on (default: {DEFAULT_SIMULATOR_HOST})",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_SIMULATOR_PORT,
        help=f"the port to listen on, 0 for any free one (default: {DEFAULT_SIMULATOR_PORT})",
    )
    parser.add_argument(
        "--scenario", type=Path, metavar="FILE", help="a scenario file for the simulator"
    )


def run_simulate(ctx: Context) -> int:
    try:
        # Imported here: the simulator is not needed (and may not be installed) for the rest.
        simulator = importlib.import_module("offcloud_api.simulator")
    except ImportError as exc:
        raise CommandError(f"the Offcloud simulator cannot be loaded: {exc}") from exc
    serve = getattr(simulator, "serve", None)
    if not callable(serve):
        raise CommandError("the Offcloud simulator module has no serve() function")
    code = serve(host=ctx.args.host, port=ctx.args.port, scenario=ctx.args.scenario)
    return code if isinstance(code, int) else EXIT_OK


# --------------------------------------------------------------------------------------------
# pyLoad


def add_pyload_parser(subparsers: Subparsers) -> None:
    parser = _add_command(
        subparsers, "pyload", "install the Offcloud plugins into a pyLoad", run_pyload_help
    )
    actions = parser.add_subparsers(
        title="actions", dest="pyload_action", metavar="ACTION", required=True
    )
    for name, summary, run in (
        (
            "install",
            "copy the plugins and a private copy of the library into pyLoad's user folder",
            run_pyload_install,
        ),
        ("uninstall", "remove exactly what install wrote", run_pyload_uninstall),
        (
            "status",
            "show the installed version and whether pyLoad has loaded it",
            run_pyload_status,
        ),
    ):
        action = actions.add_parser(
            name, help=summary, description=summary, parents=[_global_options(subcommand=True)]
        )
        action.set_defaults(run=run)
        action.add_argument(
            "--userdir",
            type=Path,
            default=None,
            help="pyLoad's user folder (default: ~/.pyload; the linuxserver image mounts /config)",
        )
        action.add_argument(
            "--python",
            type=Path,
            default=None,
            help="the Python that runs pyLoad, to check it (default: the pyload command's)",
        )
        if name != "status":
            action.add_argument(
                "--force",
                action="store_true",
                help="also replace (install) or remove (uninstall) files changed since or not ours",
            )
    from .cli_login import add_pyload_login  # noqa: PLC0415 - cli_login imports this module

    add_pyload_login(actions)


def run_pyload_help(ctx: Context) -> int:  # pragma: no cover - argparse requires an action
    raise CommandError("say install, uninstall or status")


def _pyload_paths(ctx: Context) -> tuple[Path, Path]:
    from .install import installer  # noqa: PLC0415 - only this group needs it

    userdir = (ctx.args.userdir or installer.default_userdir()).expanduser()
    python = ctx.args.python or installer.find_pyload_python()
    return userdir, python


def _report(ctx: Context, report: Any, python_check: Any = None) -> None:
    if ctx.args.json:
        value: dict[str, Any] = {
            "stamp": report.stamp,
            "installed_at": report.installed_at,
            "restart": report.restart,
            "notes": report.notes,
            "files": [
                {
                    "file": f"{f.folder}/{f.name}",
                    "state": f.state,
                    "version": f.version,
                    "path": str(f.target),
                }
                for f in report.files
            ],
        }
        if python_check is not None:
            value["python"] = {
                "path": str(python_check.python),
                "ok": python_check.ok,
                "detail": python_check.detail,
            }
        ctx.print_json(value)
        return
    plugins = [f for f in report.files if not f.folder.startswith("offcloud_lib")]
    library = [f for f in report.files if f.folder.startswith("offcloud_lib")]
    for f in plugins:
        version = f" {f.version}" if f.version else ""
        ctx.print(f"{f.state:<10} {f.folder}/{f.name}{version}  ({f.target})")
    if library:
        counts: dict[str, int] = {}
        for f in library:
            counts[f.state] = counts.get(f.state, 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        where = library[0].target.parents[len(Path(library[0].name).parts) - 1]
        ctx.print(f"library    {len(library)} files ({summary})  ({where})")
        for f in library:
            if f.state in ("foreign", "modified", "kept", "missing"):
                ctx.print(f"{f.state:<10} {f.folder}/{f.name}  ({f.target})")
    if report.stamp:
        when = f", {report.installed_at}" if report.installed_at else ""
        ctx.print(f"version    {report.stamp}{when}")
    for note in report.notes:
        ctx.print(f"note       {note}")
    if report.restart:
        ctx.print(f"pyLoad     {report.restart}")
    if python_check is not None:
        verdict = "can" if python_check.ok else "CANNOT"
        ctx.print(
            f"python     {python_check.python} {verdict} run the plugins ({python_check.detail})"
        )


def _installer_call(call: Callable[[], Any]) -> Any:
    from .install.installer import InstallError  # noqa: PLC0415

    try:
        return call()
    except InstallError as exc:
        raise CommandError(str(exc)) from None


def run_pyload_install(ctx: Context) -> int:
    from .install import installer  # noqa: PLC0415

    userdir, python = _pyload_paths(ctx)
    report = _installer_call(lambda: installer.install(userdir, force=ctx.args.force))
    check = installer.check_python(python, userdir) if ctx.args.python else None
    _report(ctx, report, check)
    if not ctx.args.json:
        changed = sum(f.state not in ("unchanged",) for f in report.files)
        ctx.print(
            f"{changed} file(s) written or removed under {userdir / 'plugins'}. Restart pyLoad, "
            "then add an account of type OffcloudCom with your API key as the password."
        )
    return EXIT_OK if check is None or check.ok else EXIT_ERROR


def run_pyload_uninstall(ctx: Context) -> int:
    from .install import installer  # noqa: PLC0415

    userdir, _ = _pyload_paths(ctx)
    report = _installer_call(lambda: installer.uninstall(userdir, force=ctx.args.force))
    _report(ctx, report)
    if not ctx.args.json:
        ctx.print("Restart pyLoad to unload the plugins.")
    return EXIT_OK if not report.notes else EXIT_ERROR


def run_pyload_status(ctx: Context) -> int:
    from .install import installer  # noqa: PLC0415

    userdir, python = _pyload_paths(ctx)
    report = _installer_call(lambda: installer.status(userdir))
    check = installer.check_python(python, userdir) if ctx.args.python else None
    _report(ctx, report, check)
    current = all(f.state == "current" for f in report.files) and not report.notes
    return EXIT_OK if current and (check is None or check.ok) else EXIT_ERROR


# --------------------------------------------------------------------------------------------
# the program


#: Each adds one command (or one group of commands) to the parser.
COMMAND_PARSERS: tuple[Callable[[Subparsers], None], ...] = (
    add_credential_parsers,
    add_sites_parser,
    add_add_parser,
    add_status_parser,
    add_wait_parser,
    add_explore_parser,
    add_download_parser,
    add_cache_parser,
    add_history_parser,
    add_remove_parser,
    add_retry_parser,
    add_proxies_parser,
    add_simulate_parser,
    add_pyload_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Use an Offcloud.com account from the command line.",
        epilog=_KEY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options(subcommand=False)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    for add_parser in COMMAND_PARSERS:
        add_parser(subparsers)
    return parser


def exit_code_for(error: OffcloudError) -> int:
    """The exit code of a library error (the table in this module's docstring)."""
    if isinstance(error, AuthError):
        return EXIT_AUTH
    if isinstance(error, (NotFoundError, FileOfflineError)):
        return EXIT_NOT_FOUND
    if isinstance(error, TemporaryError):
        return EXIT_TEMPORARY
    if isinstance(error, (FeatureNotAvailableError, CloudFullError, IPNotRegisteredError)):
        return EXIT_NOT_AVAILABLE
    return EXIT_ERROR


def describe(error: OffcloudError) -> str:
    """The one-line message for a library error."""
    message = error.message
    if isinstance(error, RateLimitError):
        if error.retry_after is not None:
            return f"{message}; Offcloud asks to retry after {format_duration(error.retry_after)}"
        return f"{message}; try again later"
    if isinstance(error, IPNotRegisteredError):
        return f"{message}; confirm this IP with the link Offcloud e-mailed you"
    if isinstance(error, CloudFullError):
        # docs/api.md L23: only removing jobs frees it; the CLI removes nothing on its own.
        return f"{message}; remove finished jobs (offcloud remove ID, or {CLOUD_PAGE})"
    return message


class _RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(name)s: %(message)s")
        self.secrets = secrets  # the caller's list: the key is added once read

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record), self.secrets)
        # Line by line: a traceback keeps its lines.
        return "\n".join(printable(line) for line in text.split("\n"))


@contextmanager
def _verbose_logging(ctx: Context) -> Iterator[None]:
    """With ``-v``, the library's DEBUG log on stderr (only its own loggers: urllib3 would log
    full URLs, and download URLs may carry secrets)."""
    if not ctx.args.verbose:
        yield
        return
    logger = logging.getLogger("offcloud_api")
    handler = logging.StreamHandler(ctx.err)
    handler.setFormatter(_RedactingFormatter(ctx.secrets))
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def _mask_configured_key(message: str) -> str:
    """Mask the configured key in a usage error: argparse echoes what was typed, key included."""
    try:
        key = load_settings().api_key
    except ConfigError:
        key = None
    return redact(message, (key,))


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line; return the exit code."""
    out, err = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"{PROG}: error: {printable(_mask_configured_key(str(exc)))}", file=err)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK

    ctx = Context(args, out, err)
    with _verbose_logging(ctx):
        try:
            run: Handler = args.run
            return run(ctx)
        except KeyboardInterrupt:
            ctx.error("interrupted")
            return EXIT_INTERRUPTED
        except UsageError as exc:
            ctx.error(str(exc))
            return EXIT_USAGE
        except ConfigError as exc:
            ctx.error(str(exc))
            return EXIT_AUTH
        except OffcloudError as exc:
            log.debug("%s failed: %r", args.command, exc)
            ctx.error(describe(exc))
            return exit_code_for(exc)
        except CommandError as exc:
            ctx.error(str(exc))
            return EXIT_ERROR
        finally:
            ctx.close()


if __name__ == "__main__":
    sys.exit(main())
