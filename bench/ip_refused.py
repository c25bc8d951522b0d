"""Offcloud refuses downloads from this IP for a while, then accepts them (issue 19, "Refused IP").

A real pyLoad with the plugins and the simulator (live profile). The simulator's ``ip_refused``
fault makes every file download answer 403 ``{"error": "You are not authorized to download this
file."}`` (docs/api.md L24) for ``--window`` seconds; a hoster link and a cached two-file magnet
are added at its start. While the window lasts, pyLoad's queue is read through its API: what the
links said. Then every file must arrive intact (sha256) and no link may fail. Prints the figures:
the time, the API calls made during the window and after it by route, the probes, and how soon
the files came once Offcloud accepted the IP again. Not a timed test. Usage::

    .venv/bin/python bench/ip_refused.py [--window 45] [--ip-check 60] [--body json|empty]
        [--json out.json]

``tests/e2e/test_ip_refused.py`` runs :func:`drill` with a short window and interval in CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from offcloud_api.harness.runner import FINAL_STATUSES
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256

DEFAULT_SCENARIO = (
    Path(__file__).parents[1] / "offcloud_api" / "simulator" / "default_scenario.json"
)
#: The acceptance: downloads refused for 45 s, the downloader's default check interval.
WINDOW_SECONDS = 45.0
IP_CHECK_SECONDS = 60
#: The links in pyLoad's queue once the magnet is decrypted.
LINKS = 3


@dataclass(frozen=True)
class DrillLinks:
    """One drill's links: a hoster link (a cloud job, then one CDN file) and a cached magnet of
    two files. ``tag`` keeps the links of several drills in one pyLoad apart."""

    tag: str = "a"

    @property
    def prefix(self) -> str:
        """What every package name of this drill starts with."""
        return f"IPR-{self.tag}"

    @property
    def hoster_link(self) -> str:
        return f"https://nitroflare.com/view/IPREFUSED{self.tag.upper()}/{self.hoster_file}"

    @property
    def hoster_file(self) -> str:
        return f"ip-refused-{self.tag}.bin"

    @property
    def torrent_name(self) -> str:
        return f"{self.prefix}-pair"

    @property
    def torrent_hash(self) -> str:
        seed = f"ip-refused-two-files-{self.tag}".encode()
        return hashlib.sha1(seed).hexdigest()  # noqa: S324 - made up

    @property
    def torrent_files(self) -> tuple[str, str]:
        return (f"ip-refused-{self.tag}-one.mkv", f"ip-refused-{self.tag}-two.mkv")

    @property
    def magnet(self) -> str:
        return build_magnet(self.torrent_hash, self.torrent_name)


def scenario(*drills: DrillLinks) -> dict[str, Any]:
    """The default live scenario plus each drill's hoster link and cached magnet."""
    data: dict[str, Any] = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    for links in drills or (DrillLinks(),):
        data["links"].append(
            {
                "url": links.hoster_link,
                "file": {"name": links.hoster_file, "size": "512 KiB"},
                "duration": 1,
            }
        )
        data["torrents"].append(
            {
                "info_hash": links.torrent_hash,
                "name": links.torrent_name,
                "cached": True,
                "files": [
                    {"path": f"{links.torrent_name}/{name}", "size": "384 KiB"}
                    for name in links.torrent_files
                ],
            }
        )
    return data


@dataclass
class Figures:
    """What one drill measured."""

    window_s: float
    ip_check_s: float
    #: From adding the links to the last file on disk.
    total_s: float = 0.0
    #: From the end of the window to the last file on disk.
    after_window_s: float = 0.0
    files: int = 0
    intact: int = 0
    #: Links in a final state other than finished.
    not_finished: list[str] = field(default_factory=list)
    #: Distinct messages of links shown waiting during the window.
    waiting_messages: list[str] = field(default_factory=list)
    #: Samples of pyLoad's queue during the window, and those with a link waiting.
    samples: int = 0
    samples_waiting: int = 0
    #: API calls by route: from the first refused download to the end of the window, and after.
    api_in_window: dict[str, int] = field(default_factory=dict)
    api_after: dict[str, int] = field(default_factory=dict)
    #: API calls of the window before the first refusal (the links' own adds and polls).
    api_before_refusal: dict[str, int] = field(default_factory=dict)
    #: File requests in the window: refused downloads and one-byte probes.
    refused_downloads: int = 0
    probes: int = 0
    #: The account notice, as pyLoad's log shows it (how many times it was given).
    notices: int = 0
    #: What the Offcloud plugins logged about the IP, in order (shortened).
    ip_log: list[str] = field(default_factory=list)

    @property
    def api_in_window_total(self) -> int:
        return sum(self.api_in_window.values())


def _route(path: str) -> str:
    """``/api/cloud/explore/<id>`` → ``cloud/explore``: the route without ids."""
    parts = [p for p in path.split("?", maxsplit=1)[0].split("/") if p and p != "api"]
    named = [p for p in parts if not any(ch.isdigit() for ch in p) or len(p) < 12]
    return "/".join(named) or "/"


def _by_route(calls: list[Any]) -> dict[str, int]:
    return dict(Counter(_route(call.path) for call in calls))


