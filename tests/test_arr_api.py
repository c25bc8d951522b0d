"""The qBittorrent API the bridge answers (offcloud_api.pyload.qbit_api), on a stand-in pyLoad."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb

from offcloud_api.magnet import build_magnet
from offcloud_api.pyload.qbit_api import API_VERSION, BridgeSettings, QbitApp
from offcloud_api.pyload.qbit_torrents import ArrStore, LinkView, PackageView, TorrentRecord
from offcloud_api.pyload.qbit_web import Request, Upload
from offcloud_api.pyload.storage import PluginStore
from offcloud_api.pyload.torrents import TorrentSourceError
from offcloud_api.torrent import bencode

HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"
OTHER = "22d58f1c7bed28975f5848e8fc883043b203a7e3"
INFO = {
    "name": "Up.Load",
    "piece length": 16384,
    "pieces": b"\x00" * 20,
    "files": [{"length": 1000, "path": ["a.mkv"]}, {"length": 24, "path": ["b.nfo"]}],
}
TORRENT = bencode({"info": INFO})
TORRENT_HASH = hashlib.sha1(bencode(INFO)).hexdigest()  # noqa: S324 - BitTorrent v1


class FakeBackend:
    """pyLoad for the bridge: packages in a dict, calls noted."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.pkgs: dict[int, PackageView] = {}
        self.next_id = 1
        self.added: list[tuple[str, str, bool]] = []
        self.removed: list[tuple[str, bool]] = []
        self.stopped: list[str] = []
        self.started: list[str] = []
        self.checks: list[str] = []
        self.saved: dict[str, bytes] = {}
        self.fetches: dict[str, bytes] = {}
        self.fail_add = False

    def check_user(self, user: str, password: str) -> Optional[str]:
        return user if (user, password) in (("pyload", "pyload"), ("viewer", "v")) else None

    def allowed(self, user: str, action: str) -> bool:
        return user != "viewer"

    def storage_root(self) -> str:
        return self.root

    def packages(self) -> dict[int, PackageView]:
        return dict(self.pkgs)

    def add(self, record: TorrentRecord, folder: str, paused: bool) -> int:
        if self.fail_add:
            raise RuntimeError("pyLoad is shutting down")
        pid = self.next_id
        self.next_id += 1
        self.pkgs[pid] = PackageView(
            pid, record.name, folder, (LinkView(pid * 100, record.link, record.name, 0, 3),)
        )
        self.added.append((record.info_hash, folder, paused))
        return pid

    def remove(self, record: TorrentRecord, delete_files: bool) -> None:
        self.removed.append((record.info_hash, delete_files))
        for pid in record.pids:
            self.pkgs.pop(pid, None)

    def stop(self, record: TorrentRecord) -> None:
        self.stopped.append(record.info_hash)

    def start(self, record: TorrentRecord) -> None:
        self.started.append(record.info_hash)

    def save_torrent(self, info_hash: str, data: bytes) -> str:
        self.saved[info_hash] = data
        return f"file:///tmp/pyLoad/tmp_arr_{info_hash}.torrent"

    def fetch(self, url: str) -> bytes:
        if url not in self.fetches:
            raise TorrentSourceError("HTTP 404")
        return self.fetches[url]

    def check_cached(self, record: TorrentRecord) -> None:
        self.checks.append(record.info_hash)

    # what the torrent decrypter does in pyLoad
    def decrypt(self, app: QbitApp, source_pid: int, files: list[tuple[str, str, int, int]]) -> int:
        """Queue files ``(folder, name, size, status)`` in a new package, drop the source."""
        pid = self.next_id
        self.next_id += 1
        links = tuple(
            LinkView(pid * 100 + n, f"https://cdn.example/{name}", name, size, status)
            for n, (_folder, name, size, status) in enumerate(files)
        )
        self.pkgs[pid] = PackageView(pid, "pkg", files[0][0], links)
        assert app.package_added(pid, source_pid)
        del self.pkgs[source_pid]
        app.package_deleted(source_pid)
        return pid


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backend(tmp_path: Path) -> FakeBackend:
    root = tmp_path / "downloads"
    root.mkdir()
    return FakeBackend(root)


