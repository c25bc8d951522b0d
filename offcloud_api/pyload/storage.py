"""pyLoad's plugin storage as the Offcloud plugins use it: whose storage, every key, one store.

pyLoad keeps each plugin's storage (``plugin.db``) in its database, by the plugin's class name,
each value base85 of JSON (``pyload.plugins.helpers.DB``). The Offcloud plugins read and write
one another's storage (a decrypter notes the job of the file links the downloader downloads, the
addon follows jobs a plugin remembers), so every plugin name, key and encoding they share is
here, and :class:`PluginStore` is the one way to any plugin's storage from anywhere in pyLoad.

=====================  ==========================================  ===========================
Whose storage          Key                                         Written by
=====================  ==========================================  ===========================
``OffcloudCom``        ``job:<digest of the link>``                the downloader (:mod:`.jobs`)
(downloader and        ``file:<digest of a file link>``            whoever queues file links
account: one class     ``created:<request id>``                    :mod:`.cloudroom`'s ledger
name)                  ``hosts:last_good``                         the account plugin
                       ``notices:user:<id>``, ``notices:key:<d>``  the account plugin
                       ``notices:ip:<account digest>``             the account plugin
``OffcloudComTorrent`` ``job:<digest of btih:<info hash>>``        torrent decrypter, bulk
``OffcloudComHook``    ``follow:<link id>``                        :mod:`.background`
                       ``resume:<link id>``                        :mod:`.resume`
                       ``import:baseline``, ``imported:<id>``      :mod:`.history_import`
                       ``bulk:<batch>``, ``bulkdone:<batch>:<h>``  :mod:`.bulk`
                       ``job:<digest of what was sent>``           cloud-only mode
``OffcloudComArr``     ``arr:t:<info hash>``, ``arr:c:<name>``     :mod:`.qbit_torrents`
=====================  ==========================================  ===========================

No key holds a secret: links and API keys appear only as digests. The values' own formats stay
with the modules that write them (``Followed.to_stored``, :func:`.jobs.remember`, ...).
"""

from __future__ import annotations

import hashlib
import json
from base64 import b85decode, b85encode
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Optional

__all__ = [
    "ARR_CATEGORY_PREFIX",
    "ARR_STORAGE",
    "ARR_TORRENT_PREFIX",
    "BULK_PREFIX",
    "CREATED_PREFIX",
    "DOWNLOADER",
    "FILE_PREFIX",
    "FOLDER_DECRYPTER",
    "FOLLOW_PREFIX",
    "HOOK_STORAGE",
    "HOSTS_KEY",
    "IMPORTED_PREFIX",
    "IMPORT_BASELINE_KEY",
    "JOB_PREFIX",
    "RESUME_PREFIX",
    "TORRENT_DECRYPTER",
    "FileLinks",
    "PluginStore",
    "arr_category_key",
    "arr_torrent_key",
    "bulk_done_key",
    "bulk_done_prefix",
    "bulk_key",
    "created_key",
    "decode_stored",
    "encode_stored",
    "file_link_key",
    "follow_key",
    "imported_key",
    "ip_notice_key",
    "job_storage_key",
    "notice_key",
    "resume_key",
    "stored_request_ids",
    "torrent_job_key",
]

# --------------------------------------------------------------------------------------------
# Whose storage: pyLoad keys a plugin's storage by its class name

#: The downloader; the account plugin has the same class name, so the same storage.
DOWNLOADER = "OffcloudCom"
TORRENT_DECRYPTER = "OffcloudComTorrent"
FOLDER_DECRYPTER = "OffcloudComFolder"
#: The addon: the followed links, resume notes, imports, bulks and cloud-only jobs.
HOOK_STORAGE = "OffcloudComHook"
#: The qBittorrent bridge for Sonarr/Radarr.
ARR_STORAGE = "OffcloudComArr"

# --------------------------------------------------------------------------------------------
# Keys

