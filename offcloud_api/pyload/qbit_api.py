"""The qBittorrent Web API v2 subset that Sonarr, Radarr, Lidarr, Readarr and Prowlarr call.

:class:`QbitApp` answers each call (:meth:`QbitApp.handle`) from the bridge's records
(:mod:`.qbit_torrents`) and pyLoad's state, and asks pyLoad to act through a :class:`Backend`
(the addon ``hooks/OffcloudComArr`` implements it on a running pyLoad; tests give a stand-in).

What the apps rely on, kept exactly: ``auth/login`` answers ``Ok.`` with a ``SID`` cookie or
``Fails.``; a call without a valid session gets 403 (never 401: that makes the apps give up
until they restart); ``torrents/add`` answers ``Ok.`` or ``Fails.``; ``hash`` is the lower-case
40-hex v1 info-hash; the priority calls answer 409 because queueing is off.
"""

from __future__ import annotations

import json
import logging
import posixpath
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol
from urllib.parse import urlsplit

from ..torrent import MAX_TORRENT_BYTES
from .packages import clean_part
from .qbit_torrents import (
    ArrStore,
    CategoryError,
    PackageView,
    TorrentRecord,
    TorrentView,
    category_folder,
    matches_filter,
    records_for,
    split_hashes,
    torrent_files,
    torrent_info,
    torrent_properties,
    torrent_view,
)
from .qbit_web import Guard, GuardLimits, Request, Response, Sessions, basic_credentials
from .torrents import TorrentRef, TorrentSourceError, torrent_from_bytes
from .torrents import torrent_from_magnet as _from_magnet

__all__ = ["API_VERSION", "APP_VERSION", "Backend", "BridgeSettings", "QbitApp"]

log = logging.getLogger(__name__)

#: The Web API version answered: qBittorrent 4.6's, which every *arr app handles (>= 2.8.1:
#: share limits in the add; < 2.11: ``paused`` rather than ``stopped``, both are read).
API_VERSION = "2.9.3"
APP_VERSION = "v4.6.7"
PREFIX = "/api/v2/"


class Backend(Protocol):
    """What the bridge needs from pyLoad."""

    def check_user(self, user: str, password: str) -> Optional[str]:
        """pyLoad's user name when the login is right and may add links, else ``None``."""

    def allowed(self, user: str, action: str) -> bool:
        """Whether ``user`` may ``action`` (``"delete"``)."""

    def storage_root(self) -> str:
        """pyLoad's download folder (absolute)."""

    def packages(self) -> Mapping[int, PackageView]:
        """Every package pyLoad has (queue and collector), with its links."""

    def add(self, record: TorrentRecord, folder: str, paused: bool) -> int:
        """A pyLoad package in ``folder`` (relative) holding ``record.link``; its id."""

    def remove(self, record: TorrentRecord, delete_files: bool) -> None:
        """Delete the torrent's packages (and the files they wrote), remove its Offcloud job."""

    def stop(self, record: TorrentRecord) -> None: ...

    def start(self, record: TorrentRecord) -> None: ...

    def save_torrent(self, info_hash: str, data: bytes) -> str:
        """Keep an uploaded .torrent where pyLoad's torrent decrypter reads it; the link."""

    def fetch(self, url: str) -> bytes:
        """The bytes behind a .torrent address (through pyLoad's network settings)."""

    def check_cached(self, record: TorrentRecord) -> None:
        """Ask Offcloud's cache about ``record`` (in the background); answer with
        :meth:`QbitApp.cache_answer`."""


@dataclass
class BridgeSettings:
    cached_only: bool = False
    max_upload: int = MAX_TORRENT_BYTES
    max_failures: int = GuardLimits.max_failures
    ban_seconds: float = GuardLimits.ban_seconds
    port: int = 8092


Handler = Callable[["QbitApp", Request, str], Response]
_ROUTES: dict[str, tuple[bool, Handler]] = {}  # path -> (changes state: POST only, handler)


def _route(path: str, *, post: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _ROUTES[path] = (post, handler)
        return handler

    return register


def _cross_site(request: Request) -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) names another host than it went to."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    host = request.headers.get("host", "").strip().lower()
    if not origin or not host:
        return False
    return (urlsplit(origin).netloc or "").lower() != host


def _json(value: Any) -> Response:
    return Response(200, json.dumps(value).encode("utf-8"), "application/json")