@pytest.fixture
def db() -> FakePyloadDb:
    return FakePyloadDb()


def _app(backend: FakeBackend, db: FakePyloadDb, **settings: Any) -> QbitApp:
    store = ArrStore(PluginStore(db, "OffcloudComArr"))
    return QbitApp(backend, store, BridgeSettings(**settings), clock=Clock(), guard_clock=Clock())


@pytest.fixture
def app(backend: FakeBackend, db: FakePyloadDb) -> QbitApp:
    return _app(backend, db)


class Session:
    def __init__(self, app: QbitApp, user: str = "pyload", password: str = "pyload") -> None:  # noqa: S107
        self.app = app
        answer = self.call("POST", "auth/login", username=user, password=password, auth=False)
        assert answer.body == b"Ok."
        cookie = dict(answer.headers)["Set-Cookie"]
        self.sid = cookie.split(";", 1)[0].split("=", 1)[1]

    def call(
        self,
        method: str,
        name: str,
        *,
        auth: bool = True,
        uploads: Optional[list[Upload]] = None,
        **params: str,
    ) -> Any:
        headers = {"cookie": f"SID={self.sid}"} if auth else {}
        request = Request(
            method, f"/api/v2/{name}", dict(params), uploads or [], headers, "1.2.3.4"
        )
        return self.app.handle(request)

    def json(self, name: str, **params: str) -> Any:
        answer = self.call("GET", name, **params)
        assert answer.status == 200, answer.body
        assert answer.content_type == "application/json"
        return json.loads(answer.body)

    def info(self, **params: str) -> dict[str, dict[str, Any]]:
        return {t["hash"]: t for t in self.json("torrents/info", **params)}


def _request(path: str, method: str = "GET", **headers: str) -> Request:
    return Request(method, path, {}, [], headers, "1.2.3.4")


# ---------------------------------------------------------------------------------------------
# login


def test_login_gives_a_session_and_logout_ends_it(app: QbitApp) -> None:
    session = Session(app)
    assert session.call("GET", "app/webapiVersion").body == API_VERSION.encode()
    assert session.call("GET", "app/version").body.startswith(b"v4.")
    assert session.call("POST", "auth/logout").status == 200
    answer = session.call("GET", "app/webapiVersion")
    assert (answer.status, answer.body) == (403, b"Forbidden")


def test_a_wrong_login_fails_and_no_session_is_403_never_401(app: QbitApp) -> None:
    answer = app.handle(
        Request("POST", "/api/v2/auth/login", {"username": "pyload", "password": "x"})
    )
    assert (answer.status, answer.body, answer.headers) == (200, b"Fails.", [])
    for path in ("/api/v2/torrents/info", "/api/v2/app/webapiVersion", "/api/v2/no/such"):
        assert app.handle(_request(path)).status == 403
    assert app.handle(_request("/api/v2/auth/login")).status == 405  # a GET login
    assert app.handle(_request("/elsewhere")).status == 404


def test_basic_credentials_work_without_a_session(app: QbitApp) -> None:
    good = "Basic " + base64.b64encode(b"pyload:pyload").decode()
    bad = "Basic " + base64.b64encode(b"pyload:nope").decode()
    assert app.handle(_request("/api/v2/app/version", authorization=good)).status == 200
    assert app.handle(_request("/api/v2/app/version", authorization=bad)).status == 403


def test_a_login_flood_bans_the_address(backend: FakeBackend, db: FakePyloadDb) -> None:
    app = _app(backend, db, max_failures=3)
    for _ in range(3):
        request = Request("POST", "/api/v2/auth/login", {"username": "pyload", "password": "x"})
        request.client = "9.9.9.9"
        assert app.handle(request).body == b"Fails."
    request = Request("POST", "/api/v2/auth/login", {"username": "pyload", "password": "pyload"})
    request.client = "9.9.9.9"
    answer = app.handle(request)
    assert answer.status == 403
    assert b"banned" in answer.body
    request.client = "9.9.9.8"
    assert app.handle(request).body == b"Ok."