def _on_disk(stack: OffcloudPyloadStack, name: str) -> Optional[Path]:
    found = sorted(stack.process.storagedir.rglob(name))
    return found[0] if found else None


def _specs(stack: OffcloudPyloadStack, links: DrillLinks) -> dict[str, Any]:
    """The simulator's file of each name the drill downloads."""
    specs: dict[str, Any] = {}
    scenario = stack.simulator.scenario
    for item in [*scenario.links, *scenario.torrents]:
        if getattr(item, "url", None) == links.hoster_link or (
            getattr(item, "info_hash", "") == links.torrent_hash
        ):
            for spec in item.files:
                specs[spec.name] = spec
    return specs


def _ip_lines(pl: Any) -> list[str]:
    """What the Offcloud plugins logged about the IP (pyLoad's log file and its console output
    hold the same lines: each once)."""
    return list(
        dict.fromkeys(
            line
            for line in pl.log_text().splitlines()
            if "OffcloudCom" in line and (" IP " in line or "this IP" in line)
        )
    )


def drill(
    stack: OffcloudPyloadStack,
    *,
    window: float,
    timeout: float,
    ip_check: int = IP_CHECK_SECONDS,
    links: DrillLinks = DrillLinks(),
    body: str = "json",
    poll: float = 0.5,
) -> Figures:
    """Refuse downloads for ``window`` seconds from now, add the links, measure; see above.

    ``ip_check`` is the downloader's option of that name: the seconds between probes. ``body``
    is how a refusal answers (the fault's ``body``): ``json`` (Offcloud's text), ``html``,
    ``text``, or ``empty`` (a bare 403, as pyLoad may hand it over).
    """
    sim, pl = stack.simulator, stack.process
    pl.set_config_value("OffcloudCom", "ip_check", ip_check, plugin=True)
    figures = Figures(window_s=window, ip_check_s=float(ip_check))
    logged_before = set(_ip_lines(pl))
    first_call = len(sim.calls)
    sim.inject("ip_refused", for_seconds=window, body=body)
    started = time.time()
    window_end = started + window
    pl.add_package(f"{links.prefix}-hoster", [links.hoster_link])
    pl.add_package(links.torrent_name, [links.magnet])

    def mine() -> list[dict[str, Any]]:
        return [f for f in pl.files() if str(f["package_name"]).startswith(links.prefix)]

    messages: list[str] = []
    while time.time() < window_end - poll:
        figures.samples += 1
        waiting = [f for f in mine() if f["status_name"] == "waiting"]
        if waiting:
            figures.samples_waiting += 1
        for link in waiting:
            text = str(link.get("error") or link.get("statusmsg") or "")
            if text not in messages:
                messages.append(text)
        time.sleep(max(0.0, min(poll, window_end - time.time())))
    files: list[dict[str, Any]] = []

    def all_final(_: Any) -> bool:
        nonlocal files
        files = mine()
        return len(files) == LINKS and all(f["status"] in FINAL_STATUSES for f in files)

    pl.wait_until(all_final, timeout, interval=poll)
    done = time.time()
    figures.total_s = round(done - started, 1)
    figures.after_window_s = round(done - window_end, 1)
    figures.waiting_messages = messages
    figures.files = len(files)
    figures.not_finished = [
        f"{f['name']}: {f['status_name']} {f['error']}"
        for f in files
        if f["status"] in FINAL_STATUSES and f["status_name"] != "finished"
    ]
    for name, spec in _specs(stack, links).items():
        path = _on_disk(stack, name)
        if path is not None and file_sha256(path) == expected_sha256(spec):
            figures.intact += 1
    calls = sim.calls[first_call:]
    refused = [c for c in calls if c.kind == "file" and c.fault and c.time < window_end]
    first_refusal = refused[0].time if refused else window_end
    api = [c for c in calls if c.kind == "api"]
    figures.api_before_refusal = _by_route([c for c in api if c.time < first_refusal])
    figures.api_in_window = _by_route([c for c in api if first_refusal <= c.time < window_end])
    figures.api_after = _by_route([c for c in api if c.time >= window_end])
    figures.probes = sum(1 for c in refused if c.range == "bytes=0-0")
    figures.refused_downloads = len(refused) - figures.probes
    lines = [line for line in _ip_lines(pl) if line not in logged_before]
    figures.notices = sum(
        1 for line in lines if "ACCOUNT OffcloudCom" in line and "Offcloud account" in line
    )
    figures.ip_log = [line[:220] for line in lines[:40]]
    return figures


def report(figures: Figures) -> str:
    """The figures as the lines the bench prints."""
    data = asdict(figures)
    data["api_in_window_total"] = figures.api_in_window_total
    return json.dumps(data, indent=2)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--window", type=float, default=WINDOW_SECONDS)
    parser.add_argument("--ip-check", type=int, default=IP_CHECK_SECONDS)
    parser.add_argument("--body", choices=("json", "html", "text", "empty"), default="json")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="offcloud-ip-refused-"))
    try:
        with OffcloudPyloadStack(home, scenario=scenario()) as stack:
            figures = drill(
                stack,
                window=args.window,
                timeout=args.timeout,
                ip_check=args.ip_check,
                body=args.body,
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    text = report(figures)
    sys.stdout.write(text + "\n")
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    ok = figures.intact == LINKS and not figures.not_finished
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
