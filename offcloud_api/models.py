"""Typed results, parsed once at the edge from Offcloud's loose JSON.

Both API generations are accepted (docs/api.md §3, §7): snake_case and camelCase names,
numbers as strings, ``"unlimited"``, dates as ``YYYY-MM-DD``, ``dd-mm-yyyy``, ISO-8601 or unix
seconds, and envelopes such as ``{"status": {...}}``, ``{"data": [...]}`` or ``{"list": [...]}``.
Unknown fields are ignored. A required field that is missing or of the wrong type raises
:class:`~offcloud_api.exceptions.InvalidResponseError`; nothing else escapes a parser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any, Callable, Optional, TypeVar
from urllib.parse import quote, unquote, urlsplit

from .exceptions import InvalidResponseError

__all__ = [
    "AccountInfo",
    "CacheFile",
    "CacheResult",
    "CachedDownload",
    "CloudFile",
    "Job",
    "JobStatus",
    "Proxy",
    "RemoteAccount",
    "Site",
    "SiteStatus",
    "cloud_file_url",
]


class JobStatus(str, Enum):
    """Where an Offcloud job stands (docs/api.md §3.3)."""

    CREATED = "created"
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    PROCESSING = "processing"
    UPLOADING = "uploading"
    DOWNLOADED = "downloaded"
    ERROR = "error"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: Any) -> JobStatus:
        text = str(value).strip().lower() if value is not None else ""
        if text in _FAILED_STATUS_WORDS:
            return cls.ERROR
        if text == "cancelled":
            return cls.CANCELED
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN  # unknown words keep a wait polling rather than failing it

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.DOWNLOADED, JobStatus.ERROR, JobStatus.CANCELED)

    @property
    def is_failed(self) -> bool:
        return self in (JobStatus.ERROR, JobStatus.CANCELED)


_FAILED_STATUS_WORDS = frozenset({"failed", "dead", "fragile"})


class SiteStatus(str, Enum):
    """Offcloud's verdict on a supported host (docs/api.md §5)."""

    HEALTHY = "healthy"
    FRAGILE = "fragile"
    LIMITED = "limited"
    DEAD = "dead"
    CLOUD_ONLY = "cloud only"
    AWAITING_DEMAND = "awaiting demand"
    COMING_SOON = "coming soon"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: Any) -> SiteStatus:
        text = str(value).strip().lower() if value is not None else ""
        for needle, status in _SITE_STATUS_WORDS:
            if needle in text:
                return status
        return cls.UNKNOWN

    @property
    def is_usable(self) -> bool:
        """Whether links of the host can be sent at all."""
        return self in (
            SiteStatus.HEALTHY,
            SiteStatus.FRAGILE,
            SiteStatus.LIMITED,
            SiteStatus.CLOUD_ONLY,
            SiteStatus.UNKNOWN,
        )


# Substrings as JDownloader and Gaia match them; the 2026 API says "up"/"down".
_SITE_STATUS_WORDS: tuple[tuple[str, SiteStatus], ...] = (
    ("healthy", SiteStatus.HEALTHY),
    ("fragile", SiteStatus.FRAGILE),
    ("limited", SiteStatus.LIMITED),
    ("dead", SiteStatus.DEAD),
    ("cloud", SiteStatus.CLOUD_ONLY),
    ("awaiting", SiteStatus.AWAITING_DEMAND),
    ("r&d", SiteStatus.COMING_SOON),
    ("coming", SiteStatus.COMING_SOON),
    ("down", SiteStatus.DEAD),
    ("up", SiteStatus.HEALTHY),
    ("active", SiteStatus.HEALTHY),
)


# --------------------------------------------------------------------------------------------
# Tolerant field readers


