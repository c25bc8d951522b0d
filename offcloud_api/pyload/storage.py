"""Every key and value format the Offcloud plugins write into pyLoad's plugin storage."""

from __future__ import annotations

import hashlib
import json
from base64 import b85decode, b85encode
from collections.abc import Iterable
from typing import Any, Optional


def _url_digest(url: str) -> str:
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:32]


def job_storage_key(url: str) -> str:
    """The key under which a link's Offcloud request id is remembered (no secret in it)."""
    return "job:" + _url_digest(url)


def file_link_key(url: str) -> str:
    """The key under which an Offcloud file link's job and path are remembered.

    A CDN file link carries no request id (L11), so whoever queues or follows one notes its job
    here; the refresh of an expired link, ``remove_finished`` and the clean-up addon read it.
    Separate from :func:`job_storage_key`: a file link is never a job the downloader follows.
    """
    return "file:" + _url_digest(url)


class FileLinkStore:
    """The downloader's pyLoad storage, written by any Offcloud plugin: which job a file link is of.

    pyLoad's ``self.db`` is per plugin; the decrypters queue the links the downloader
    (``OffcloudCom``) downloads, so they write into its storage, in pyLoad's own encoding
    (base85 of JSON, as ``pyload.plugins.helpers.DB``). Values: ``{"request_id", "path"}``.
    """

    PLUGIN = "OffcloudCom"

    def __init__(self, database: Any) -> None:
        self._db = database

    def remember(self, request_id: str, files: Iterable[Any]) -> None:
        """Note the job of each file (``CloudFile``-like: ``url`` and ``path``)."""
        for file in files:
            value = {"request_id": request_id, "path": getattr(file, "path", None) or file.name}
            self._db.set_storage(self.PLUGIN, file_link_key(file.url), _encode(value))

    def lookup(self, url: str) -> Optional[dict[str, Any]]:
        """``{"request_id", "path"}`` of a file link noted before, else ``None``."""
        raw = self._db.get_storage(self.PLUGIN, file_link_key(url))
        value = decode_stored(raw) if raw else None
        return value if isinstance(value, dict) and value.get("request_id") else None

    def job_of(self, url: str) -> Optional[str]:
        """The request id noted for a file link, else ``None`` (a ``JobLookup``)."""
        note = self.lookup(url)
        return str(note["request_id"]) if note else None

    def forget(self, url: str) -> None:
        self._db.del_storage(self.PLUGIN, file_link_key(url))


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


def _encode(value: Any) -> str:
    return b85encode(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii")
