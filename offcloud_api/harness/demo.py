"""The main job: Offcloud through a real pyLoad, on the local simulator (``./run demo``).

Starts the simulator, a throwaway pyLoad with the plugins installed by ``offcloud pyload install``
and the simulator as its proxy, adds the Offcloud account, then adds one item of each kind. It
shows progress, prints a summary (route, time, size, sha256 check) and the web address, and keeps
running until Ctrl-C (``--once`` exits after the summary). With ``--real`` and
``OFFCLOUD_API_KEY`` it uses the real Offcloud and the links given on the command line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, TextIO

from ..units import format_size
from .runner import FINAL_STATUSES, STATUS_NAMES, LinkStatus
from .stack import OffcloudPyloadStack

__all__ = ["DemoItem", "expected_files", "main", "prepare_home"]

PYLOAD_LOGIN = ("pyload", "pyload")


@dataclass
class DemoItem:
    """One thing the demo adds, and how to recognise it in the simulator's call log."""

    label: str
    url: str
    needle: str  # a part of the link that survives pyLoad's canonicalisation
    package: str
    expected: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    started: float = 0.0
    finished: Optional[float] = None


# Offcloud's 2026 API has no instant route (docs/api.md L4): every hoster link is a
# cloud job, and its file comes from explore as a CDN link (L10, L11).
SIMULATOR_ITEMS = (
    ("supported-host link", "https://rapidgator.net/file/abc123/demo.bin", "abc123", "demo-host"),
    (
        "host link, 5 s job",
        "https://nitroflare.com/view/CLOUD1/cloud-only.bin",
        "CLOUD1",
        "demo-cloud",
    ),
    (
        "cached magnet",
        "magnet:?xt=urn:btih:3bb71a0a14b2292203a8d3eded8b8d3c259c0603&dn=Demo.Release",
        "3bb71a0a14b2292203a8d3eded8b8d3c259c0603",
        "demo-magnet",
    ),
    (
        "cloud folder",
        "https://de-3.offcloud.com/cloud/download/0896d1afc0082e232c9b10a6",
        "0896d1afc0082e232c9b10a6",
        "demo-cloud-folder",
    ),
    (
        "shared folder link",
        "https://example-hoster.test/folder/DemoFolder",
        "DemoFolder",
        "demo-folder",
    ),
)


def expected_files(simulator: Any, url: str) -> dict[str, str]:
    """File name -> sha256 of what ``simulator`` serves for a demo item's ``url``."""
    from ..magnet import info_hash_of  # noqa: PLC0415
    from ..simulator import expected_sha256  # noqa: PLC0415

    state = simulator.state
    info_hash = info_hash_of(url) if url.startswith("magnet:") else None
    if info_hash:
        files = state.torrent(info_hash).files
    elif "/cloud/download/" in url:
        files = state.jobs[url.rstrip("/").rpartition("/")[2]].files
    else:
        files = state.link(url).files
    return {file.name: expected_sha256(file) for file in files}


#: Left in a home the demo made, so a later run may empty it; a folder without it is not ours.
HOME_MARKER = ".offcloud-demo-home"


class DemoHomeError(Exception):
    """The folder given as ``--home`` is not one the demo may empty."""


def prepare_home(home: Path) -> Path:
    """An empty throwaway home: one the demo made before is emptied; any other must be empty.

    Never deletes a folder the demo did not create: a non-empty folder without the demo's marker
    (or a symlink) is refused.
    """
    if home.is_symlink():
        raise DemoHomeError(f"{home} is a symbolic link; give the demo a folder of its own")
    home = home.resolve()
    if home.exists():
        if not home.is_dir():
            raise DemoHomeError(f"{home} is not a folder")
        if (home / HOME_MARKER).is_file():
            shutil.rmtree(home)  # our own throwaway home from an earlier run
        elif any(home.iterdir()):
            raise DemoHomeError(
                f"{home} is not empty and was not made by the demo; it is left alone. "
                "Give --home a new or empty folder"
            )
    home.mkdir(parents=True, exist_ok=True)
    (home / HOME_MARKER).write_text("made by ./run demo; deleted by its next run\n", "utf-8")
    return home