def test_a_page_of_another_site_is_refused(app: QbitApp) -> None:
    token = app.sessions.open("pyload")
    cookie = f"SID={token}"
    same = _request("/api/v2/app/version", host="127.0.0.1:8092", cookie=cookie)
    same.headers["referer"] = "http://127.0.0.1:8092/"
    assert app.handle(same).status == 200
    for header in ("origin", "referer"):
        other = _request("/api/v2/app/version", host="127.0.0.1:8092", cookie=cookie)
        other.headers[header] = "http://evil.example"
        assert app.handle(other).status == 403
    assert app.handle(_request("/api/v2/app/version", cookie=cookie)).status == 200  # no Host


def test_indexer_addresses_are_logged_without_their_path(
    app: QbitApp, caplog: pytest.LogCaptureFixture
) -> None:
    session = Session(app)
    with caplog.at_level("INFO"):
        session.call("POST", "torrents/add", urls="https://indexer.example/dl/1?apikey=SECRET")
    assert "indexer.example" in caplog.text
    assert "SECRET" not in caplog.text


def test_unknown_routes_404_and_writes_want_post(app: QbitApp) -> None:
    session = Session(app)
    assert session.call("GET", "torrents/nothing").status == 404
    assert session.call("GET", "torrents/add", urls=build_magnet(HASH)).status == 405
    assert session.call("GET", "torrents/delete", hashes=HASH).status == 405


# ---------------------------------------------------------------------------------------------
# preferences and categories


def test_preferences_describe_a_client_that_never_removes_torrents(
    app: QbitApp, backend: FakeBackend
) -> None:
    prefs = Session(app).json("app/preferences")
    assert prefs["save_path"] == backend.root
    assert prefs["dht"] is True
    assert prefs["queueing_enabled"] is False
    assert prefs["max_ratio_enabled"] is False
    assert prefs["max_seeding_time_enabled"] is False
    assert prefs["max_ratio_act"] == 0  # pause, never remove
    assert Session(app).call("GET", "app/defaultSavePath").body == backend.root.encode()
    assert Session(app).call("POST", "app/setPreferences", json="{}").status == 200
    assert Session(app).json("app/buildInfo")["bitness"] == 64


def test_categories_are_folders_of_the_download_folder(
    app: QbitApp, backend: FakeBackend, db: FakePyloadDb
) -> None:
    session = Session(app)
    assert session.call("POST", "torrents/createCategory", category="tv-sonarr").status == 200
    assert session.call("POST", "torrents/createCategory", category="tv-sonarr").status == 409
    assert session.call("POST", "torrents/createCategory", category="").status == 400
    sub = Path(backend.root, "media", "films")
    assert (
        session.call("POST", "torrents/createCategory", category="films", savePath=str(sub)).status
        == 200
    )
    categories = session.json("torrents/categories")
    assert categories == {
        "films": {"name": "films", "savePath": str(sub)},
        "tv-sonarr": {"name": "tv-sonarr", "savePath": str(Path(backend.root, "tv-sonarr"))},
    }
    assert (
        session.call("POST", "torrents/editCategory", category="films", savePath="f2").status == 200
    )
    assert session.json("torrents/categories")["films"]["savePath"] == str(Path(backend.root, "f2"))
    assert session.call("POST", "torrents/editCategory", category="nope").status == 409
    assert session.call("POST", "torrents/editCategory", category="").status == 400
    # They survive a restart (the addon's storage).
    assert "films" in Session(_app(backend, db)).json("torrents/categories")
    session.call("POST", "torrents/removeCategories", categories="films\nnone")
    assert list(session.json("torrents/categories")) == ["tv-sonarr"]