def _pick(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = data.get(name)
        if value is not None and value != "":
            return value
    return None


def _text(value: Any) -> Optional[str]:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> Optional[float]:
    """A float from a number or a numeric string ("1.5 MB/s" keeps 1.5); None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float range
            return None
    elif isinstance(value, str):
        match = re.search(r"-?\d+(?:\.\d+)?", value.replace(",", ""))
        if match is None:
            return None
        number = float(match.group())
    else:
        return None
    if not math.isfinite(number):
        return None
    return number


def _int(value: Any) -> Optional[int]:
    number = _number(value)
    return int(number) if number is not None else None


def _limit(value: Any) -> Optional[int]:
    """A count or size where ``"unlimited"`` (and a missing value) mean no limit: ``None``."""
    if isinstance(value, str) and "unlimited" in value.lower():
        return None
    return _int(value)


def _bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off", ""):
            return False
    return None


# ASCII digits only: str.isdigit() also accepts "²", which float() refuses.
_DIGITS = re.compile(r"^\s*[0-9]+\s*$")


def _date(value: Any) -> Optional[date]:
    """Expiry dates: ``YYYY-MM-DD``, ``dd-mm-yyyy``, ISO-8601 timestamps or unix seconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and _DIGITS.match(value)):
        try:
            seconds = float(value)
            if seconds > 1e11:  # milliseconds
                seconds /= 1000
            return datetime.fromtimestamp(seconds, tz=timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    for pattern, order in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
        (r"(\d{1,2})-(\d{1,2})-(\d{4})", "dmy"),
    ):
        match = re.match(pattern, text)
        if match:
            first, second, third = (int(part) for part in match.groups())
            year, month, day = (first, second, third) if order == "ymd" else (third, second, first)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def _timestamp(value: Any) -> Optional[datetime]:
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = float(value) / (1000 if value > 1e11 else 1)
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _require_mapping(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidResponseError(f"expected an object for {what}, got {type(payload).__name__}")
    return payload


def _unwrap_list(payload: Any, what: str, *envelopes: str) -> list[Any]:
    """A list, bare or inside one of the named envelopes."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, Mapping):
        for name in envelopes:
            inner = payload.get(name)
            if isinstance(inner, list):
                return inner
    raise InvalidResponseError(f"expected a list for {what}, got {type(payload).__name__}")


# --------------------------------------------------------------------------------------------
# Account


@dataclass(frozen=True)
class AccountInfo:
    """The account behind the key (2026 ``account/info``, legacy ``account/stats``)."""

    is_premium: bool
    can_download: bool
    user_id: Optional[str] = None
    email: Optional[str] = None
    expiration: Optional[date] = None
    limits: Mapping[str, Optional[int]] = field(default_factory=dict)
    #: ``"2026"`` when ``account/info`` answered, ``"legacy"`` when ``account/stats`` did; set by
    #: :meth:`OffcloudAPI.get_account_stats`, ``None`` from the parser alone.
    api_generation: Optional[str] = None

    @property
    def is_expired(self) -> bool:
        """True when an expiry date is known and has passed."""
        return self.expiration is not None and self.expiration < datetime.now(timezone.utc).date()

    @classmethod
    def from_api(cls, payload: Any) -> AccountInfo:
        data = _require_mapping(payload, "account info")
        inner = data.get("data") if isinstance(data.get("data"), Mapping) else None
        data = inner or data
        premium = _bool(_pick(data, "is_premium", "isPremium", "premium"))
        if premium is None:
            membership = _text(_pick(data, "membershipType", "membership_type"))
            if membership is None and "user_id" not in data and "userId" not in data:
                raise InvalidResponseError("account info without a premium flag or a user id")
            premium = bool(membership)
        can_download = _bool(_pick(data, "can_download", "canDownload"))
        raw_limits = _pick(data, "limits")
        limits: dict[str, Optional[int]] = {}
        if isinstance(raw_limits, Mapping):
            limits = {str(name): _limit(value) for name, value in raw_limits.items()}
        return cls(
            is_premium=premium,
            can_download=True if can_download is None else can_download,
            user_id=_text(_pick(data, "user_id", "userId", "id")),
            email=_text(_pick(data, "email")),
            expiration=_date(_pick(data, "expiration_date", "expirationDate", "premium_until")),
            limits=limits,
        )


# --------------------------------------------------------------------------------------------
# Supported sites


@dataclass(frozen=True)
class Site:
    """A host Offcloud supports. ``max_chunks`` ``None`` means no limit given."""

    name: str
    status: SiteStatus
    display_name: Optional[str] = None
    hosts: tuple[str, ...] = ()
    no_instant: bool = False
    max_chunks: Optional[int] = None
    max_chunks_global: Optional[int] = None
    max_amount_per_user: Optional[int] = None

    @property
    def domains(self) -> tuple[str, ...]:
        """Every name the host is known by, lower-cased, without duplicates, in order."""
        names = [*self.hosts, self.display_name or "", self.name]
        seen: dict[str, None] = {}
        for raw in names:
            cleaned = raw.strip().lower()
            if cleaned:
                seen.setdefault(cleaned, None)
        return tuple(seen)

    @property
    def cloud_only(self) -> bool:
        return self.no_instant or self.status is SiteStatus.CLOUD_ONLY

    @classmethod
    def from_api(cls, payload: Any) -> Site:
        if isinstance(payload, str):  # a bare name (§00 L17)
            bare = payload.strip()
            if not bare:
                raise InvalidResponseError("a site without a name")
            return cls(name=bare, status=SiteStatus.UNKNOWN, hosts=(bare,))
        data = _require_mapping(payload, "a site")
        name = _text(_pick(data, "name", "host", "displayName", "display_name"))
        if name is None:
            raise InvalidResponseError("a site without a name")
        hosts_raw = _pick(data, "hosts", "domains", "tags")
        hosts = (
            tuple(str(h) for h in hosts_raw if isinstance(h, str))
            if isinstance(hosts_raw, list)
            else ()
        )
        status_raw = _pick(data, "isActive", "status", "state")
        status = SiteStatus.parse(status_raw) if status_raw is not None else SiteStatus.UNKNOWN
        if data.get("deadFor") not in (None, "", 0, False):
            status = SiteStatus.DEAD
        return cls(
            name=name,
            status=status,
            display_name=_text(_pick(data, "displayName", "display_name")),
            hosts=hosts,
            no_instant=bool(_bool(_pick(data, "noInstantDownload", "no_instant_download"))),
            max_chunks=_limit(_pick(data, "maxChunks", "max_chunks")),
            max_chunks_global=_limit(_pick(data, "maxChunksGlobal", "max_chunks_global")),
            max_amount_per_user=_limit(_pick(data, "maxAmountPerUser", "maxAmount", "max_amount")),
        )


# --------------------------------------------------------------------------------------------
# Jobs: add, status, history


def cloud_file_url(server: str, request_id: str, file_name: str) -> str:
    """The download URL of a single-file cloud job; Offcloud wants the name in it (§7.3)."""
    return (
        f"https://{server}.offcloud.com/cloud/download/"
        f"{quote(request_id, safe='')}/{quote(file_name, safe='')}"
    )


@dataclass(frozen=True)
class Job:
    """An Offcloud request (instant, cloud or remote) as last reported.

    Add, status and history answers all describe the same thing, so they share this type. ``url``
    is the download URL when Offcloud gave one; :attr:`file_url` also builds it for single files.
    Both are legacy only: the 2026 API's add, status and history answers carry no ``url``,
    ``server``, ``isDirectory`` or size (docs/api.md L5, L8, L12), so they are
    ``None`` there. A job's file links come from ``OffcloudAPI.explore_cloud``.
    """

    request_id: str
    status: JobStatus
    status_text: str = ""
    file_name: Optional[str] = None
    file_size: Optional[int] = None
    amount: Optional[int] = None
    progress: Optional[float] = None
    speed: Optional[float] = None
    server: Optional[str] = None
    is_directory: Optional[bool] = None
    url: Optional[str] = None
    original_link: Optional[str] = None
    site: Optional[str] = None
    created_on: Optional[datetime] = None
    message: Optional[str] = None
    error_message: Optional[str] = None

    @property
    def fraction_done(self) -> Optional[float]:
        """0..1 from ``progress``, or from ``amount``/``file_size``; 1 once downloaded."""
        if self.status is JobStatus.DOWNLOADED:
            return 1.0
        if self.progress is not None:
            return min(max(self.progress, 0.0), 1.0)
        if self.amount is not None and self.file_size:
            return min(max(self.amount / self.file_size, 0.0), 1.0)
        return None

    @property
    def eta(self) -> Optional[float]:
        """Seconds left at the current speed, when size, amount and speed are known."""
        if not self.speed or self.file_size is None or self.amount is None:
            return None
        try:
            seconds = max(self.file_size - self.amount, 0) / self.speed
        except OverflowError:  # sizes near the float limit whose difference is beyond it
            return None
        return seconds if math.isfinite(seconds) else None

    @property
    def file_url(self) -> Optional[str]:
        """The file's download URL for a finished single-file job, if it can be known."""
        if self.is_directory:
            return None
        if self.server and self.file_name:
            return cloud_file_url(self.server, self.request_id, self.file_name)
        if self.url and self.file_name and _is_request_folder_url(self.url, self.request_id):
            return f"{self.url.rstrip('/')}/{quote(self.file_name, safe='')}"
        return self.url

    @classmethod
    def from_api(cls, payload: Any) -> Job:
        data = _require_mapping(payload, "a job")
        nested = data.get("status")
        if isinstance(nested, Mapping):  # {"status": {...}} (docs/api.md §3.2)
            data = nested
        request_id = _text(_pick(data, "requestId", "request_id", "id"))
        if request_id is None:
            raise InvalidResponseError("a job without a request id")
        status_raw = _pick(data, "status")
        progress = _number(_pick(data, "progress"))
        if progress is not None and progress > 1:
            progress /= 100  # some answers give a percentage
        return cls(
            request_id=request_id,
            status=JobStatus.parse(status_raw),
            status_text=_text(status_raw) or "",
            file_name=_text(_pick(data, "fileName", "file_name", "name")),
            file_size=_int(_pick(data, "fileSize", "file_size", "size")),
            amount=_int(_pick(data, "amount", "downloaded")),
            progress=progress,
            speed=_number(_pick(data, "downloadingSpeed", "speed", "downloading_speed")),
            server=_text(_pick(data, "server")),
            is_directory=_bool(_pick(data, "isDirectory", "is_directory")),
            url=_text(_pick(data, "url", "downloadLink")),
            original_link=_text(_pick(data, "originalLink", "original_link")),
            site=_text(_pick(data, "site")),
            created_on=_timestamp(_pick(data, "createdOn", "created_on")),
            message=_text(_pick(data, "message", "info")),
            error_message=_text(_pick(data, "errorMessage", "error_message", "error")),
        )


def _is_request_folder_url(url: str, request_id: str) -> bool:
    return _url_path(url).rstrip("/").endswith(f"/cloud/download/{request_id}")


def _url_path(url: str) -> str:
    """The path of ``url``; "" when it cannot be split (``http://[x`` is not a valid URL)."""
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


# --------------------------------------------------------------------------------------------
# Explore


@dataclass(frozen=True)
class CloudFile:
    """One file of a finished cloud job. ``path`` is relative and starts with the job's folder."""

    name: str
    url: str
    path: str
    size: Optional[int] = None
    id: Optional[str] = None

    @property
    def folder(self) -> str:
        """``path`` without the file name ("" for a file at the top)."""
        return self.path.rpartition("/")[0]

    @classmethod
    def from_api(cls, payload: Any) -> CloudFile:
        if isinstance(payload, str):
            return cls.from_url(payload)
        data = _require_mapping(payload, "a file")
        url = _text(_pick(data, "url", "link", "downloadUrl"))
        if url is None:
            raise InvalidResponseError("a file without a URL")
        name = _text(_pick(data, "name", "fileName", "filename"))
        path = _text(_pick(data, "path")) or name or _name_from_url(url)
        path = path.strip("/")
        return cls(
            name=name or path.rpartition("/")[2],
            url=url,
            path=path,
            size=_int(_pick(data, "size", "fileSize")),
            id=_text(_pick(data, "id")),
        )

    @classmethod
    def from_url(cls, url: str) -> CloudFile:
        """A file from a legacy explore URL ``…/cloud/download/{id}/{index}/{name}``."""
        if not isinstance(url, str) or not url.strip():
            raise InvalidResponseError("an empty file URL")
        name = _name_from_url(url)
        return cls(name=name, url=url.strip(), path=name)


def _name_from_url(url: str) -> str:
    segment = _url_path(url).rstrip("/").rpartition("/")[2]
    return unquote(segment) or "file"


# --------------------------------------------------------------------------------------------
# Cache


@dataclass(frozen=True)
class CacheFile:
    """A file inside a cached torrent, as ``cache/info`` lists it (no sizes)."""

    path: str

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass(frozen=True)
class CacheResult:
    """Whether Offcloud holds a torrent already. ``query`` is what was asked, as given."""

    query: str
    info_hash: Optional[str]
    cached: bool
    files: tuple[CacheFile, ...] = ()

    @classmethod
    def from_api(cls, payload: Any, *, query: str, info_hash: Optional[str]) -> CacheResult:
        if isinstance(payload, bool):
            return cls(query=query, info_hash=info_hash, cached=payload)
        data = _require_mapping(payload, "a cache result")
        cached = _bool(_pick(data, "cached", "isCached"))
        files: list[CacheFile] = []
        raw_files = data.get("files")
        if isinstance(raw_files, list):
            for entry in raw_files:
                if isinstance(entry, Mapping):
                    name = _text(_pick(entry, "filename", "fileName", "name"))
                    if name is None:
                        continue
                    parts = _folder_parts(entry.get("folder"))
                    files.append(CacheFile(path="/".join([*parts, name.strip("/")])))
                elif isinstance(entry, str) and entry:
                    files.append(CacheFile(path=entry.strip("/")))
        return cls(query=query, info_hash=info_hash, cached=bool(cached), files=tuple(files))


def _folder_parts(folder: Any) -> list[str]:
    """A ``cache/info`` folder: a string (``"Show/Season 1"``) or a list of segments (§00 L14)."""
    if isinstance(folder, str):
        segments: list[Any] = folder.replace("\\", "/").split("/")
    elif isinstance(folder, list):
        segments = folder
    else:
        return []
    return [
        str(part).strip("/")
        for part in segments
        if isinstance(part, (str, int)) and not isinstance(part, bool) and str(part).strip("/ ")
    ]


@dataclass(frozen=True)
class CachedDownload:
    """A ready file from ``cache/download``: no cloud job is made for it."""

    filename: str
    url: str
    size: Optional[int] = None

    @classmethod
    def from_api(cls, payload: Any) -> CachedDownload:
        data = _require_mapping(payload, "a cached file")
        url = _text(_pick(data, "url", "link"))
        if url is None:
            raise InvalidResponseError("a cached file without a URL")
        filename = _text(_pick(data, "filename", "fileName", "name")) or _name_from_url(url)
        return cls(filename=filename, url=url, size=_int(_pick(data, "size", "fileSize")))


# --------------------------------------------------------------------------------------------
# Legacy extras


@dataclass(frozen=True)
class Proxy:
    """An instant-download proxy server; ``id`` goes to :meth:`OffcloudAPI.instant`."""

    id: str
    name: Optional[str] = None
    region: Optional[str] = None

    @classmethod
    def from_api(cls, payload: Any) -> Proxy:
        data = _require_mapping(payload, "a proxy")
        proxy_id = _text(_pick(data, "id", "proxyId", "_id"))
        if proxy_id is None:
            raise InvalidResponseError("a proxy without an id")
        return cls(id=proxy_id, name=_text(data.get("name")), region=_text(data.get("region")))


@dataclass(frozen=True)
class RemoteAccount:
    """A connected storage (Google Drive, FTP, …); ``remote_option_id`` goes to ``remote()``."""

    remote_option_id: str
    account_id: Optional[str] = None
    type: Optional[str] = None
    username: Optional[str] = None
    path: Optional[str] = None

    @classmethod
    def from_api(cls, payload: Any) -> RemoteAccount:
        data = _require_mapping(payload, "a remote account")
        option_id = _text(_pick(data, "remoteOptionId", "remote_option_id", "accountId"))
        if option_id is None:
            raise InvalidResponseError("a remote account without an id")
        return cls(
            remote_option_id=option_id,
            account_id=_text(_pick(data, "accountId", "account_id")),
            type=_text(data.get("type")),
            username=_text(data.get("username")),
            path=_text(_pick(data, "path", "host")),
        )


T = TypeVar("T")


def parse_list(payload: Any, what: str, parser: Callable[[Any], T], *envelopes: str) -> list[T]:
    """Parse every item of a (possibly enveloped) list with ``parser``."""
    return [parser(item) for item in _unwrap_list(payload, what, *envelopes)]


def sequence_of_str(value: Any) -> Sequence[str]:
    """Strings of a list, ignoring anything else."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