class QbitApp:
    """The bridge's API. Thread-safe: the HTTP server calls it from many threads, pyLoad's
    events from others."""

    def __init__(
        self,
        backend: Backend,
        store: ArrStore,
        settings: Optional[BridgeSettings] = None,
        *,
        clock: Callable[[], float] = time.time,
        guard_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.store = store
        self.settings = settings or BridgeSettings()
        self.clock = clock
        self.sessions = Sessions(clock=guard_clock)
        limits = GuardLimits(
            max_failures=self.settings.max_failures, ban_seconds=self.settings.ban_seconds
        )
        self.guard = Guard(backend.check_user, limits, clock=guard_clock)
        self._lock = threading.RLock()
        self._records: dict[str, TorrentRecord] = {r.info_hash: r for r in store.torrents()}
        self._categories: dict[str, str] = store.categories()
        self._tags: set[str] = {t for r in self._records.values() for t in r.tags}
        self._adding: set[str] = set()  # info-hashes whose pyLoad package is being made

    # ---------------------------------------------------------------------------------------
    # what the addon calls on pyLoad's events

    def package_added(self, pid: int, source_pid: Optional[int]) -> bool:
        """A package pyLoad added while it worked on the package ``source_pid`` (the torrent
        decrypter queuing a torrent's files): it belongs to the same torrent."""
        if source_pid is None or pid == source_pid:
            return False
        with self._lock:
            record = self._owner(source_pid)
            if record is None or pid in record.pids:
                return False
            record.pids.append(pid)
            self.store.save(record)
            return True

    def package_deleted(self, pid: int) -> None:
        """A package was deleted in pyLoad; a torrent whose every package is gone is forgotten."""
        with self._lock:
            record = self._owner(pid)
            if record is None:
                return
            record.pids.remove(pid)
            if record.pids or record.checking or record.error:
                self.store.save(record)
            else:
                self._forget(record)

    def package_folder(self, pid: int, folder: str) -> Optional[str]:
        """The folder a package of a torrent must have before its files download (the torrent
        decrypter names it after the torrent; the bridge puts it in the category's folder), or
        ``None`` when it is not ours or already right."""
        with self._lock:
            record = self._owner(pid)
        if record is None or not record.folder:
            return None
        clean = folder.strip("/")
        if clean == record.folder or clean.startswith(record.folder + "/"):
            return None
        return posixpath.join(record.folder, clean) if clean else record.folder

    def cache_answer(self, info_hash: str, cached: Optional[bool], reason: str = "") -> None:
        """Offcloud's cache answer for a torrent added with ``cached_only``: a cached one goes to
        pyLoad, an uncached one fails at once (nothing else is sent to Offcloud)."""
        with self._lock:
            record = self._records.get(info_hash)
            if record is None or not record.checking:
                return
            if not cached:
                record.checking = False
                record.error = reason or (
                    "Offcloud does not have this torrent cached, and cached_only is on: nothing "
                    "was sent to Offcloud"
                )
                self.store.save(record)
                return
            self._adding.add(info_hash)
        self._place(record)

    def _place(self, record: TorrentRecord) -> None:
        """Make the torrent's pyLoad package. pyLoad is called without the bridge's lock held:
        pyLoad calls the bridge back (its events) under its own locks."""
        folder = posixpath.join(record.folder, clean_part(record.name) or record.info_hash)
        try:
            pid: Optional[int] = self.backend.add(record, folder, record.stopped)
            error = ""
        except Exception as exc:  # noqa: BLE001 - said on the torrent, as its error
            pid, error = None, f"pyLoad did not take the torrent: {exc}"
        with self._lock:
            self._adding.discard(record.info_hash)
            record.checking = False
            if pid is not None:
                record.pids = [pid, *[p for p in record.pids if p != pid]]
            else:
                record.error = error
            if self._records.get(record.info_hash) is record:
                self.store.save(record)

    def records(self) -> list[TorrentRecord]:
        with self._lock:
            return list(self._records.values())

    def _owner(self, pid: int) -> Optional[TorrentRecord]:
        for record in self._records.values():
            if pid in record.pids:
                return record
        return None

    def _forget(self, record: TorrentRecord) -> None:
        self._records.pop(record.info_hash, None)
        self.store.drop(record.info_hash)

    # ---------------------------------------------------------------------------------------
    # requests

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX):
            return Response.text("Not Found", 404)
        if _cross_site(request):
            # A web page elsewhere posting here (qBittorrent's CSRF protection does the same).
            return Response.text("Forbidden", 403)
        name = request.path[len(PREFIX) :].strip("/")
        if name == "auth/login":
            return self._login(request)
        entry = _ROUTES.get(name)
        user = self._user(request)
        if user is None:
            # 403, never 401: the apps log in again on 403 (401 stops them until a restart).
            return Response.text("Forbidden", 403)
        if entry is None:
            return Response.text("Not Found", 404)
        post_only, handler = entry
        if post_only and request.method != "POST":
            return Response.text("Method Not Allowed", 405)
        return handler(self, request, user)

    def _user(self, request: Request) -> Optional[str]:
        user = self.sessions.user(request.cookie("SID"))
        if user is not None:
            return user
        credentials = basic_credentials(request.headers.get("authorization", ""))
        if credentials is not None:
            return self.guard.login(request.client, *credentials)
        return None

    def _login(self, request: Request) -> Response:
        if request.method != "POST":
            return Response.text("Method Not Allowed", 405)
        if self.guard.banned(request.client):
            return Response.text(Guard.BANNED, 403)
        user = self.guard.login(
            request.client, request.param("username"), request.param("password")
        )
        if user is None:
            return Response.text("Fails.")
        token = self.sessions.open(user)
        response = Response.text("Ok.")
        response.headers.append(("Set-Cookie", f"SID={token}; HttpOnly; SameSite=Strict; path=/"))
        return response

    # ---------------------------------------------------------------------------------------
    # views

    def _views(self) -> list[TorrentView]:
        packages = self.backend.packages()
        with self._lock:
            records = list(self._records.values())
        views = []
        for record in records:
            view = torrent_view(record, packages)
            if view.gone:
                # Every package of it is gone from pyLoad: the user deleted them.
                with self._lock:
                    if (
                        self._records.get(record.info_hash) is record
                        and record.info_hash not in self._adding
                        and not any(pid in packages for pid in record.pids)
                    ):
                        self._forget(record)
                continue
            if view.state == "pausedUP" and not record.completion_on:
                with self._lock:
                    record.completion_on = int(self.clock())
                    self.store.save(record)
            views.append(view)
        return views

    def _view(self, info_hash: str) -> Optional[TorrentView]:
        wanted = info_hash.strip().lower()
        for view in self._views():
            if view.record.info_hash == wanted:
                return view
        return None

    def _now(self) -> int:
        return int(self.clock())