JOB_PREFIX = "job:"
FILE_PREFIX = "file:"
CREATED_PREFIX = "created:"
FOLLOW_PREFIX = "follow:"
RESUME_PREFIX = "resume:"
IMPORT_BASELINE_KEY = "import:baseline"
IMPORTED_PREFIX = "imported:"
BULK_PREFIX = "bulk:"
#: Where the account plugin keeps the last good host list (a bad answer never empties it).
HOSTS_KEY = "hosts:last_good"
ARR_TORRENT_PREFIX = "arr:t:"
ARR_CATEGORY_PREFIX = "arr:c:"


def _url_digest(url: str) -> str:
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:32]


def job_storage_key(url: str) -> str:
    """The key under which a link's Offcloud request id is remembered (no secret in it)."""
    return JOB_PREFIX + _url_digest(url)


def torrent_job_key(info_hash: str) -> str:
    """Where a torrent's job is remembered: by info-hash, so a magnet and its .torrent share it."""
    return job_storage_key("btih:" + info_hash.lower())


def file_link_key(url: str) -> str:
    """The key under which an Offcloud file link's job and path are remembered.

    A CDN file link carries no request id (L11), so whoever queues or follows one notes its job
    here; the refresh of an expired link, ``remove_finished`` and the clean-up addon read it.
    Separate from :func:`job_storage_key`: a file link is never a job the downloader follows.
    """
    return FILE_PREFIX + _url_digest(url)


def created_key(request_id: str) -> str:
    """The ledger entry of a job this pyLoad created (:mod:`.cloudroom`)."""
    return CREATED_PREFIX + request_id


def follow_key(link_id: int) -> str:
    """A link the background loop follows (:mod:`.background`)."""
    return f"{FOLLOW_PREFIX}{link_id}"


def resume_key(link_id: int) -> str:
    """A link noted to resume after a pyLoad restart (:mod:`.resume`)."""
    return f"{RESUME_PREFIX}{link_id}"


def imported_key(request_id: str) -> str:
    """A finished job imported from the Offcloud history (:mod:`.history_import`)."""
    return IMPORTED_PREFIX + request_id


def bulk_key(batch_id: str) -> str:
    """A bulk of magnets sent at once (:mod:`.bulk`)."""
    return BULK_PREFIX + batch_id


def bulk_done_prefix(batch_id: str) -> str:
    """The prefix of a bulk's finished torrents."""
    return f"bulkdone:{batch_id}:"


def bulk_done_key(batch_id: str, info_hash: str) -> str:
    """A torrent of a bulk that is done."""
    return bulk_done_prefix(batch_id) + info_hash


def notice_key(user_id: Optional[str], api_key: str) -> str:
    """Where the notices given to an account are remembered (:mod:`.notices`): by Offcloud's
    user id, so two logins or a new key of one account share it; by a digest of the key when
    Offcloud gave no id. Never the key itself."""
    if user_id:
        return f"notices:user:{user_id}"
    digest = hashlib.sha256(api_key.strip().encode("utf-8")).hexdigest()[:16]
    return f"notices:key:{digest}"


def ip_notice_key(account_digest: str) -> str:
    """Whether the "IP refused" notice was given for an account (``ippause.account_key``)."""
    return f"notices:ip:{account_digest}"


def arr_torrent_key(info_hash: str) -> str:
    """A torrent of the qBittorrent bridge (any case: stored in lower case)."""
    return ARR_TORRENT_PREFIX + info_hash.lower()


def arr_category_key(name: str) -> str:
    """A category of the qBittorrent bridge."""
    return ARR_CATEGORY_PREFIX + name


# --------------------------------------------------------------------------------------------
# Values


def decode_stored(value: Any) -> Any:
    """A pyLoad plugin-storage value: base85 of JSON (``DB.store``) or plain JSON; else None."""
    if not isinstance(value, (str, bytes)):
        return value
    raw = value.encode() if isinstance(value, str) else value
    try:
        text = b85decode(raw).decode("utf-8")
    except ValueError:  # not base85 (UnicodeDecodeError is a ValueError too): plain JSON?
        text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return None


