"""How long ``torrents/info`` takes with 500 torrents tracked by the qBittorrent bridge (issue 21).

Two figures:

1. **Real pyLoad.** A headless pyLoad with the plugins and the simulator; the bridge
   (``OffcloudComArr``) gets N magnets from an app (added stopped, so they sit in pyLoad's link
   collector and nothing downloads); then ``torrents/info`` is called over HTTP, as Sonarr polls
   it, and timed. This is pyLoad's own queue read (its database) plus the bridge's work.
2. **The bridge's share, larger torrents.** The same call in-process, on N torrents of three
   file links each, with pyLoad's queue given as data: the state mapping and the answer alone.

Prints the figures; not a timed test. Usage::

    .venv/bin/python bench/arr_info.py [--torrents N] [--calls K]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

from offcloud_api.harness.runner import free_port
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.pyload.qbit_api import QbitApp
from offcloud_api.pyload.qbit_torrents import ArrStore, LinkView, PackageView, TorrentRecord
from offcloud_api.pyload.qbit_web import Request
from offcloud_api.pyload.storage import PluginStore

ADDON = "OffcloudComArr"


def _hash(i: int) -> str:
    return hashlib.sha1(f"arr-info-{i}".encode()).hexdigest()  # noqa: S324 - made up


def _call(
    port: int, method: str, path: str, form: Optional[dict[str, str]] = None, cookie: str = ""
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _timed(calls: int, call: Callable[[], Any]) -> list[float]:
    call()  # warm up
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _report(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(  # noqa: T201 - the benchmark's report
        f"{label}: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms ({len(seconds)} calls)"
    )


def real_pyload(torrents: int, calls: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="offcloud-arr-bench-"))
    try:
        with OffcloudPyloadStack(home) as stack:
            port = free_port()
            stack.process.set_config_value(ADDON, "port", port, plugin=True)
            stack.process.set_config_value(ADDON, "enabled", True, plugin=True)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if _call(port, "GET", "/api/v2/app/version")[0] == 403:
                        break
                except OSError:
                    pass
                time.sleep(0.3)
            _, headers, body = _call(
                port, "POST", "/api/v2/auth/login", {"username": "pyload", "password": "pyload"}
            )
            if body != b"Ok.":
                raise SystemExit(f"login failed: {body!r}")
            cookie = headers["Set-Cookie"].split(";", 1)[0]
            started = time.monotonic()
            for first in range(0, torrents, 50):
                urls = "\n".join(
                    build_magnet(_hash(i), f"Bench.{i:04d}")
                    for i in range(first, min(first + 50, torrents))
                )
                form = {"urls": urls, "category": "tv", "stopped": "true"}
                if _call(port, "POST", "/api/v2/torrents/add", form, cookie)[2] != b"Ok.":
                    raise SystemExit("an add failed")
            print(f"{torrents} torrents added in {time.monotonic() - started:.1f} s")  # noqa: T201
            path = "/api/v2/torrents/info?category=tv"
            count = len(json.loads(_call(port, "GET", path, cookie=cookie)[2]))
            if count != torrents:
                raise SystemExit(f"torrents/info lists {count} torrents, not {torrents}")
            _report(
                f"real pyLoad, torrents/info over HTTP, {torrents} torrents",
                _timed(calls, lambda: _call(port, "GET", path, cookie=cookie)),
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _pyload_storage() -> Any:
    """pyLoad's storage table in a dict: ``FakePyloadDb`` from tests/fakes.py, the fake's one home
    (the unit tests use it too), loaded by its path: the bench runs from a checkout."""
    path = Path(__file__).resolve().parents[1] / "tests" / "fakes.py"
    spec = importlib.util.spec_from_file_location("fakes", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    fakes = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = fakes  # its dataclasses look their module up
    spec.loader.exec_module(fakes)
    return fakes.FakePyloadDb()


class _Queue:
    """pyLoad for the in-process figure: N torrents, each a package of three file links."""

    def __init__(self, torrents: int) -> None:
        self.root = "/downloads"
        self.pkgs: dict[int, PackageView] = {}
        for i in range(torrents):
            links = tuple(
                LinkView(i * 10 + n, f"https://cdn.example/{i}/{n}", f"file{n}.mkv", 1 << 20, s)
                for n, s in enumerate((0, 12, 3))
            )
            self.pkgs[i + 1] = PackageView(i + 1, f"Bench.{i:04d}", f"tv/Bench.{i:04d}", links)

    def storage_root(self) -> str:
        return self.root

    def packages(self) -> Mapping[int, PackageView]:
        return self.pkgs

    def check_user(self, user: str, password: str) -> Optional[str]:
        return user


def in_process(torrents: int, calls: int) -> None:
    queue = _Queue(torrents)
    store = ArrStore(PluginStore(_pyload_storage(), ADDON))
    for i in range(torrents):
        store.save(
            TorrentRecord(
                info_hash=_hash(i),
                name=f"Bench.{i:04d}",
                category="tv",
                folder="tv",
                link=build_magnet(_hash(i)),
                added_on=0,
                pids=[i + 1],
            )
        )
    app = QbitApp(queue, store)  # type: ignore[arg-type]
    token = app.sessions.open("bench")
    request = Request(
        "GET", "/api/v2/torrents/info", {"category": "tv"}, [], {"cookie": f"SID={token}"}
    )
    if len(json.loads(app.handle(request).body)) != torrents:
        raise SystemExit("the in-process answer lacks torrents")
    _report(
        f"bridge alone, {torrents} torrents of 3 file links",
        _timed(calls, lambda: app.handle(request)),
    )


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--torrents", type=int, default=500)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--skip-pyload", action="store_true", help="only the in-process figure")
    args = parser.parse_args(argv)
    in_process(args.torrents, args.calls)
    if not args.skip_pyload:
        real_pyload(args.torrents, args.calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
