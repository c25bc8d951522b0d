"""The qBittorrent-API bridge (``OffcloudComArr``) in a real pyLoad, Offcloud simulated.

One pyLoad and one simulator serve the module. The bridge is driven the way the *arr apps drive
qBittorrent: with ``qbittorrent-api`` (the client library Python tools of this ecosystem use) and
with the raw calls of a Sonarr v4 (its connection test, add, poll, import and removal). Assertions
are on the API's answers, on files on disk (sha256) and on the simulator's call log.

The login flood bans 127.0.0.1 from the bridge for the rest of the module: it runs last.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import free_port
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256
from offcloud_api.torrent import bencode

from .conftest import StackSpec, resume_notes

qbittorrentapi = pytest.importorskip("qbittorrentapi")

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)

pytestmark = pytest.mark.e2e

ADDON = "OffcloudComArr"
USER = PASSWORD = "pyload"  # pyLoad's default user in a fresh userdir
RELEASE_HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"  # cached, 3 files, Sub/ folder
SINGLE_HASH = "22d58f1c7bed28975f5848e8fc883043b203a7e3"  # cached, one file, no folder
SLOW_HASH = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"  # uncached, some seconds at Offcloud
REFUSED_HASH = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"  # uncached: cached_only refuses it
MIDWAY_HASH = "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5"  # cached: its files download at a restart
PAUSED_HASH = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"  # cached, added stopped, then started
DROPPED_HASH = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"  # uncached, deleted while Offcloud works

UPLOAD_INFO = {
    "name": "Arr.Upload",
    "piece length": 262144,
    "pieces": b"\x00" * 20,
    "files": [
        {"length": 200 * 1024, "path": ["episode.mkv"]},
        {"length": 1500, "path": ["Extras", "notes.txt"]},
    ],
}
UPLOAD_TORRENT = bencode({"announce": "udp://tracker.example:80", "info": UPLOAD_INFO})
UPLOAD_HASH = hashlib.sha1(bencode(UPLOAD_INFO)).hexdigest()  # noqa: S324 - BitTorrent v1


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["clock"] = {"speedup": 2.0}
    scenario["torrents"] += [
        {
            "info_hash": UPLOAD_HASH,
            "name": "Arr.Upload",
            "cached": True,
            "files": [
                {"path": "Arr.Upload/episode.mkv", "size": 200 * 1024},
                {"path": "Arr.Upload/Extras/notes.txt", "size": 1500},
            ],
        },
        {
            "info_hash": SLOW_HASH,
            "name": "Arr.Slow",
            "cached": False,
            "duration": 16,
            "files": [{"path": "Arr.Slow/slow.mkv", "size": "256 KiB"}],
        },
        {
            "info_hash": MIDWAY_HASH,
            "name": "Arr.Midway",
            "cached": True,
            "files": [
                {"path": "Arr.Midway/part1.mkv", "size": "512 KiB"},
                {"path": "Arr.Midway/part2.mkv", "size": "512 KiB"},
            ],
        },
        {
            "info_hash": PAUSED_HASH,
            "name": "Arr.Paused",
            "cached": True,
            "files": [
                {"path": "Arr.Paused/a.mkv", "size": "96 KiB"},
                {"path": "Arr.Paused/b.srt", "size": 900},
            ],
        },
        {
            "info_hash": DROPPED_HASH,
            "name": "Arr.Dropped",
            "cached": False,
            "duration": 600,
            "files": [{"path": "Arr.Dropped/a.bin", "size": "64 KiB"}],
        },
        {
            "info_hash": REFUSED_HASH,
            "name": "Arr.Refused",
            "cached": False,
            "files": [{"path": "Arr.Refused/a.bin", "size": "64 KiB"}],
        },
    ]
    return scenario


class Bridge:
    def __init__(self, stack: OffcloudPyloadStack, port: int) -> None:
        self.stack = stack
        self.port = port

    @property
    def root(self) -> Path:
        return Path(os.path.realpath(self.stack.process.storagedir))

    def client(self, password: str = PASSWORD) -> Any:
        return qbittorrentapi.Client(
            host="127.0.0.1",
            port=self.port,
            username=USER,
            password=password,
            REQUESTS_ARGS={"timeout": 30},
            RAISE_NOTIMPLEMENTEDERROR_FOR_UNIMPLEMENTED_API_ENDPOINTS=False,
        )

    def raw(
        self,
        method: str,
        path: str,
        *,
        form: Optional[dict[str, str]] = None,
        body: Optional[bytes] = None,
        headers: Optional[dict[str, str]] = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP call as an app sends it; (status, headers, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"User-Agent": "Sonarr/4.0.15.2941 (ubuntu 24.04)", **(headers or {})}
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


STACK = StackSpec("arr", _scenario, options=[("OffcloudComHook", "follow_interval", 2)])


@pytest.fixture(scope="module")
def bridge(stack: OffcloudPyloadStack) -> Bridge:
    port = free_port()
    stack.process.set_config_value(ADDON, "port", port, plugin=True)
    stack.process.set_config_value(ADDON, "enabled", True, plugin=True)
    bridge = Bridge(stack, port)
    _wait(lambda: bridge.raw("GET", "/api/v2/app/webapiVersion")[0] == 403, 30, "bridge up")
    return bridge


def _wait(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (OSError, http.client.HTTPException):
            last = None
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def _torrent(client: Any, info_hash: str) -> Optional[dict[str, Any]]:
    found = [dict(t) for t in client.torrents_info(torrent_hashes=info_hash)]
    return found[0] if found else None


def _wait_state(
    client: Any, info_hash: str, states: set[str], timeout: float = 60
) -> dict[str, Any]:
    seen: list[Any] = [None]

    def reached() -> Optional[dict[str, Any]]:
        torrent = seen[0] = _torrent(client, info_hash)
        if torrent is not None and torrent["state"] == "error" and "error" not in states:
            raise AssertionError(f"{info_hash} failed: {torrent}")
        return torrent if torrent is not None and torrent["state"] in states else None

    try:
        return _wait(reached, timeout, f"{info_hash} in {states}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen: {seen[0]}") from None


def _spec(bridge: Bridge, info_hash: str) -> Any:
    return next(t for t in bridge.stack.simulator.scenario.torrents if t.info_hash == info_hash)


def _assert_content(bridge: Bridge, torrent: dict[str, Any], info_hash: str) -> list[Path]:
    """Every file of the torrent under its content_path, byte-exact; the paths."""
    content = Path(torrent["content_path"])
    assert torrent["content_path"] != torrent["save_path"]
    assert content.parent == Path(torrent["save_path"]) or content.is_relative_to(
        Path(torrent["save_path"])
    )
    found = []
    specs = _spec(bridge, info_hash).files
    for spec in specs:
        # A one-file torrent's content_path is its file; else its folder.
        path = content if len(specs) == 1 else content.joinpath(*spec.path.split("/")[1:])
        assert path.is_file(), f"{path} is missing"
        assert file_sha256(path) == expected_sha256(spec), path
        found.append(path)
    return found


def _cloud_adds(bridge: Bridge, info_hash: str) -> list[Any]:
    return [
        c
        for c in bridge.stack.simulator.calls
        if c.kind == "api" and c.path == "/api/cloud" and info_hash in (c.body_summary or "")
    ]


# ---------------------------------------------------------------------------------------------


def test_installed_bound_to_loopback_and_closed_without_login(bridge: Bridge) -> None:
    addon = bridge.stack.process.userdir / "plugins" / "addons" / f"{ADDON}.py"
    assert addon.is_file(), "offcloud pyload install did not install the bridge"
    assert bridge.stack.process.get_config_value(ADDON, "host", plugin=True) == "127.0.0.1"
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {line.split()[1] for line in listening if line.split()[3] == "0A"}  # LISTEN
    assert f"0100007F:{bridge.port:04X}" in local  # 127.0.0.1 only, not 0.0.0.0
    assert f"00000000:{bridge.port:04X}" not in local
    status, _, body = bridge.raw("GET", "/api/v2/torrents/info")
    assert (status, body) == (403, b"Forbidden")
    status, _, body = bridge.raw(
        "POST", "/api/v2/auth/login", form={"username": USER, "password": "wrong"}
    )
    assert (status, body) == (200, b"Fails.")
    with pytest.raises(qbittorrentapi.LoginFailed):
        bridge.client(password="also wrong").auth_log_in()


def test_magnet_and_upload_through_qbittorrent_api(bridge: Bridge) -> None:
    client = bridge.client()
    client.auth_log_in()
    assert client.app_web_api_version() == "2.9.3"
    client.torrents_create_category(name="tv")
    assert "tv" in client.torrents_categories()
    assert (
        client.torrents_add(urls=build_magnet(RELEASE_HASH, "Demo.Release"), category="tv") == "Ok."
    )
    assert (
        client.torrents_add(torrent_files={"Arr.Upload.torrent": UPLOAD_TORRENT}, category="tv")
        == "Ok."
    )
    seen = {_torrent(client, RELEASE_HASH)["state"], _torrent(client, UPLOAD_HASH)["state"]}
    assert seen <= {"metaDL", "downloading", "pausedUP"}
    assert seen & {"metaDL", "downloading"}
    for info_hash in (RELEASE_HASH, UPLOAD_HASH):
        torrent = _wait_state(client, info_hash, {"pausedUP"})
        assert torrent["save_path"] == str(bridge.root / "tv")
        assert torrent["progress"] == 1
        assert torrent["category"] == "tv"
        paths = _assert_content(bridge, torrent, info_hash)
        files = client.torrents_files(torrent_hash=info_hash)
        assert sorted(f["name"] for f in files) == sorted(
            str(p.relative_to(torrent["save_path"])) for p in paths
        )
    assert _torrent(client, RELEASE_HASH)["content_path"] == str(
        bridge.root / "tv" / "Demo.Release"
    )
    # Removed with its files: the files go, the category folder stays.
    paths = _assert_content(bridge, _torrent(client, RELEASE_HASH), RELEASE_HASH)
    client.torrents_delete(delete_files=True, torrent_hashes=RELEASE_HASH)
    assert _torrent(client, RELEASE_HASH) is None
    assert not any(p.exists() for p in paths)
    assert not (bridge.root / "tv" / "Demo.Release").exists()
    assert (bridge.root / "tv").is_dir()
    assert _torrent(client, UPLOAD_HASH) is not None  # the other one stays


def test_sonarr_v4_sequence(bridge: Bridge) -> None:
    """The calls a Sonarr v4 makes, in order, with its forms and headers."""
    raw = bridge.raw
    # Connection test: the version without a session (403 means "qBittorrent, log in").
    assert raw("GET", "/api/v2/app/webapiVersion")[0] == 403
    status, headers, body = raw(
        "POST", "/api/v2/auth/login", form={"username": USER, "password": PASSWORD}
    )
    assert (status, body) == (200, b"Ok.")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert cookie.startswith("SID=")
    auth = {"Cookie": cookie}
    status, _, body = raw("GET", "/api/v2/app/webapiVersion", headers=auth)
    assert status == 200
    assert tuple(int(p) for p in body.decode().split(".")) >= (2, 8, 1)
    preferences = json.loads(raw("GET", "/api/v2/app/preferences", headers=auth)[2])
    assert preferences["dht"] is True
    assert preferences["queueing_enabled"] is False
    assert not preferences["max_ratio_enabled"]
    assert not preferences["max_seeding_time_enabled"]
    categories = json.loads(raw("GET", "/api/v2/torrents/categories", headers=auth)[2])
    assert "tv-sonarr" not in categories
    for category in ("tv-sonarr", "tv-imported"):  # its category, its post-import category
        form = {"category": category}
        assert raw("POST", "/api/v2/torrents/createCategory", form=form, headers=auth)[0] == 200
    categories = json.loads(raw("GET", "/api/v2/torrents/categories", headers=auth)[2])
    assert categories["tv-sonarr"]["savePath"] == str(bridge.root / "tv-sonarr")
    assert "tv-imported" in categories
    status, _, body = raw("GET", "/api/v2/torrents/info?category=tv-sonarr", headers=auth)
    assert (status, json.loads(body)) == (200, [])
    # Add: DHT on? (a magnet without trackers needs it), then the add (initial state "start":
    # paused=false below API 2.11), then the follow-up calls.
    assert json.loads(raw("GET", "/api/v2/app/preferences", headers=auth)[2])["dht"] is True
    magnet = build_magnet(SINGLE_HASH, "Demo.Single")
    form = {"urls": magnet, "category": "tv-sonarr", "paused": "false"}
    assert raw("POST", "/api/v2/torrents/add", form=form, headers=auth)[2] == b"Ok."
    assert raw("GET", f"/api/v2/torrents/properties?hash={SINGLE_HASH}", headers=auth)[0] == 200
    hashes = {"hashes": SINGLE_HASH}
    limits = {**hashes, "ratioLimit": "-2", "seedingTimeLimit": "-2"}
    assert raw("POST", "/api/v2/torrents/setShareLimits", form=limits, headers=auth)[0] == 200
    assert raw("POST", "/api/v2/torrents/topPrio", form=hashes, headers=auth)[0] == 409
    assert raw("POST", "/api/v2/torrents/setForceStart",
               form={**hashes, "value": "true"}, headers=auth)[0] == 200  # fmt: skip
    assert raw("POST", "/api/v2/torrents/addTags", form={**hashes, "tags": "sonarr"},
               headers=auth)[0] == 200  # fmt: skip

    # The poll (each 60 s in Sonarr: here as fast as the download): version, preferences, info.
    def poll() -> Optional[dict[str, Any]]:
        raw("GET", "/api/v2/app/webapiVersion", headers=auth)
        raw("GET", "/api/v2/app/preferences", headers=auth)
        entries = json.loads(
            raw("GET", "/api/v2/torrents/info?category=tv-sonarr", headers=auth)[2]
        )
        assert [e["hash"] for e in entries] == [SINGLE_HASH]
        return entries[0] if entries[0]["state"] == "pausedUP" else None

    entry = _wait(poll, 60, "Sonarr's torrent done", interval=1)
    assert entry["tags"] == "sonarr"
    # Import: content_path is the file (a one-file torrent), save_path the category folder.
    assert entry["save_path"] == str(bridge.root / "tv-sonarr")
    content = Path(entry["content_path"])
    assert content.parent.parent == Path(entry["save_path"])
    assert content.name == "Demo.Single.mkv"
    assert file_sha256(content) == expected_sha256(_spec(bridge, SINGLE_HASH).files[0])
    properties = json.loads(raw("GET", f"/api/v2/torrents/properties?hash={SINGLE_HASH}",
                                headers=auth)[2])  # fmt: skip
    assert properties["save_path"] == entry["save_path"]
    files = json.loads(raw("GET", f"/api/v2/torrents/files?hash={SINGLE_HASH}", headers=auth)[2])
    assert [Path(entry["save_path"], f["name"]) for f in files] == [content]
    # Imported: the post-import category; the files stay where they are.
    form = {"hashes": SINGLE_HASH, "category": "tv-imported"}
    assert raw("POST", "/api/v2/torrents/setCategory", form=form, headers=auth)[0] == 200
    assert json.loads(raw("GET", "/api/v2/torrents/info?category=tv-sonarr", headers=auth)[2]) == []
    (moved,) = json.loads(raw("GET", "/api/v2/torrents/info?category=tv-imported", headers=auth)[2])
    assert moved["content_path"] == str(content)
    assert content.is_file()
    # Removal (the user removes it from Sonarr's queue, or a failed download): torrent and files.
    form = {"hashes": SINGLE_HASH, "deleteFiles": "true"}
    assert raw("POST", "/api/v2/torrents/delete", form=form, headers=auth)[0] == 200
    assert not content.exists()
    remaining = json.loads(raw("GET", "/api/v2/torrents/info", headers=auth)[2])
    assert SINGLE_HASH not in {e["hash"] for e in remaining}
    # A session that is gone gets 403 again (Sonarr then logs in afresh).
    assert raw("POST", "/api/v2/auth/logout", headers=auth)[0] == 200
    assert raw("GET", "/api/v2/torrents/info", headers=auth)[0] == 403


def test_pyload_restart_between_add_and_completion_loses_nothing(bridge: Bridge) -> None:
    process = bridge.stack.process
    client = bridge.client()
    # One torrent still at Offcloud (followed in the background), one whose files download.
    process.set_config_value("download", "limit_speed", True)
    process.set_config_value("download", "max_speed", 128)  # KiB/s
    client.torrents_add(urls=build_magnet(SLOW_HASH, "Arr.Slow"), category="movies")
    assert _torrent(client, SLOW_HASH)["state"] == "metaDL"  # the cache check, the job's start
    client.torrents_add(urls=build_magnet(MIDWAY_HASH, "Arr.Midway"), category="movies")
    before = _wait_state(client, SLOW_HASH, {"downloading"})
    assert before["progress"] == 0  # nothing on disk yet
    midway = _wait(
        lambda: (t := _torrent(client, MIDWAY_HASH)) and 0 < t["progress"] < 1 and t,
        60,
        "files on their way",
    )
    assert midway["state"] == "downloading"
    links = {f["fid"] for f in process.files() if f["package_name"].startswith("Arr.Midway")}
    _wait(
        lambda: links <= resume_notes(bridge.stack.process),
        30,
        "the file links noted for a restart",
    )
    bridge.stack.restart_pyload()
    process.set_config_value("download", "limit_speed", False)
    _wait(lambda: bridge.raw("GET", "/api/v2/app/webapiVersion")[0] == 403, 30, "bridge back")
    client = bridge.client()  # a new pyLoad: a new session
    for info_hash, added in ((SLOW_HASH, before), (MIDWAY_HASH, midway)):
        after = _torrent(client, info_hash)
        assert after is not None
        assert after["added_on"] == added["added_on"]
        assert after["category"] == "movies"
    for info_hash in (SLOW_HASH, MIDWAY_HASH):
        torrent = _wait_state(client, info_hash, {"pausedUP"}, timeout=90)
        assert torrent["save_path"] == str(bridge.root / "movies")
        _assert_content(bridge, torrent, info_hash)
        assert len(_cloud_adds(bridge, info_hash)) == 1  # the job went on, not added again
    assert _torrent(client, UPLOAD_HASH)["state"] == "pausedUP"  # done before, still there


def test_added_stopped_waits_until_started(bridge: Bridge) -> None:
    client = bridge.client()
    client.torrents_add(urls=build_magnet(PAUSED_HASH, "Arr.Paused"), is_paused=True)
    assert _torrent(client, PAUSED_HASH)["state"] == "pausedDL"
    time.sleep(2)  # pyLoad would have started it by now: it must not
    assert _torrent(client, PAUSED_HASH)["state"] == "pausedDL"
    assert not [c for c in bridge.stack.simulator.calls if PAUSED_HASH in (c.body_summary or "")]
    client.torrents_resume(torrent_hashes=PAUSED_HASH)
    torrent = _wait_state(client, PAUSED_HASH, {"pausedUP"})
    assert torrent["save_path"] == str(bridge.root)  # no category: the download folder
    _assert_content(bridge, torrent, PAUSED_HASH)


def test_deleted_in_pyload_disappears(bridge: Bridge) -> None:
    client = bridge.client()
    assert _torrent(client, UPLOAD_HASH) is not None
    queue = bridge.stack.process.queue()
    ids = [p["pid"] for p in queue if str(p.get("name", "")).startswith("Arr.Upload")]
    assert ids, queue
    bridge.stack.process.delete_packages(ids)
    _wait(lambda: _torrent(client, UPLOAD_HASH) is None, 20, "the deleted torrent gone")


def test_deleted_by_its_app_while_offcloud_works_removes_the_job(bridge: Bridge) -> None:
    client = bridge.client()
    client.torrents_add(urls=build_magnet(DROPPED_HASH, "Arr.Dropped"), category="tv")
    # Offcloud has the job (pyLoad follows it in the background), no file is queued yet.
    (job,) = _wait(lambda: _jobs_of(bridge, DROPPED_HASH), 30, "the job at Offcloud")
    assert _torrent(client, DROPPED_HASH)["state"] in {"metaDL", "downloading"}
    assert job["removed"] is False
    client.torrents_delete(delete_files=True, torrent_hashes=DROPPED_HASH)
    assert _torrent(client, DROPPED_HASH) is None
    _wait(lambda: _jobs_of(bridge, DROPPED_HASH)[0]["removed"], 20, "the job removed")
    assert not [f for f in bridge.stack.process.files() if "Arr.Dropped" in f["package_name"]]


def _jobs_of(bridge: Bridge, info_hash: str) -> list[dict[str, Any]]:
    jobs = bridge.stack.simulator.state.snapshot()["jobs"]
    return [j for j in jobs if info_hash in json.dumps(j)]


def test_cached_only_fails_an_uncached_torrent_at_once(bridge: Bridge) -> None:
    process = bridge.stack.process
    process.set_config_value(ADDON, "cached_only", True, plugin=True)
    try:
        client = bridge.client()
        started = time.monotonic()
        client.torrents_add(urls=build_magnet(REFUSED_HASH, "Arr.Refused"), category="tv")
        torrent = _wait_state(client, REFUSED_HASH, {"error"}, timeout=20)
        assert time.monotonic() - started < 15
        assert "cached" in torrent["comment"]
        assert _cloud_adds(bridge, REFUSED_HASH) == []  # no job at Offcloud
        client.torrents_delete(delete_files=True, torrent_hashes=REFUSED_HASH)
        assert _torrent(client, REFUSED_HASH) is None
    finally:
        process.set_config_value(ADDON, "cached_only", False, plugin=True)


def test_paths_cannot_leave_the_download_folder(bridge: Bridge, tmp_path: Path) -> None:
    client = bridge.client()
    client.auth_log_in()
    for name, save_path in (("../escape", ""), ("x", "/etc"), ("y", "../../outside")):
        with pytest.raises(qbittorrentapi.Conflict409Error):
            client.torrents_create_category(name=name, save_path=save_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (bridge.root / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(qbittorrentapi.Conflict409Error):
        client.torrents_create_category(name="linked")
    form = {"urls": build_magnet(RELEASE_HASH), "savepath": str(tmp_path)}
    cookie = bridge.raw("POST", "/api/v2/auth/login", form={"username": USER, "password": PASSWORD})
    auth = {"Cookie": cookie[1]["Set-Cookie"].split(";", 1)[0]}
    assert bridge.raw("POST", "/api/v2/torrents/add", form=form, headers=auth)[0] == 400
    assert _torrent(client, RELEASE_HASH) is None
    assert list(outside.iterdir()) == []


def test_oversized_upload_is_refused(bridge: Bridge) -> None:
    cookie = bridge.raw("POST", "/api/v2/auth/login", form={"username": USER, "password": PASSWORD})
    auth = {"Cookie": cookie[1]["Set-Cookie"].split(";", 1)[0]}
    boundary = "arrboundary"
    big = b"d4:infod4:name3:big" + b"x" * (21 * 1024 * 1024) + b"ee"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="torrents"; '
            f'filename="big.torrent"\r\nContent-Type: application/x-bittorrent\r\n\r\n'
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, _ = bridge.raw("POST", "/api/v2/torrents/add", body=body, headers=headers)
    assert status == 413
    # Past the request cap the body is not even read.
    headers = {**auth, "Content-Type": "application/x-www-form-urlencoded",
               "Content-Length": str(64 * 1024 * 1024)}  # fmt: skip
    status, _, _ = bridge.raw("POST", "/api/v2/torrents/add", body=b"", headers=headers)
    assert status == 413


def test_login_flood_bans_the_address(bridge: Bridge) -> None:
    """Last in the module: it bans 127.0.0.1 from the bridge for an hour."""
    answers = [
        bridge.raw("POST", "/api/v2/auth/login", form={"username": USER, "password": f"no{n}"})
        for n in range(5)
    ]
    assert [(a[0], a[2]) for a in answers] == [(200, b"Fails.")] * 5
    status, _, body = bridge.raw(
        "POST", "/api/v2/auth/login", form={"username": USER, "password": PASSWORD}
    )
    assert status == 403
    assert b"banned" in body