# -------------------------------------------------------------------------------------------
# app


@_route("auth/logout", post=True)
def _logout(app: QbitApp, request: Request, user: str) -> Response:
    app.sessions.close(request.cookie("SID"))
    return Response.text("")


@_route("app/version")
def _version(app: QbitApp, request: Request, user: str) -> Response:
    return Response.text(APP_VERSION)


@_route("app/webapiVersion")
def _api_version(app: QbitApp, request: Request, user: str) -> Response:
    return Response.text(API_VERSION)


@_route("app/buildInfo")
def _build_info(app: QbitApp, request: Request, user: str) -> Response:
    return _json(
        {
            "qt": "6.4.2",
            "libtorrent": "2.0.10.0",
            "boost": "1.83.0",
            "openssl": "3.0",
            "bitness": 64,
        }
    )


@_route("app/preferences")
def _preferences(app: QbitApp, request: Request, user: str) -> Response:
    # A client that never removes torrents on its own: no ratio or seeding limits, no queueing.
    return _json(
        {
            "save_path": app.backend.storage_root(),
            "temp_path_enabled": False,
            "temp_path": "",
            "auto_tmm_enabled": False,
            "max_ratio_enabled": False,
            "max_ratio": -1,
            "max_seeding_time_enabled": False,
            "max_seeding_time": -1,
            "max_inactive_seeding_time_enabled": False,
            "max_inactive_seeding_time": -1,
            "max_ratio_act": 0,
            "queueing_enabled": False,
            "dht": True,
            "pex": True,
            "lsd": True,
            "web_ui_port": app.settings.port,
            "create_subfolder_enabled": True,
            "torrent_content_layout": "Original",
            "start_paused_enabled": False,
        }
    )


@_route("app/setPreferences", post=True)
def _set_preferences(app: QbitApp, request: Request, user: str) -> Response:
    return Response.text("")  # accepted; pyLoad's own settings stay pyLoad's


@_route("app/defaultSavePath")
def _default_save_path(app: QbitApp, request: Request, user: str) -> Response:
    return Response.text(app.backend.storage_root())