@pytest.mark.parametrize(
    ("name", "save_path"),
    [
        ("../up", ""),
        ("a/../../b", ""),
        ("/abs", ""),
        ("back\\slash", ""),
        ("ok", "/etc"),
        ("ok", "../outside"),
        ("ok", "sub/../../outside"),
        ("bad\x01name", ""),
    ],
)
def test_a_category_cannot_point_outside(app: QbitApp, name: str, save_path: str) -> None:
    session = Session(app)
    answer = session.call("POST", "torrents/createCategory", category=name, savePath=save_path)
    assert answer.status == 409
    assert session.json("torrents/categories") == {}


def test_a_symlink_out_of_the_download_folder_is_refused(
    app: QbitApp, backend: FakeBackend, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Path(backend.root, "link").symlink_to(outside, target_is_directory=True)
    session = Session(app)
    assert session.call("POST", "torrents/createCategory", category="link").status == 409
    assert (
        session.call("POST", "torrents/createCategory", category="x", savePath="link/sub").status
        == 409
    )


# ---------------------------------------------------------------------------------------------
# adding


def test_a_magnet_becomes_a_package_in_its_category_folder(
    app: QbitApp, backend: FakeBackend
) -> None:
    session = Session(app)
    magnet = build_magnet(HASH, "Demo.Release")
    answer = session.call("POST", "torrents/add", urls=magnet, category="tv", tags="a, b")
    assert answer.body == b"Ok."
    assert backend.added == [(HASH, "tv/Demo.Release", False)]
    assert "tv" in session.json("torrents/categories")  # made by the add, as qBittorrent does
    torrent = session.info()[HASH]
    assert torrent["state"] == "metaDL"
    assert torrent["category"] == "tv"
    assert torrent["tags"] == "a, b"
    assert torrent["save_path"] == str(Path(backend.root, "tv"))
    assert torrent["content_path"] == str(Path(backend.root, "tv", "Demo.Release"))
    assert torrent["magnet_uri"] == magnet
    assert session.json("torrents/tags") == ["a", "b"]
    # Added again: qBittorrent keeps the one it has.
    assert session.call("POST", "torrents/add", urls=magnet).body == b"Ok."
    assert len(backend.added) == 1


def test_a_base32_magnet_is_tracked_by_its_hex_hash(app: QbitApp, backend: FakeBackend) -> None:
    b32 = base64.b32encode(bytes.fromhex(HASH)).decode()
    session = Session(app)
    assert session.call("POST", "torrents/add", urls=f"magnet:?xt=urn:btih:{b32}").body == b"Ok."
    assert list(session.info()) == [HASH]
    assert session.call("GET", "torrents/properties", hash=HASH).status == 200


def test_paused_adds_go_in_stopped(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    session.call("POST", "torrents/add", urls=build_magnet(HASH), paused="true")
    session.call("POST", "torrents/add", urls=build_magnet(OTHER), stopped="true")
    assert [paused for *_, paused in backend.added] == [True, True]
    assert {t["state"] for t in session.info().values()} == {"pausedDL"}


def test_uploads_and_torrent_addresses(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    backend.fetches["https://indexer.example/get/1.torrent"] = TORRENT
    answer = session.call("POST", "torrents/add", urls="https://indexer.example/get/1.torrent")
    assert answer.body == b"Ok."
    assert backend.saved == {TORRENT_HASH: TORRENT}
    torrent = session.info()[TORRENT_HASH]
    assert torrent["name"] == "Up.Load"
    assert torrent["size"] == 1024  # from the .torrent until pyLoad knows the files
    assert torrent["magnet_uri"] == ""
    session.call("POST", "torrents/delete", hashes=TORRENT_HASH)
    answer = session.call(
        "POST", "torrents/add", uploads=[Upload("x.torrent", TORRENT)], category="tv"
    )
    assert answer.body == b"Ok."
    assert session.info()[TORRENT_HASH]["category"] == "tv"


def test_unreadable_torrents_fail_and_good_ones_still_go_in(
    app: QbitApp, backend: FakeBackend
) -> None:
    session = Session(app)
    bad = ["magnet:?xt=urn:btih:zzz", "ftp://x/y.torrent", "https://indexer.example/404.torrent"]
    assert session.call("POST", "torrents/add", urls="\n".join(bad)).body == b"Fails."
    answer = session.call("POST", "torrents/add", uploads=[Upload("bad.torrent", b"garbage")])
    assert answer.body == b"Fails."
    assert session.call("POST", "torrents/add", urls=bad[0] + "\n" + build_magnet(HASH)).body == (
        b"Ok."
    )
    assert list(session.info()) == [HASH]


def test_an_oversized_upload_is_413(backend: FakeBackend, db: FakePyloadDb) -> None:
    session = Session(_app(backend, db, max_upload=100))
    answer = session.call("POST", "torrents/add", uploads=[Upload("big.torrent", b"x" * 101)])
    assert answer.status == 413
    backend.fetches["https://x.example/big.torrent"] = b"d" + b"x" * 200
    assert session.call("POST", "torrents/add", urls="https://x.example/big.torrent").body == (
        b"Fails."
    )
    assert backend.added == []


def test_a_save_path_outside_is_refused_and_inside_is_used(
    app: QbitApp, backend: FakeBackend
) -> None:
    session = Session(app)
    answer = session.call("POST", "torrents/add", urls=build_magnet(HASH), savepath="/var/lib")
    assert answer.status == 400
    assert session.call(
        "POST", "torrents/add", urls=build_magnet(HASH), category="../x"
    ).status == (400)
    assert backend.added == []
    inner = str(Path(backend.root, "custom"))
    session.call("POST", "torrents/add", urls=build_magnet(HASH, "N"), savepath=inner)
    assert backend.added == [(HASH, "custom/N", False)]


def test_pyload_refusing_the_package_fails_the_add(app: QbitApp, backend: FakeBackend) -> None:
    backend.fail_add = True
    session = Session(app)
    assert session.call("POST", "torrents/add", urls=build_magnet(HASH)).body == b"Fails."
    assert session.info() == {}


# ---------------------------------------------------------------------------------------------
# tracking


def _added(session: Session, backend: FakeBackend, info_hash: str = HASH, **params: str) -> int:
    session.call("POST", "torrents/add", urls=build_magnet(info_hash, "Rel"), **params)
    return next(pid for pid, p in backend.pkgs.items() if info_hash in p.links[0].url)


def _set_links(backend: FakeBackend, pid: int, *links: LinkView) -> None:
    package = backend.pkgs[pid]
    backend.pkgs[pid] = PackageView(package.id, package.name, package.folder, links)


def test_the_whole_path_of_a_torrent(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    source = _added(session, backend, category="tv")
    link = backend.pkgs[source].links[0]
    text = "Offcloud downloading, 40 %, 1 min left (followed in the background)"
    _set_links(backend, source, LinkView(link.id, link.url, link.name, 0, 13, text=text))
    assert session.info()[HASH]["state"] == "downloading"
    # The decrypter queues the files (it names the folder after the torrent), the source goes.
    files = backend.decrypt(app, source, [("Rel", "a.mkv", 1000, 12), ("Rel", "b.nfo", 24, 3)])
    assert app.package_folder(files, "Rel") == "tv/Rel"  # moved under the category
    assert app.package_folder(files, "tv/Rel") is None
    assert app.package_folder(999, "Rel") is None
    a, b = backend.pkgs[files].links
    _set_links(
        backend,
        files,
        LinkView(a.id, a.url, a.name, 1000, 12, percent=50, speed=100, arrived=500),
        b,
    )
    torrent = session.info()[HASH]
    assert torrent["state"] == "downloading"
    assert torrent["size"] == 1024
    assert torrent["progress"] == pytest.approx(500 / 1024, abs=1e-3)
    assert torrent["dlspeed"] == 100
    assert torrent["eta"] == (1024 - 500) // 100
    assert torrent["content_path"] == str(Path(backend.root, "tv", "Rel"))
    _set_links(
        backend, files, LinkView(a.id, a.url, a.name, 1000, 0), LinkView(b.id, b.url, b.name, 24, 0)
    )
    torrent = session.info()[HASH]
    assert torrent["state"] == "pausedUP"
    assert torrent["progress"] == 1
    assert torrent["completion_on"] == 1_800_000_000
    assert torrent["content_path"] != torrent["save_path"]
    files_answer = session.json("torrents/files", hash=HASH.upper())
    assert [(f["name"], f["size"], f["progress"]) for f in files_answer] == [
        ("Rel/a.mkv", 1000, 1.0),
        ("Rel/b.nfo", 24, 1.0),
    ]
    properties = session.json("torrents/properties", hash=HASH)
    assert properties["save_path"] == torrent["save_path"]
    assert properties["completion_date"] == 1_800_000_000
    assert session.json("torrents/trackers", hash=HASH) == []
    transfer = session.json("transfer/info")
    assert transfer["dl_info_data"] == 1024


def test_a_one_file_torrent_has_its_file_as_content_path(
    app: QbitApp, backend: FakeBackend
) -> None:
    session = Session(app)
    source = _added(session, backend, category="tv")
    backend.decrypt(app, source, [("Rel", "Rel.mkv", 10, 0)])
    torrent = session.info()[HASH]
    assert torrent["content_path"] == str(Path(backend.root, "tv", "Rel", "Rel.mkv"))
    assert torrent["root_path"] == ""


def test_unknown_hashes_are_404(app: QbitApp) -> None:
    session = Session(app)
    for name in ("torrents/properties", "torrents/files", "torrents/trackers"):
        assert session.call("GET", name, hash=HASH).status == 404


def test_info_filters(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    first = _added(session, backend, category="tv")
    backend.decrypt(app, first, [("Rel", "a.mkv", 10, 0)])
    _added(session, backend, OTHER, category="films", tags="x")
    assert set(session.info()) == {HASH, OTHER}
    assert set(session.info(category="tv")) == {HASH}
    assert set(session.info(category="")) == set()
    assert set(session.info(hashes=f"{OTHER}|ffff")) == {OTHER}
    assert set(session.info(hashes="all")) == {HASH, OTHER}
    assert set(session.info(filter="completed")) == {HASH}
    assert set(session.info(filter="downloading")) == {OTHER}
    assert set(session.info(filter="errored")) == set()
    assert set(session.info(tag="x")) == {OTHER}
    assert set(session.info(tag="")) == {HASH}
    ordered = session.json("torrents/info", sort="hash", reverse="true")
    assert [t["hash"] for t in ordered] == [HASH, OTHER]
    assert len(session.json("torrents/info", limit="1")) == 1
    assert [t["hash"] for t in session.json("torrents/info", offset="-1")] == [OTHER]


def test_a_torrent_deleted_in_pyload_disappears(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    source = _added(session, backend)
    files = backend.decrypt(app, source, [("Rel", "a.mkv", 10, 12)])
    assert HASH in session.info()  # the source package went, the files' package is its
    del backend.pkgs[files]
    app.package_deleted(files)
    assert session.info() == {}
    # Also when pyLoad deleted it while the bridge was not looking (no event).
    _added(session, backend, OTHER)
    backend.pkgs.clear()
    assert session.info() == {}
    assert app.records() == []


def test_the_torrents_survive_a_restart(
    app: QbitApp, backend: FakeBackend, db: FakePyloadDb
) -> None:
    session = Session(app)
    source = _added(session, backend, category="tv")
    files = backend.decrypt(app, source, [("Rel", "a.mkv", 10, 12)])
    before = session.info()[HASH]
    again = _app(backend, db)
    after = Session(again).info()[HASH]
    assert after == before
    assert again.package_folder(files, "Rel") == "tv/Rel"


# ---------------------------------------------------------------------------------------------
# cached_only


def test_cached_only_an_uncached_torrent_fails_with_nothing_added(
    backend: FakeBackend, db: FakePyloadDb
) -> None:
    app = _app(backend, db, cached_only=True)
    session = Session(app)
    session.call("POST", "torrents/add", urls=build_magnet(HASH), category="tv")
    assert backend.checks == [HASH]
    assert backend.added == []
    assert session.info()[HASH]["state"] == "metaDL"  # the cache is being asked
    app.cache_answer(HASH, False)
    torrent = session.info()[HASH]
    assert torrent["state"] == "error"
    assert "cached_only" in torrent["comment"]
    assert backend.added == []
    app.cache_answer(HASH, True)  # too late: nothing changes
    assert backend.added == []
    assert session.info()[HASH]["state"] == "error"  # still listed: the app removes it


def test_cached_only_a_cached_torrent_goes_to_pyload(
    backend: FakeBackend, db: FakePyloadDb
) -> None:
    app = _app(backend, db, cached_only=True)
    session = Session(app)
    session.call("POST", "torrents/add", urls=build_magnet(HASH, "Rel"), category="tv")
    app.cache_answer(HASH, True)
    assert backend.added == [(HASH, "tv/Rel", False)]
    assert session.info()[HASH]["state"] == "metaDL"
    app.cache_answer(OTHER, True)  # not one of ours: ignored


def test_cached_only_a_failed_check_says_why(backend: FakeBackend, db: FakePyloadDb) -> None:
    app = _app(backend, db, cached_only=True)
    session = Session(app)
    session.call("POST", "torrents/add", urls=build_magnet(HASH))
    app.cache_answer(HASH, None, "No usable Offcloud account in pyLoad")
    assert session.info()[HASH]["comment"] == "No usable Offcloud account in pyLoad"


def test_cached_only_pyload_refusing_the_package_is_an_error(
    backend: FakeBackend, db: FakePyloadDb
) -> None:
    app = _app(backend, db, cached_only=True)
    session = Session(app)
    session.call("POST", "torrents/add", urls=build_magnet(HASH))
    backend.fail_add = True
    app.cache_answer(HASH, True)
    assert "pyLoad did not take" in session.info()[HASH]["comment"]


# ---------------------------------------------------------------------------------------------
# acting on torrents


def test_delete_with_and_without_files(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    _added(session, backend)
    _added(session, backend, OTHER)
    session.call("POST", "torrents/delete", hashes=HASH.upper(), deleteFiles="true")
    session.call("POST", "torrents/delete", hashes=OTHER, deleteFiles="false")
    assert backend.removed == [(HASH, True), (OTHER, False)]
    assert session.info() == {}


def test_delete_needs_pyloads_delete_permission(app: QbitApp, backend: FakeBackend) -> None:
    _added(Session(app), backend)
    viewer = Session(app, "viewer", "v")
    assert viewer.call("POST", "torrents/delete", hashes="all").status == 403
    assert backend.removed == []


def test_stop_start_and_the_calls_accepted_without_harm(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    _added(session, backend)
    for name in ("torrents/pause", "torrents/stop"):
        assert session.call("POST", name, hashes=HASH).status == 200
    assert backend.stopped == [HASH, HASH]
    assert session.info()[HASH]["state"] == "pausedDL"
    assert set(session.info(filter="paused")) == {HASH}
    for name in ("torrents/resume", "torrents/start"):
        assert session.call("POST", name, hashes="all").status == 200
    assert backend.started == [HASH, HASH]
    assert session.info()[HASH]["state"] == "metaDL"
    assert session.call("POST", "torrents/setForceStart", hashes=HASH, value="true").status == 200
    assert backend.started == [HASH, HASH, HASH]
    assert session.call("POST", "torrents/setForceStart", hashes=HASH, value="false").status == 200
    assert session.call("POST", "torrents/setShareLimits", hashes=HASH, ratioLimit="2").status == (
        200
    )
    for name in ("torrents/topPrio", "torrents/bottomPrio", "torrents/increasePrio"):
        assert session.call("POST", name, hashes=HASH).status == 409


def test_categories_and_tags_of_torrents(app: QbitApp, backend: FakeBackend) -> None:
    session = Session(app)
    _added(session, backend, category="tv")
    assert session.call("POST", "torrents/setCategory", hashes=HASH, category="nope").status == 409
    session.call("POST", "torrents/createCategory", category="done")
    assert session.call("POST", "torrents/setCategory", hashes=HASH, category="done").status == 200
    torrent = session.info()[HASH]
    assert torrent["category"] == "done"
    assert torrent["save_path"] == str(Path(backend.root, "tv"))  # the files do not move
    session.call("POST", "torrents/addTags", hashes=HASH, tags="b,a")
    assert session.info()[HASH]["tags"] == "a, b"
    session.call("POST", "torrents/removeTags", hashes=HASH, tags="a")
    assert session.info()[HASH]["tags"] == "b"
    session.call("POST", "torrents/createTags", tags="c")
    assert session.json("torrents/tags") == ["a", "b", "c"]
    session.call("POST", "torrents/deleteTags", tags="b")
    assert session.info()[HASH]["tags"] == ""
    session.call("POST", "torrents/addTags", hashes=HASH, tags="z")
    session.call("POST", "torrents/removeTags", hashes=HASH)  # no tags named: all go
    assert session.info()[HASH]["tags"] == ""


# ---------------------------------------------------------------------------------------------
# edges: odd categories, repeated adds, a pyLoad that fails part of the way


def test_a_category_cannot_be_moved_outside_either(app: QbitApp) -> None:
    session = Session(app)
    assert session.call("POST", "torrents/createCategory", category="tv").status == 200
    before = session.json("torrents/categories")
    answer = session.call("POST", "torrents/editCategory", category="tv", savePath="../outside")
    assert answer.status == 409
    assert session.json("torrents/categories") == before


def test_adding_a_torrent_it_has_already_is_ok_and_adds_nothing(
    app: QbitApp, backend: FakeBackend
) -> None:
    session = Session(app)
    magnet = build_magnet(HASH, "Rel")
    assert session.call("POST", "torrents/add", urls=magnet).body == b"Ok."
    assert session.call("POST", "torrents/add", urls=magnet).body == b"Ok."
    assert len(backend.added) == 1
    assert list(session.info()) == [HASH]


def test_a_torrent_address_that_breaks_is_logged_and_fails_the_add(
    app: QbitApp, backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(url: str) -> bytes:
        raise RuntimeError("the indexer closed the connection")

    monkeypatch.setattr(backend, "fetch", broken)
    session = Session(app)
    url = "https://indexer.example/dl/123?apikey=INDEXER-SECRET"
    with caplog.at_level("WARNING", logger="offcloud_api.pyload.qbit_api"):
        assert session.call("POST", "torrents/add", urls=url).body == b"Fails."
    assert "torrents/add: https://indexer.example/... not added" in caplog.text
    assert "INDEXER-SECRET" not in caplog.text
    assert session.info() == {}


def test_a_delete_pyload_refuses_still_removes_the_others(
    app: QbitApp, backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    session = Session(app)
    _added(session, backend)
    _added(session, backend, OTHER)
    real_remove = backend.remove

    def remove(record: TorrentRecord, delete_files: bool) -> None:
        if record.info_hash == HASH:
            raise RuntimeError("pyLoad is busy")
        real_remove(record, delete_files)

    monkeypatch.setattr(backend, "remove", remove)
    with caplog.at_level("WARNING", logger="offcloud_api.pyload.qbit_api"):
        answer = session.call(
            "POST", "torrents/delete", hashes=f"{HASH}|{OTHER}", deleteFiles="false"
        )
    assert answer.status == 200
    assert backend.removed == [(OTHER, False)]
    assert "not removed from pyLoad" in caplog.text
    assert session.info() == {}