class Demo:
    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self.items: list[DemoItem] = []
        home = prepare_home(Path(args.home))
        self.stack = OffcloudPyloadStack(
            home,
            api_key=os.environ.get("OFFCLOUD_API_KEY") if args.real else None,
            real=args.real,
            web_port=args.web_port,
        )

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> int:
        self.say("Starting the Offcloud simulator and a headless pyLoad with the plugins ...")
        self.stack.start()
        process = self.stack.process
        if self.stack.simulator is not None:
            self.say(f"  simulator: {self.stack.simulator.url} (pyLoad's proxy)")
        self.say(
            f"  pyLoad:    {process.web_url}  user {PYLOAD_LOGIN[0]}, password {PYLOAD_LOGIN[1]}"
        )
        account = self.stack.account()
        until = account.get("validuntil") or -1
        self.say(
            f"  account:   valid={account.get('valid')} premium={account.get('premium')} "
            f"until={time.strftime('%Y-%m-%d', time.gmtime(until)) if until > 0 else 'unknown'}"
        )
        self._add_items()
        ok = self._follow()
        self._summary()
        self.say(
            f"\npyLoad web interface: {process.web_url}  (login {PYLOAD_LOGIN[0]} / "
            f"{PYLOAD_LOGIN[1]}); downloads in {process.storagedir}"
        )
        if not self.args.once:
            self.say("Running until Ctrl-C ...")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                self.say("\nStopping ...")
        return 0 if ok else 1

    def _add_items(self) -> None:
        if self.args.real:
            for number, url in enumerate(self.args.links, 1):
                self.items.append(DemoItem(f"link {number}", url, url, f"offcloud-{number}"))
        else:
            for label, url, needle, package in SIMULATOR_ITEMS:
                self.items.append(DemoItem(label, url, needle, package, self._expected(url)))
        for item in self.items:
            item.started = time.monotonic()
            self.stack.process.add_package(item.package, [item.url])
            self.say(f"added {item.label}: {item.url}")

    def _expected(self, url: str) -> dict[str, str]:
        return expected_files(self.stack.simulator, url)

    def _files_of(self, item: DemoItem, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The links of an item: its own package, or the package it was expanded into."""
        own = [f for f in files if f["package_name"] == item.package]
        expanded = [
            f
            for f in files
            if f["package_name"] not in {i.package for i in self.items}
            and item.expected
            and f["name"] in item.expected
        ]
        return own + expanded

    def _follow(self) -> bool:
        deadline = time.monotonic() + self.args.timeout
        last: dict[str, str] = {}
        while time.monotonic() < deadline:
            files = self.stack.process.files()
            for item in self.items:
                mine = self._files_of(item, files)
                for f in mine:
                    line = f["statusmsg"] or STATUS_NAMES.get(f["status"], "")
                    if last.get(f"{f['fid']}") != line:
                        last[f"{f['fid']}"] = line
                        self.say(f"  [{item.label}] {f['name']}: {line}")
                if item.finished is None and mine and self._done(item, mine):
                    item.finished = time.monotonic()
            if all(item.finished is not None for item in self.items):
                return all(self._verdict(item)[0] for item in self.items)
            time.sleep(1)
        self.say("the demo timed out waiting for the downloads")
        return False

    def _done(self, item: DemoItem, mine: list[dict[str, Any]]) -> bool:
        real_files = [f for f in mine if f["status"] != LinkStatus.SKIPPED]
        if item.expected and len(real_files) < len(item.expected):
            return False
        return all(f["status"] in FINAL_STATUSES for f in mine)

    def _verdict(self, item: DemoItem) -> tuple[bool, str, int, str]:
        """(ok, route, bytes, check) for the summary."""
        from ..simulator import file_sha256  # noqa: PLC0415 - the simulator only when used

        files = [
            f
            for f in self._files_of(item, self.stack.process.files())
            if f["status"] != LinkStatus.SKIPPED
        ]
        total = 0
        checks: list[bool] = []
        for f in files:
            path = self.stack.process.storagedir / f["package_folder"] / f["name"]
            if f["status"] != LinkStatus.FINISHED or not path.exists():
                checks.append(False)
                continue
            total += path.stat().st_size
            if item.expected:
                checks.append(file_sha256(path) == item.expected.get(f["name"]))
        if not files:
            return False, self._route(item), 0, "nothing downloaded"
        if not item.expected:
            ok = all(f["status"] == LinkStatus.FINISHED for f in files)
            return ok, self._route(item), total, "not checked (real Offcloud)"
        ok = len(checks) == len(item.expected) and all(checks)
        return (
            ok,
            self._route(item),
            total,
            f"sha256 {'ok' if ok else 'MISMATCH'} ({len(files)} file(s))",
        )

    def _api_calls(self, item: DemoItem) -> Optional[int]:
        """Offcloud API calls spent on ``item``: its adds and every call about their jobs."""
        simulator = self.stack.simulator
        if simulator is None:
            return None
        calls = [c for c in simulator.calls if c.kind == "api"]
        adds = [c for c in calls if item.needle in (c.body_summary or "")]
        jobs = {c.request_id for c in adds if c.request_id}
        if "/cloud/download/" in item.url:
            jobs.add(item.needle)  # a job already in the cloud: its folder link names it
        return len([c for c in calls if c in adds or (c.request_id and c.request_id in jobs)])

    def _route(self, item: DemoItem) -> str:
        simulator = self.stack.simulator
        if simulator is None:
            return "-"
        calls = [
            c for c in simulator.calls if c.kind == "api" and item.needle in (c.body_summary or "")
        ]
        paths = {c.path for c in calls}
        if "/api/cloud" in paths:
            return "cloud"
        if "/api/cache/download" in paths:
            return "cache"  # a cached magnet's files without a job (docs/api.md L19)
        if "/api/instant" in paths:
            return "instant"
        if any(
            c.path.startswith("/api/cloud/explore/") and item.needle in c.path
            for c in simulator.calls
        ):
            return "existing"  # a job already in the cloud: explored, nothing added
        return "-"

    def _summary(self) -> None:
        self.say("\nSummary")
        header = f"  {'item':<20} {'route':<8} {'time':>7} {'size':>10} {'API calls':>9}  check"
        self.say(header)
        self.say("  " + "-" * (len(header) + 20))
        for item in self.items:
            _, route, total, check = self._verdict(item)
            took = f"{item.finished - item.started:.1f} s" if item.finished else "-"
            calls = self._api_calls(item)
            spent = "-" if calls is None else str(calls)
            self.say(
                f"  {item.label:<20} {route:<8} {took:>7} {format_size(total):>10} {spent:>9}  "
                f"{check}"
            )

    def stop(self) -> None:
        self.stack.stop()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="./run demo", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="exit after the summary")
    parser.add_argument(
        "--real",
        action="store_true",
        help="use the real Offcloud with OFFCLOUD_API_KEY and the LINKs given",
    )
    parser.add_argument("links", nargs="*", metavar="LINK", help="links for --real")
    parser.add_argument("--home", default=".demo", help="the throwaway folder (default: .demo)")
    parser.add_argument("--web-port", type=int, default=None, help="pyLoad's web port")
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for the items (default: 300)"
    )
    args = parser.parse_args(argv)
    if args.real and not (os.environ.get("OFFCLOUD_API_KEY") and args.links):
        parser.error("--real needs OFFCLOUD_API_KEY in the environment and at least one LINK")
    # A terminal's Ctrl-C and a service manager's SIGTERM both stop everything we started.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        demo = Demo(args, sys.stdout)
    except DemoHomeError as exc:
        parser.error(str(exc))
    try:
        return demo.run()
    except KeyboardInterrupt:
        return 130
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
