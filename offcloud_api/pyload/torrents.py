"""What the torrent and cloud-folder plugins decide, kept outside pyLoad so it can be tested.

The plugin files (``decrypters/OffcloudComTorrent.py``, ``decrypters/OffcloudComFolder.py`` and
the folder and archive expansion of ``downloaders/OffcloudCom.py``) translate between pyLoad and
this module: where a torrent comes from and whether it may be read, what the cache policy says,
which cloud job to reuse, which files the filters keep, and how files become pyLoad packages.

Sub-folders. A pyLoad package has exactly one folder, and a file's name is reduced to its last
part before it is saved (``parse.name``), so a file cannot carry a sub-folder of its own. The
package folder, though, may be a nested path: the download side joins it with ``safejoin`` and
``PyPackage.folder`` cleans it part by part (``safepath``), keeping the separators. Only pyLoad's
API flattens it (``add_package`` and ``set_package_data`` run ``secure_filename``, so
``Release/Sub`` would become ``ReleaseSub``). So each folder of a job becomes a package of its own
(``Release`` for the files at the top, ``Release/Sub`` for those in ``Sub``) whose folder is set
to the nested path directly on the package object, as ``set_package_data`` does without the
flattening. On disk the files land exactly as in the job: ``<storage>/Release/Sub/ep1.mkv``.
Editing such a package's folder in pyLoad's web UI flattens it again (pyLoad's own rule).
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

from ..client import OffcloudAPI
from ..exceptions import HTTPError, NotFoundError
from ..magnet import info_hash_of
from ..models import CacheResult, CloudFile, Job, JobStatus
from ..torrent import TorrentError, parse_torrent
from ..units import format_size, parse_size
from .cachebook import CacheBook, cachebook
from .intake import local_torrent_path as inside_tempdir
from .jobs import JobStore, remember, remembered_job
from .support import format_progress, job_storage_key, parse_file_url

__all__ = [
    "ACCOUNT_PLUGIN",
    "VIDEO_EXTENSIONS",
    "ArchiveMode",
    "CachePolicy",
    "FileFilter",
    "HistoryMemo",
    "NothingSelectedError",
    "PackagePlan",
    "SourceKind",
    "Step",
    "TorrentJob",
    "TorrentRef",
    "TorrentSourceError",
    "add_packages",
    "choose_account",
    "decide",
    "expanded_name",
    "find_existing_job",
    "folder_request_id",
    "is_archive_name",
    "local_torrent_path",
    "match_refreshed_file",
    "no_account_message",
    "obtain_job",
    "plan_packages",
    "refusal_message",
    "select_and_plan",
    "show_progress",
    "source_kind",
    "submitted_message",
    "submitting",
    "torrent_from_bytes",
    "torrent_from_magnet",
]

#: The account plugin every Offcloud plugin uses (the decrypters' own names differ from it).
ACCOUNT_PLUGIN = "OffcloudCom"

# --------------------------------------------------------------------------------------------
# Where a torrent comes from


class TorrentSourceError(ValueError):
    """A link the torrent decrypter will not (or cannot) read; the message is for the user."""


class SourceKind(str, Enum):
    MAGNET = "magnet"
    LOCAL_FILE = "local file"  # file://, what pyLoad's TORRENT container makes of an upload
    REMOTE_FILE = "remote file"  # http(s)://….torrent


def source_kind(url: str) -> SourceKind:
    scheme = url.strip().partition(":")[0].lower()
    if scheme == "magnet":
        return SourceKind.MAGNET
    if scheme == "file":
        return SourceKind.LOCAL_FILE
    if scheme in ("http", "https"):
        return SourceKind.REMOTE_FILE
    raise TorrentSourceError("Not a magnet link or .torrent address")


@dataclass(frozen=True)
class TorrentRef:
    """A torrent as Offcloud is asked about it: its info-hash and the magnet link sent."""

    info_hash: str  # lower-case hex, v1
    magnet: str
    name: Optional[str] = None  # the magnet's ``dn`` or the .torrent's name

    @property
    def storage_key(self) -> str:
        """Where the job is remembered: by info-hash, so a magnet and its .torrent share it."""
        return job_storage_key("btih:" + self.info_hash)

    @property
    def display_name(self) -> str:
        return self.name or self.info_hash


def torrent_from_magnet(url: str) -> TorrentRef:
    magnet = url.strip()
    info_hash = info_hash_of(magnet)
    if info_hash is None:
        raise TorrentSourceError("Not a BitTorrent magnet link: it has no urn:btih info-hash")
    names = parse_qs(urlsplit(magnet).query).get("dn")
    return TorrentRef(info_hash, magnet, (names[0].strip() or None) if names else None)


def torrent_from_bytes(data: bytes) -> TorrentRef:
    """A .torrent read locally and sent as its magnet link (with its trackers)."""
    try:
        info = parse_torrent(data)
    except TorrentError as exc:
        raise TorrentSourceError(f"Not a valid .torrent file: {exc}") from None
    return TorrentRef(info.info_hash, info.magnet, info.name)


def local_torrent_path(url: str, tempdir: str) -> str:
    """The path of a ``file://`` .torrent, which must lie inside pyLoad's temp folder.

    pyLoad's TORRENT container saves uploads there (``tmp_<name>.torrent``). Anything else is
    refused: a ``file://`` link anyone can add must not make pyLoad read, and send away, a file of
    the user's choosing. The rule itself is the batch-check addon's (:mod:`.intake`).
    """
    path = inside_tempdir(url, tempdir)
    if path is None:
        raise TorrentSourceError(
            "Illegal URL: a file:// .torrent is read only from pyLoad's temp folder "
            "(upload .torrent files through pyLoad, or add a magnet link)"
        )
    return path


# --------------------------------------------------------------------------------------------
# The cache policy


class CachePolicy(str, Enum):
    """What to do with a torrent Offcloud does not hold yet (the ``cache_policy`` option)."""

    ALL = "all"  # add it and wait until Offcloud has fetched it
    ONLY_CACHED = "only_cached"  # refuse it; nothing is added to Offcloud
    UNCACHED_TO_CLOUD = "uncached_to_cloud"  # add it to the cloud, but do not wait in pyLoad

    @classmethod
    def parse(cls, value: Any) -> CachePolicy:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            return cls.ALL


class Step(str, Enum):
    FETCH = "fetch"  # add (or reuse) the job, wait for it, hand its files to pyLoad
    SUBMIT_ONLY = "submit_only"  # add (or reuse) the job and stop there
    REFUSE = "refuse"  # add nothing
    WAIT_SLOT = "wait_slot"  # add nothing yet: max_running_jobs is reached (the addon adds it)


def decide(policy: CachePolicy, *, ready: bool) -> Step:
    """The policy table. ``ready``: cached at Offcloud, or already downloaded in the cloud."""
    if ready or policy is CachePolicy.ALL:
        return Step.FETCH
    if policy is CachePolicy.ONLY_CACHED:
        return Step.REFUSE
    return Step.SUBMIT_ONLY


def _job_state(job: Job) -> str:
    fraction = job.fraction_done
    percent = f" {fraction * 100:.0f} %" if fraction is not None and fraction > 0 else ""
    return f"job {job.request_id}, {job.status.value}{percent}"


def refusal_message(torrent: TorrentRef, job: Optional[Job]) -> str:
    where = (
        f"It is in your Offcloud cloud but not finished ({_job_state(job)})"
        if job is not None and not job.status.is_failed
        else "Nothing was added to Offcloud"
    )
    return (
        f"Offcloud does not have {torrent.display_name} cached and the cache policy is "
        f"only_cached. {where}. Set cache_policy of OffcloudComTorrent to all (or "
        "uncached_to_cloud) and restart the link to fetch it anyway"
    )


def submitted_message(torrent: TorrentRef, job: Job) -> str:
    return (
        f"{torrent.display_name} is not cached: it is downloading in your Offcloud cloud "
        f"({_job_state(job)}). The cache policy uncached_to_cloud does not wait for it; restart "
        "this link later to download the files"
    )


# --------------------------------------------------------------------------------------------
# Jobs already in the cloud


def find_existing_job(history: Iterable[Job], info_hash: str) -> Optional[Job]:
    """The job of ``info_hash`` in the cloud history: the first live one, else a failed one.

    A job belongs to the torrent when its ``originalLink`` carries the hash (a magnet in hex or
    base32, or a link with the hex hash in it), as Torrentio and StremThru match them
    (docs/api.md §6.2).
    """
    info_hash = info_hash.lower()
    failed: Optional[Job] = None
    for job in history:
        link = job.original_link or ""
        if info_hash not in link.lower() and info_hash_of(link) != info_hash:
            continue
        if not job.status.is_failed:
            return job
        failed = failed or job
    return failed


class HistoryMemo:
    """The cloud history per account, reused for ``ttl`` seconds and fetched once at a time.

    Many magnets added together are decrypted in parallel threads; without this each would
    fetch the whole history. Jobs pyLoad adds itself are remembered in its storage, so an answer
    a few seconds old cannot make pyLoad add a torrent twice.
    """

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, list[Job]]] = {}

    def history(self, api: OffcloudAPI) -> list[Job]:
        account = hashlib.sha256((api.api_key or "").encode("utf-8")).hexdigest()[:16]
        with self._lock:  # one fetch at a time: the others then find its answer
            entry = self._entries.get(account)
            if entry is not None and self._clock() - entry[0] <= self._ttl:
                return entry[1]
            jobs = api.get_history()
            self._entries[account] = (self._clock(), jobs)
            return jobs


#: The memo of a pyLoad process.
history_memo = HistoryMemo()

_submission_guard = threading.Lock()
_submission_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def submitting(info_hash: str) -> Iterator[None]:
    """One decision per torrent at a time: a magnet and its .torrent added together add once."""
    with _submission_guard:
        lock = _submission_locks.setdefault(info_hash, threading.Lock())
    with lock:
        yield


@dataclass(frozen=True)
class TorrentJob:
    """What :func:`obtain_job` decided, and the job to follow (``None`` if nothing exists)."""

    step: Step
    job: Optional[Job]
    cached: Optional[bool]  # Offcloud's cache answer; None when it was not needed
    reused: bool  # the job existed before (remembered or in the history)


def obtain_job(
    api: OffcloudAPI,
    store: JobStore,
    torrent: TorrentRef,
    policy: CachePolicy,
    *,
    book: CacheBook = cachebook,
    memo: HistoryMemo = history_memo,
    admit: Optional[Callable[[], bool]] = None,
) -> TorrentJob:
    """Find or add the cloud job of ``torrent`` as ``policy`` says; never add it twice.

    In order: the job remembered for this info-hash (a retry, a restart, the same torrent added
    again), then a job in the cloud history (legacy API only: the 2026 add itself returns the
    live job of a magnet), then Offcloud's cache answer (from the process-wide
    book the batch-check addon fills, else one ``cache/info`` call; with policy ``all`` the
    answer changes nothing, so it is only read from the book). A failed job is retried by
    Offcloud once, or added again when Offcloud will not retry it.

    ``admit`` is the cap on running jobs (``max_running_jobs``): asked before a torrent that is
    not ready starts a new job; when it says no, nothing is added (``Step.WAIT_SLOT``). With a
    cap the cache answer matters, so it is asked for when the book has none.
    """
    key = torrent.storage_key
    with submitting(torrent.info_hash):
        job = remembered_job(api, store, key)
        remembered = job is not None
        if job is None and api.api_generation != "2026":
            # The 2026 API answers a magnet added again while its job lives with that job
            # (docs/api.md L5), so the history (no paging, L12) is not needed there.
            job = find_existing_job(memo.history(api), torrent.info_hash)
        cached: Optional[bool] = None
        if job is not None and not job.status.is_failed:
            ready = job.status is JobStatus.DOWNLOADED
        else:
            answer = _cache_answer(api, torrent, policy, book, needed=admit is not None)
            cached = answer.cached if answer is not None else None
            ready = bool(cached)
        step = decide(policy, ready=ready)
        reused = job is not None
        if step is Step.REFUSE:
            return TorrentJob(step, job, cached, reused)
        if job is None and not ready and admit is not None and not admit():
            return TorrentJob(Step.WAIT_SLOT, None, cached, False)
        if job is None:
            job = api.cloud(torrent.magnet)
            remember(store, key, job.request_id)
        elif job.status.is_failed:
            job = _retry_or_add(api, store, key, job, torrent)
        elif not remembered:
            remember(store, key, job.request_id)
        return TorrentJob(step, job, cached, reused)


def _cache_answer(
    api: OffcloudAPI,
    torrent: TorrentRef,
    policy: CachePolicy,
    book: CacheBook,
    *,
    needed: bool = False,
) -> Optional[CacheResult]:
    needed = needed or policy is not CachePolicy.ALL
    # The book waits for an answer the batch check is still fetching, but only when it matters.
    answer = book.lookup(torrent.info_hash, wait=needed)
    if answer is None and needed:
        answer = api.cache_info([torrent.magnet])[0]
        book.remember([answer])
    return answer


def _retry_or_add(
    api: OffcloudAPI, store: JobStore, key: str, job: Job, torrent: TorrentRef
) -> Job:
    try:
        api.retry(job.request_id)
    except (NotFoundError, HTTPError):  # gone, or Offcloud will not retry it: add it again
        fresh = api.cloud(torrent.magnet)
        remember(store, key, fresh.request_id)
        return fresh
    remember(store, key, job.request_id, retried=True)
    return api.cloud_status(job.request_id)


# --------------------------------------------------------------------------------------------
# Cloud folder links


_FOLDER_URL = re.compile(
    r"https?://(?:[\w-]+\.)?offcloud\.com/cloud/download/(?P<request_id>\w+)/?(?:[?#].*)?$"
)


def folder_request_id(url: str) -> Optional[str]:
    """The request id of an Offcloud request-folder link (no file part), or ``None``."""
    match = _FOLDER_URL.match(url.strip())
    return match.group("request_id") if match else None


# --------------------------------------------------------------------------------------------
# Which files


#: The plugin options :meth:`FileFilter.from_config` reads.
FILTER_OPTIONS = ("include", "exclude", "min_size", "largest_only", "video_only")
#: What ``video_only`` keeps, by extension (docs/configuration.md).
VIDEO_EXTENSIONS = frozenset(
    {
        "3gp", "avi", "divx", "flv", "m2ts", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "mts",
        "ogv", "rm", "rmvb", "ts", "vob", "webm", "wmv",
    }
)  # fmt: skip


@dataclass(frozen=True)
class FileFilter:
    """Which files of a job are downloaded: globs, then kind and size.

    ``include`` and ``exclude`` globs (comma- or semicolon-separated, case-insensitive): a glob
    without ``/`` is matched against the file name, one with ``/`` against the file's path inside
    the job (``Release/Sample/*``; ``*`` also crosses ``/``). No ``include`` globs means every
    file; ``exclude`` then removes files. Then ``video_only`` keeps video files
    (:data:`VIDEO_EXTENSIONS`), ``min_size`` (bytes, 0 = off) drops smaller files and
    ``largest_only`` keeps the one largest file. A file whose size Offcloud did not give is kept
    by the size rules (Offcloud's bare explore list has no sizes), and ``largest_only`` then keeps
    every file, since none can be told apart.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_size: int = 0
    largest_only: bool = False
    video_only: bool = False

    @classmethod
    def parse(cls, include: Any, exclude: Any) -> FileFilter:
        return cls(_globs(include), _globs(exclude))

    @classmethod
    def from_config(cls, get: Callable[..., Any]) -> FileFilter:
        """From a plugin's options (``self.config.get``); ValueError names a bad ``min_size``."""
        text = str(get("min_size", "") or "").strip()
        try:
            min_size = parse_size(text) if text else 0
        except ValueError as exc:
            raise ValueError(f"The option min_size: {exc}") from None
        return cls(
            _globs(get("include", "")),
            _globs(get("exclude", "")),
            min_size=min_size,
            largest_only=bool(get("largest_only", False)),
            video_only=bool(get("video_only", False)),
        )

    def accepts(self, file: CloudFile) -> bool:
        """Whether the globs, the kind and the minimum size keep ``file`` (not ``largest_only``)."""
        if self.include and not any(_matches(file, glob) for glob in self.include):
            return False
        if any(_matches(file, glob) for glob in self.exclude):
            return False
        if self.video_only and _extension(file.name) not in VIDEO_EXTENSIONS:
            return False
        return not (self.min_size and file.size is not None and file.size < self.min_size)

    def select(self, files: Iterable[CloudFile]) -> list[CloudFile]:
        kept = [file for file in files if self.accepts(file)]
        if self.largest_only and kept and all(file.size is not None for file in kept):
            return [max(kept, key=lambda file: file.size or 0)]
        return kept

    def describe(self) -> str:
        parts = []
        if self.include:
            parts.append("include " + ", ".join(self.include))
        if self.exclude:
            parts.append("exclude " + ", ".join(self.exclude))
        if self.video_only:
            parts.append("video files only")
        if self.min_size:
            parts.append(f"at least {format_size(self.min_size)}")
        if self.largest_only:
            parts.append("the largest file only")
        return "; ".join(parts) or "no filters"


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _globs(value: Any) -> tuple[str, ...]:
    text = str(value or "")
    return tuple(glob.strip().lower() for glob in re.split(r"[,;]", text) if glob.strip())


def _matches(file: CloudFile, glob: str) -> bool:
    subject = file.path if "/" in glob else file.name
    return fnmatch.fnmatchcase(subject.lower(), glob)


class NothingSelectedError(ValueError):
    """The filters left no file; the message is for the user."""


def select_and_plan(
    name: str, files: Sequence[CloudFile], file_filter: FileFilter
) -> list[PackagePlan]:
    """The packages for the files ``file_filter`` keeps; at least one file must stay."""
    selected = file_filter.select(files)
    if not selected:
        raise NothingSelectedError(
            f"The file filters ({file_filter.describe()}) left none of the "
            f"{len(files)} files of {name}"
        )
    return plan_packages(name, selected)


# --------------------------------------------------------------------------------------------
# Packages


@dataclass(frozen=True)
class PackagePlan:
    """One pyLoad package: its name, its links and its folder (relative, ``/``-separated)."""

    name: str
    links: tuple[str, ...]
    folder: str

    def as_tuple(self) -> tuple[str, list[str], str]:
        """The ``(name, links, folder)`` form of a decrypter's ``self.packages``."""
        return self.name, list(self.links), self.folder


#: Characters pyLoad removes from file and folder names (``pyload.core.utils.fs.safename``).
_BAD_NAME_CHARS = re.compile(r'[<>:"/\\|?*\x00]')


def clean_part(part: str) -> str:
    """A folder name pyLoad will keep: its bad characters gone, never ``.`` or ``..``."""
    cleaned = _BAD_NAME_CHARS.sub("", part).strip()
    return "" if cleaned in (".", "..") else cleaned


def plan_packages(name: str, files: Sequence[CloudFile]) -> list[PackagePlan]:
    """One package per folder of the job: ``name`` for the top, ``name/Sub`` for ``Sub``.

    The job's own top folder (every path starts with it) is replaced by ``name``, so the package
    folder is named like the package. Packages come in the order their first file appears, the
    top-level files first.
    """
    top = clean_part(name) or "Offcloud"
    paths = [[p for p in file.path.split("/") if p] or [file.name] for file in files]
    firsts = {parts[0] for parts in paths}
    strip = len(firsts) == 1 and all(len(parts) > 1 for parts in paths)
    groups: dict[tuple[str, ...], list[str]] = {}
    for file, parts in zip(files, paths):
        folders = parts[1:-1] if strip else parts[:-1]
        sub = tuple(cleaned for cleaned in (clean_part(p) for p in folders) if cleaned)
        groups.setdefault(sub, []).append(file.url)
    ordered = sorted(groups.items(), key=lambda item: len(item[0]) != 0)  # stable: top first
    return [
        PackagePlan(
            name="/".join([name, *sub]) if sub else name,
            links=tuple(links),
            folder="/".join([top, *sub]),
        )
        for sub, links in ordered
    ]


def package_folder(folder: str, *, per_package: bool, source_folder: str) -> str:
    """Where a planned package goes. Without pyLoad's folder-per-package its top folder goes
    (the files go to the source package's folder, as pyLoad does), its sub-folders stay."""
    if per_package:
        return folder
    sub = folder.partition("/")[2]
    return "/".join(part for part in (source_folder.strip("/"), sub) if part)


def folder_per_package(choice: Any, core_default: Any) -> bool:
    """pyLoad's ``folder_per_package`` plugin choice: ``Default`` defers to the core setting."""
    if str(choice) == "Default":
        return bool(core_default)
    return str(choice) == "Yes"


def add_packages(
    core: Any,
    packages: Iterable[tuple[str, Sequence[str], str]],
    *,
    source: Any,
    per_package: bool,
    log: Callable[[str], None],
) -> list[int]:
    """Add ``(name, links, folder)`` packages next to ``source`` (pyLoad's ``PyPackage``).

    Like pyLoad's ``BaseDecrypter._create_packages`` (same queue, password copied), but the
    folder is set on the package object itself, so a nested ``Release/Sub`` is kept (see the
    module's docstring). The folder is re-cleaned here part by part; ``..`` cannot get through.
    """
    ids: list[int] = []
    for name, links, folder in packages:
        package_id = int(core.api.add_package(name, list(links), source.queue))
        if source.password:
            core.api.set_package_data(package_id, {"password": source.password})
        target = package_folder(
            "/".join(p for p in (clean_part(part) for part in folder.split("/")) if p),
            per_package=per_package,
            source_folder=source.folder or "",
        )
        package = core.files.get_package(package_id)
        package._folder = target  # what set_package_data sets, without its flattening
        package.sync()
        core.files.save()
        log(f"Package {name}: {len(links)} links, folder {target or '(storage folder)'}")
        ids.append(package_id)
    return ids


# --------------------------------------------------------------------------------------------
# Archives behind hoster links


class ArchiveMode(str, Enum):
    """The downloader's ``archives`` option."""

    KEEP = "keep"  # download the archive as one file (where Offcloud hands it over as such)
    EXPAND = "expand"  # let Offcloud unpack it and download its files

    @classmethod
    def parse(cls, value: Any) -> ArchiveMode:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            return cls.KEEP


_ARCHIVE_NAME = re.compile(r"\.(?:zip|rar|7z|tar|tgz|tbz2?|txz|tar\.(?:gz|bz2|xz|zst))$", re.I)


def is_archive_name(name: Optional[str]) -> bool:
    """Whether a file name is an archive Offcloud unpacks in a cloud job (by its extension)."""
    return bool(name) and _ARCHIVE_NAME.search(name or "") is not None


def expanded_name(name: str) -> str:
    """The package name for a job's files: an archive's name without its extension."""
    stem = _ARCHIVE_NAME.sub("", name)
    return stem or name


# --------------------------------------------------------------------------------------------
# Expired file links


def match_refreshed_file(
    old_url: str,
    files: Sequence[CloudFile],
    *,
    path: Optional[str] = None,
    request_id: Optional[str] = None,
) -> Optional[CloudFile]:
    """The file of a fresh explore that an expired Offcloud file link pointed to.

    By the file's path in the job where it was noted (``path``; a 2026 CDN link carries no job
    and a fresh signature, docs/api.md L11), else by a legacy URL's part after the
    request id (``2/ep2.mkv``), else by the file name when only one file has it.
    """
    old = parse_file_url(old_url)
    if old is None:
        return None
    if path:
        by_path = [file for file in files if file.path == path]
        if len(by_path) == 1:
            return by_path[0]
    job = old.request_id or request_id
    old_tail = _tail_after(old_url, job) if job else ""
    for file in files:
        if old_tail and job and _tail_after(file.url, job) == old_tail:
            return file
    named = [file for file in files if file.name == old.name]
    return named[0] if len(named) == 1 else None


def _tail_after(url: str, request_id: str) -> str:
    path = unquote(urlsplit(url).path)
    marker = f"/cloud/download/{request_id}/"
    return path.partition(marker)[2] if marker in path else ""


# --------------------------------------------------------------------------------------------
# The account and the queue


def choose_account(account_manager: Any) -> Any:
    """The Offcloud account plugin with a usable login chosen, or ``None``.

    pyLoad's ``choose()`` asks ``select()``: premium logins first, then valid, unexpired ones with
    traffic left, least recently used first (never simply the first login). The decrypters'
    class names differ from the account's, so pyLoad would not find it for them by itself.
    """
    plugin = account_manager.get_account_plugin(ACCOUNT_PLUGIN)
    if not plugin or not plugin.choose():
        return None
    return plugin


def no_account_message(account_manager: Any) -> str:
    """Why no Offcloud login could be chosen, as the account plugin last found it."""
    plugin = account_manager.get_account_plugin(ACCOUNT_PLUGIN)
    reason = getattr(plugin, "blocked_reason", None) if plugin else None
    return str(
        reason
        or "No usable Offcloud account: add one in Settings, Accounts (type OffcloudCom) with "
        "your API key as the password"
    )


def show_progress(pyfile: Any, job: Job) -> None:
    """Offcloud's progress on a pyLoad link: the status text and the percentage."""
    pyfile.set_custom_status(format_progress(job))
    fraction = job.fraction_done
    if fraction is not None:
        pyfile.set_progress(int(fraction * 100))