@_route("transfer/info")
def _transfer_info(app: QbitApp, request: Request, user: str) -> Response:
    views = app._views()
    return _json(
        {
            "dl_info_speed": sum(v.speed for v in views),
            "dl_info_data": sum(v.done for v in views),
            "up_info_speed": 0,
            "up_info_data": 0,
            "dl_rate_limit": 0,
            "up_rate_limit": 0,
            "dht_nodes": 0,
            "connection_status": "connected",
        }
    )


# -------------------------------------------------------------------------------------------
# categories and tags


@_route("torrents/categories")
def _categories(app: QbitApp, request: Request, user: str) -> Response:
    root = app.backend.storage_root()
    with app._lock:
        categories = dict(app._categories)
    return _json(
        {
            name: {"name": name, "savePath": posixpath.normpath(posixpath.join(root, folder))}
            for name, folder in sorted(categories.items())
        }
    )


@_route("torrents/createCategory", post=True)
def _create_category(app: QbitApp, request: Request, user: str) -> Response:
    name = request.param("category")
    if not name:
        return Response.text("Category name cannot be empty", 400)
    try:
        folder = category_folder(app.backend.storage_root(), name, request.param("savePath"))
    except CategoryError as exc:
        return Response.text(str(exc), 409)
    with app._lock:
        if name in app._categories:
            return Response.text("Category already exists", 409)
        app._categories[name] = folder
        app.store.save_category(name, folder)
    return Response.text("")


@_route("torrents/editCategory", post=True)
def _edit_category(app: QbitApp, request: Request, user: str) -> Response:
    name = request.param("category")
    if not name:
        return Response.text("Category name cannot be empty", 400)
    try:
        folder = category_folder(app.backend.storage_root(), name, request.param("savePath"))
    except CategoryError as exc:
        return Response.text(str(exc), 409)
    with app._lock:
        if name not in app._categories:
            return Response.text("Category does not exist", 409)
        app._categories[name] = folder
        app.store.save_category(name, folder)
    return Response.text("")


@_route("torrents/removeCategories", post=True)
def _remove_categories(app: QbitApp, request: Request, user: str) -> Response:
    with app._lock:
        for name in request.param("categories").splitlines():
            if app._categories.pop(name.strip(), None) is not None:
                app.store.drop_category(name.strip())
    return Response.text("")


@_route("torrents/setCategory", post=True)
def _set_category(app: QbitApp, request: Request, user: str) -> Response:
    name = request.param("category")
    with app._lock:
        if name and name not in app._categories:
            return Response.text("Category does not exist", 409)
        for record in records_for(app._records.values(), request.param("hashes")):
            # The files stay where they are (qBittorrent without automatic management).
            record.category = name
            app.store.save(record)
    return Response.text("")


@_route("torrents/tags")
def _tags(app: QbitApp, request: Request, user: str) -> Response:
    with app._lock:
        return _json(sorted(app._tags))


def _tag_list(value: str) -> list[str]:
    return [tag.strip() for tag in value.split(",") if tag.strip()]


@_route("torrents/createTags", post=True)
def _create_tags(app: QbitApp, request: Request, user: str) -> Response:
    with app._lock:
        app._tags.update(_tag_list(request.param("tags")))
    return Response.text("")


@_route("torrents/deleteTags", post=True)
def _delete_tags(app: QbitApp, request: Request, user: str) -> Response:
    gone = set(_tag_list(request.param("tags")))
    with app._lock:
        app._tags -= gone
        for record in app._records.values():
            if gone & set(record.tags):
                record.tags = [t for t in record.tags if t not in gone]
                app.store.save(record)
    return Response.text("")


@_route("torrents/addTags", post=True)
def _add_tags(app: QbitApp, request: Request, user: str) -> Response:
    tags = _tag_list(request.param("tags"))
    with app._lock:
        app._tags.update(tags)
        for record in records_for(app._records.values(), request.param("hashes")):
            record.tags = sorted(set(record.tags) | set(tags))
            app.store.save(record)
    return Response.text("")


@_route("torrents/removeTags", post=True)
def _remove_tags(app: QbitApp, request: Request, user: str) -> Response:
    tags = set(_tag_list(request.param("tags")))
    with app._lock:
        for record in records_for(app._records.values(), request.param("hashes")):
            record.tags = [t for t in record.tags if tags and t not in tags]
            app.store.save(record)
    return Response.text("")


# -------------------------------------------------------------------------------------------
# tracking