def encode_stored(value: Any) -> str:
    """``value`` as pyLoad's ``DB.store`` writes it: base85 of JSON."""
    return b85encode(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii")


# --------------------------------------------------------------------------------------------
# The store


class PluginStore:
    """One plugin's pyLoad storage (what ``plugin.db`` is), reachable from anywhere in pyLoad.

    ``database`` is pyLoad's ``core.db`` (``get_storage``/``set_storage``/``del_storage``).
    """

    def __init__(self, database: Any, plugin: str) -> None:
        self._db = database
        self.plugin = plugin

    def has(self, key: str) -> bool:
        """Whether anything is stored under ``key`` (readable or not)."""
        return bool(self._db.get_storage(self.plugin, key))

    def retrieve(self, key: str, default: Any = None) -> Any:
        raw = self._db.get_storage(self.plugin, key)
        value = decode_stored(raw) if raw else None
        return default if value is None else value

    def store(self, key: str, value: Any) -> None:
        self._db.set_storage(self.plugin, key, encode_stored(value))

    def delete(self, key: str) -> None:
        self._db.del_storage(self.plugin, key)

    def values(self, prefix: str = "") -> Iterator[Any]:
        for _key, value in self.items(prefix):
            yield value

    def items(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        everything = self._db.get_storage(self.plugin) or {}
        for key, raw in dict(everything).items():
            if str(key).startswith(prefix):
                yield str(key), decode_stored(raw)


def stored_request_ids(
    stores: Iterable[PluginStore], keys: Optional[Collection[str]] = None
) -> set[str]:
    """Every Offcloud request id the given plugin storages remember (jobs pyLoad added or follows).

    A request id is any non-empty ``request_id`` (or ``requestId``) string anywhere in a stored
    value, nested mappings and lists included; values that do not decode count for nothing. With
    ``keys``, only the values under those keys are read.
    """
    found: set[str] = set()
    for store in stores:
        for key, value in store.items():
            if keys is None or key in keys:
                found.update(_request_ids(value))
    return found


def _request_ids(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for name, item in value.items():
            if name in ("request_id", "requestId") and isinstance(item, str) and item:
                yield item
            else:
                yield from _request_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _request_ids(item)


class FileLinks:
    """Which job a file link is of: notes in the downloader's storage, written by any plugin.

    pyLoad's ``self.db`` is per plugin; the decrypters queue the links the downloader
    (:data:`DOWNLOADER`) downloads, so they write into its storage. Values: ``{"request_id",
    "path"}`` under :func:`file_link_key`.
    """

    def __init__(self, database: Any) -> None:
        self.store = PluginStore(database, DOWNLOADER)

    def remember(self, request_id: str, files: Iterable[Any]) -> None:
        """Note the job of each file (``CloudFile``-like: ``url`` and ``path``)."""
        for file in files:
            value = {"request_id": request_id, "path": getattr(file, "path", None) or file.name}
            self.store.store(file_link_key(file.url), value)

    def lookup(self, url: str) -> Optional[dict[str, Any]]:
        """``{"request_id", "path"}`` of a file link noted before, else ``None``."""
        value = self.store.retrieve(file_link_key(url))
        return value if isinstance(value, dict) and value.get("request_id") else None

    def job_of(self, url: str) -> Optional[str]:
        """The request id noted for a file link, else ``None`` (a ``JobLookup``)."""
        note = self.lookup(url)
        return str(note["request_id"]) if note else None

    def forget(self, url: str) -> None:
        self.store.delete(file_link_key(url))

    def forget_jobs(self, request_ids: Iterable[str]) -> None:
        """Drop the notes of the file links of these jobs (they are gone from the cloud)."""
        gone = set(request_ids)
        for key, value in list(self.store.items(FILE_PREFIX)):
            if set(_request_ids(value)) & gone:
                self.store.delete(key)
