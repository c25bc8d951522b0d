"""One pyLoad and simulator under measurement: a job added and waited for, pyLoad's queue read
from its database, the clean-up between measurements."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus, PyloadProcess
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.simulator import expected_sha256, file_sha256
from offcloud_api.simulator.calllog import CallRecord

from .calls import count_routes
from .config import HOOK
from .scenario import Item, Scenario


@dataclass
class JobRun:
    label: str
    added_at: float  # wall clock, just before pyLoad was asked to add the link
    first_byte_at: Optional[float]  # the first download request the simulator saw
    finished_at: Optional[float]  # the newest mtime of the job's files
    api_calls: Counter[str]
    file_requests: int
    intact: bool
    cpu_s: float
    status: str

    @property
    def ttfb_s(self) -> Optional[float]:
        return None if self.first_byte_at is None else self.first_byte_at - self.added_at

    @property
    def transfer_s(self) -> Optional[float]:
        if self.first_byte_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.first_byte_at

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_calls"] = dict(self.api_calls)
        data["api_calls_total"] = sum(self.api_calls.values())
        data["ttfb_s"] = self.ttfb_s
        data["transfer_s"] = self.transfer_s
        return data


def cpu_seconds(pid: Optional[int]) -> float:
    """User plus system CPU time of a process (Linux; 0 elsewhere)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Session:
    """The stack under measurement, the scenario's items, and where progress is said."""

    def __init__(
        self, stack: OffcloudPyloadStack, scenario: Scenario, say: Callable[[str], None]
    ) -> None:
        self.stack = stack
        self.scenario = scenario
        self.say = say
        self.counter = 0

    @property
    def pl(self) -> PyloadProcess:
        return self.stack.process

    def next_package(self) -> str:
        """A new package name: ``bench-001``, ``bench-002``, ..."""
        self.counter += 1
        return f"bench-{self.counter:03d}"

    def calls_since(self, index: int) -> list[CallRecord]:
        calls: list[CallRecord] = self.stack.simulator.calls
        return calls[index:]

    def run_job(self, item: Item, *, timeout: float = 300) -> JobRun:
        """Add ``item`` as its own package, wait until its files are finished, measure, clean up."""
        package = self.next_package()
        start_index = len(self.stack.simulator.calls)
        cpu_before = cpu_seconds(self.pl.pid)
        added_at = time.time()
        self.pl.add_package(package, [item.url])

        def done(pl: PyloadProcess) -> bool:
            mine = [f for f in pl.files() if f["name"] in item.names]
            finished = {f["name"] for f in mine if f["status"] == LinkStatus.FINISHED}
            failed = [f for f in mine if f["status"] in FINAL_STATUSES - {LinkStatus.FINISHED}]
            if failed:
                first = failed[0]
                raise RuntimeError(
                    f"{item.label}: {first['name']} ended {first['status_name']}: {first['error']}"
                )
            return finished == item.names

        self.pl.wait_until(done, timeout=timeout, interval=1.0)
        cpu = cpu_seconds(self.pl.pid) - cpu_before
        calls = self.calls_since(start_index)
        file_calls = [c for c in calls if c.kind == "file"]
        api = count_routes(calls)
        paths = [self._on_disk(f["name"]) for f in item.files]
        intact = all(
            file_sha256(path) == expected_sha256(f["seed"], f["size"])
            for path, f in zip(paths, item.files)
        )
        run = JobRun(
            label=item.label,
            added_at=added_at,
            first_byte_at=min((c.time for c in file_calls), default=None),
            finished_at=max(path.stat().st_mtime for path in paths),
            api_calls=api,
            file_requests=len(file_calls),
            intact=intact,
            cpu_s=cpu,
            status="finished",
        )
        self.clean_up()
        return run

    def _on_disk(self, name: str) -> Path:
        found = [p for p in self.pl.storagedir.rglob(name) if p.is_file()]
        if len(found) != 1:
            raise RuntimeError(f"expected one {name} on disk, found {found}")
        return found[0]

    def clean_up(self) -> None:
        """Every package out of pyLoad's queue and every file out of its download folder."""
        pids = [p["pid"] for p in self.pl.queue()]
        if pids:
            self.pl.delete_packages(pids)
        for child in self.pl.storagedir.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    def clean_up_many(self, decrypting: bool) -> float:
        """:meth:`clean_up` for thousands of packages; the seconds pyLoad took."""
        started = time.monotonic()
        # pyLoad deletes thousands of packages slowly: more than its API client's 60 s on a busy
        # 2-CPU machine. Wait for it; it is reported, not a goal.
        timeout, self.pl.http_timeout = self.pl.http_timeout, max(self.pl.http_timeout, 1800.0)
        try:
            self.clean_up()
            if decrypting:
                time.sleep(2)  # decrypters that were running end; their packages go too
                self.clean_up()
        finally:
            self.pl.http_timeout = timeout
        return time.monotonic() - started

    # ---- pyLoad's queue, read from its database ------------------------------------------------

    def queue_links(self) -> list[tuple[int, str, int, int]]:
        """(link id, name, status, package id) of every link in pyLoad's queue, read from its
        database.

        pyLoad writes its queue in autocommit mode, so the database is as current as its API,
        and reading it costs none of the 100 API calls a minute pyLoad allows.
        """
        rows = self._read_queue("l.id, l.name, l.status, l.package")
        return [(int(f), str(n or ""), int(s), int(p)) for f, n, s, p in rows]

    def queue_link_count(self) -> int:
        return int(self._read_queue("COUNT(*)")[0][0])

    def _read_queue(self, columns: str) -> list[tuple[Any, ...]]:
        uri = f"{self.pl.database_path.as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            return db.execute(
                f"SELECT {columns} FROM links l JOIN packages p ON l.package = p.id "  # noqa: S608
                "WHERE p.queue = 1"
            ).fetchall()

    # ---- the addon's options -------------------------------------------------------------------

    def hook(self, option: str, value: Any) -> None:
        """Set one of the addon's (OffcloudComHook) options."""
        self.pl.set_config_value(HOOK, option, value, plugin=True)

    def follow_interval(self, seconds: int) -> None:
        self.hook("follow_interval", seconds)
        # The loop keeps the round it planned with the old interval (up to 30 s away); saving
        # "follow" again restarts it, so the new interval applies from now.
        self.hook("follow", True)