@_route("torrents/info")
def _info(app: QbitApp, request: Request, user: str) -> Response:
    root = app.backend.storage_root()
    now = app._now()
    category = request.params.get("category")
    tag = request.params.get("tag")
    hashes = set(split_hashes(request.param("hashes")))
    entries = []
    for view in app._views():
        record = view.record
        if category is not None and record.category != category:
            continue
        if tag is not None and (tag not in record.tags if tag else record.tags):
            continue
        if hashes and "all" not in hashes and record.info_hash not in hashes:
            continue
        info = torrent_info(view, root, now)
        if matches_filter(info, request.param("filter", "all")):
            entries.append(info)
    sort = request.param("sort")
    if sort:
        entries.sort(key=lambda e: (str(type(e.get(sort))), e.get(sort) or 0))
    else:
        entries.sort(key=lambda e: e["added_on"])
    if request.flag("reverse"):
        entries.reverse()
    offset = _int(request.param("offset"), 0)
    if offset < 0:
        offset = max(0, len(entries) + offset)
    limit = _int(request.param("limit"), 0)
    entries = entries[offset : offset + limit] if limit > 0 else entries[offset:]
    return _json(entries)


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


@_route("torrents/properties")
def _properties(app: QbitApp, request: Request, user: str) -> Response:
    view = app._view(request.param("hash"))
    if view is None:
        return Response.text("Not Found", 404)
    return _json(torrent_properties(view, app.backend.storage_root(), app._now()))


@_route("torrents/files")
def _files(app: QbitApp, request: Request, user: str) -> Response:
    view = app._view(request.param("hash"))
    if view is None:
        return Response.text("Not Found", 404)
    return _json(torrent_files(view))


@_route("torrents/trackers")
def _trackers(app: QbitApp, request: Request, user: str) -> Response:
    if app._view(request.param("hash")) is None:
        return Response.text("Not Found", 404)
    return _json([])


# -------------------------------------------------------------------------------------------
# adding


class _AddError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@_route("torrents/add", post=True)
def _add(app: QbitApp, request: Request, user: str) -> Response:
    try:
        category, folder = _target(app, request)
    except _AddError as exc:
        return Response.text(exc.message, exc.status)
    paused = bool(request.flag("paused") or request.flag("stopped"))
    tags = _tag_list(request.param("tags"))
    added = 0
    failed = 0
    sources: list[tuple[str, Optional[bytes]]] = [
        (line.strip(), None) for line in request.param("urls").splitlines() if line.strip()
    ]
    for upload in request.uploads:
        if len(upload.data) > app.settings.max_upload:
            return Response.text(
                f"The .torrent {upload.filename} is larger than {app.settings.max_upload} bytes",
                413,
            )
        sources.append((upload.filename, upload.data))
    for source, data in sources:
        try:
            torrent, size, raw = _read_torrent(app, source, data)
            if _add_one(app, torrent, size, raw, category, folder, paused, tags):
                added += 1
        except TorrentSourceError as exc:  # noqa: PERF203 - each torrent on its own
            failed += 1
            log.info("torrents/add: %s not added: %s", _shown(source), exc)
        except Exception:
            failed += 1
            log.warning("torrents/add: %s not added", _shown(source), exc_info=True)
    if failed and not added:
        return Response.text("Fails.")
    return Response.text("Ok.")


def _shown(source: str) -> str:
    """A torrent's source for the log: an indexer's .torrent address often carries its API key,
    so only its host is shown."""
    split = urlsplit(source)
    if split.scheme.lower() in ("http", "https"):
        return f"{split.scheme}://{split.hostname or '?'}/..."
    return source[:80]


def _target(app: QbitApp, request: Request) -> tuple[str, str]:
    """The category and the folder (relative to the download folder) of an add."""
    root = app.backend.storage_root()
    category = request.param("category").strip()
    save_path = request.param("savepath") or request.param("savePath")
    with app._lock:
        if category and category not in app._categories:
            # qBittorrent makes a category an add names.
            try:
                folder = category_folder(root, category)
            except CategoryError as exc:
                raise _AddError(400, str(exc)) from None
            app._categories[category] = folder
            app.store.save_category(category, folder)
        folder = app._categories.get(category, "") if category else ""
    if save_path:
        try:
            folder = category_folder(root, category or "default", save_path)
        except CategoryError as exc:
            raise _AddError(400, str(exc)) from None
    return category, folder


def _read_torrent(
    app: QbitApp, source: str, data: Optional[bytes]
) -> tuple[TorrentRef, int, Optional[bytes]]:
    if data is None:
        scheme = source.partition(":")[0].lower()
        if scheme == "magnet":
            return _from_magnet(source), 0, None
        if scheme not in ("http", "https"):
            raise TorrentSourceError("Not a magnet link or .torrent address")
        data = app.backend.fetch(source)
        if len(data) > app.settings.max_upload:
            raise TorrentSourceError("The .torrent is too large")
    from ..torrent import TorrentError, parse_torrent  # noqa: PLC0415 - the sizes only here

    torrent = torrent_from_bytes(data)
    try:
        size = parse_torrent(data).size
    except TorrentError:
        size = 0
    return torrent, size, data


def _add_one(  # noqa: PLR0917 - one add's parts, private
    app: QbitApp,
    torrent: TorrentRef,
    size: int,
    raw: Optional[bytes],
    category: str,
    folder: str,
    paused: bool,
    tags: list[str],
) -> bool:
    with app._lock:
        if torrent.info_hash in app._records:
            return False  # qBittorrent keeps the torrent it has
    link = app.backend.save_torrent(torrent.info_hash, raw) if raw is not None else torrent.magnet
    record = TorrentRecord(
        info_hash=torrent.info_hash,
        name=torrent.name or torrent.info_hash,
        category=category,
        folder=folder,
        link=link,
        added_on=int(app.clock()),
        tags=tags,
        size=size,
        stopped=paused,
        checking=app.settings.cached_only,
    )
    with app._lock:
        if torrent.info_hash in app._records:
            return False
        app._records[record.info_hash] = record
        app._tags.update(tags)
        if not record.checking:
            app._adding.add(record.info_hash)
        app.store.save(record)
    if not record.checking:
        app._place(record)
        if record.error:
            with app._lock:
                app._forget(record)
            raise TorrentSourceError(record.error)
    if record.checking:
        app.backend.check_cached(record)
    log.info("torrents/add: %s (%s) added", record.name, record.info_hash)
    return True


# -------------------------------------------------------------------------------------------
# acting on torrents


@_route("torrents/delete", post=True)
def _delete(app: QbitApp, request: Request, user: str) -> Response:
    if not app.backend.allowed(user, "delete"):
        return Response.text("Forbidden", 403)
    delete_files = bool(request.flag("deleteFiles"))
    with app._lock:
        chosen = records_for(app._records.values(), request.param("hashes"))
        for record in chosen:
            app._forget(record)
    for record in chosen:
        try:
            app.backend.remove(record, delete_files)
        except Exception:  # noqa: PERF203 - the others are still removed
            log.warning("torrents/delete: %s not removed from pyLoad", record.name, exc_info=True)
    return Response.text("")


def _set_stopped(app: QbitApp, request: Request, stopped: bool) -> Response:
    """Note the chosen torrents stopped (or not), then stop (or restart) their pyLoad links."""
    with app._lock:
        chosen = records_for(app._records.values(), request.param("hashes"))
        for record in chosen:
            record.stopped = stopped
            app.store.save(record)
    act = app.backend.stop if stopped else app.backend.start
    for record in chosen:
        act(record)
    return Response.text("")


def _stop(app: QbitApp, request: Request, user: str) -> Response:
    return _set_stopped(app, request, True)


def _start(app: QbitApp, request: Request, user: str) -> Response:
    return _set_stopped(app, request, False)


for _name in ("torrents/pause", "torrents/stop"):
    _route(_name, post=True)(_stop)
for _name in ("torrents/resume", "torrents/start"):
    _route(_name, post=True)(_start)


@_route("torrents/setForceStart", post=True)
def _force_start(app: QbitApp, request: Request, user: str) -> Response:
    if request.flag("value"):
        return _start(app, request, user)
    return Response.text("")


def _accepted(app: QbitApp, request: Request, user: str) -> Response:
    return Response.text("")


def _no_queueing(app: QbitApp, request: Request, user: str) -> Response:
    return Response.text("Torrent queueing must be enabled", 409)


for _name in (
    "torrents/setShareLimits",
    "torrents/recheck",
    "torrents/reannounce",
    "torrents/setSuperSeeding",
    "torrents/toggleSequentialDownload",
    "torrents/toggleFirstLastPiecePrio",
    "torrents/setDownloadLimit",
    "torrents/setUploadLimit",
    "torrents/setAutoManagement",
):
    _route(_name, post=True)(_accepted)
for _name in (
    "torrents/topPrio",
    "torrents/bottomPrio",
    "torrents/increasePrio",
    "torrents/decreasePrio",
):
    _route(_name, post=True)(_no_queueing)
