"""The fault matrix's cases the plugin code decides, without starting pyLoad (issue 20, item 4).

Each case here was an end-to-end case of tests/e2e/test_faults.py; what it asserted is asserted
here with the same expectations. The real downloader plugin class (loaded from the file pyLoad
loads) runs its ``handle_premium`` with a real client over real HTTP against the simulator, the
same fault injected; only the pyLoad objects the plugin touches are stood in (as in
tests/test_downloader_checks.py), and the client's waits move the simulator's clock instead of
sleeping. A case ends where the plugin hands the file link to pyLoad ("download starts"), or
with the outcome pyLoad would show (failed, offline), which the plugin decides; the download
itself, pyLoad's retries, restarts and kills stay end-to-end (test_faults.py).

Like test_faults.py, the module writes its rows of the fault matrix where
``OFFCLOUD_FAULT_REPORT`` says, beside the end-to-end ones (bench/fault_table.py renders both).
"""

from __future__ import annotations

import importlib.util
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from fakes import FakePyloadDb, MemoryStore
from fault_rows import CaseRecord, write_report

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from pyload.core.network.exceptions import Fail

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api import client as client_module
from offcloud_api.client import DEFAULT_BASE_URL
from offcloud_api.install import installer
from offcloud_api.polling import wait_for_job
from offcloud_api.pyload.hostrest import hostrest
from offcloud_api.pyload.ippause import ippause
from offcloud_api.simulator import DEMO_API_KEY, NO_DOWNLOAD_API_KEY, Simulator, load_scenario

SOURCE = next(p for f, p in installer.shipped_files() if f == "downloaders")

# The links of the end-to-end cases, with their names (as Offcloud is sent them).
RATE_LIMIT_LINK = "https://nitroflare.com/view/FLT429/rate-limited.bin"
SERVER_ERROR_LINK = "https://nitroflare.com/view/FLT500/server-error.bin"
TRUNCATED_LINK = "https://nitroflare.com/view/FLTCUT/truncated.bin"
RESET_LINK = "https://nitroflare.com/view/FLTRST/reset.bin"
NO_DOWNLOAD_LINK = "https://rapidgator.net/file/fltnodl"
OFFLINE_LINK = "https://rapidgator.net/file/fltoff"
JOB_ERROR_LINK = "https://nitroflare.com/view/FLTJOB/job-error.bin"
JOB_ERROR_TWICE_LINK = "https://nitroflare.com/view/FLTJOB2/job-error-twice.bin"
#: Cloud jobs of these links take this many simulated seconds at Offcloud.
SHORT_JOB = 2


def _link(url: str, name: str, duration: float = SHORT_JOB) -> dict[str, Any]:
    return {"url": url, "file": {"name": name, "size": "256 KiB"}, "duration": duration}


SCENARIO = {
    "extends": "default",
    # Every add makes a new job: a link sent twice shows up as two jobs.
    "api": {"dedupe": False},
    "links": [
        _link(RATE_LIMIT_LINK, "rate-limited.bin"),
        _link(SERVER_ERROR_LINK, "server-error.bin"),
        _link(TRUNCATED_LINK, "truncated.bin"),
        _link(RESET_LINK, "reset.bin"),
        _link(NO_DOWNLOAD_LINK, "no-download.bin"),
        _link(OFFLINE_LINK, "offline.bin"),
        _link(JOB_ERROR_LINK, "job-error.bin", duration=4),
        _link(JOB_ERROR_TWICE_LINK, "job-error-twice.bin"),
    ],
}


# ---------------------------------------------------------------------------------------------
# the record, as test_faults.py keeps it


ROWS: list[CaseRecord] = []


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    """Add the rows to the report ``OFFCLOUD_FAULT_REPORT`` names, once the module is done
    (rows of the same case replaced, the end-to-end rows kept)."""
    yield
    write_report(ROWS)


# ---------------------------------------------------------------------------------------------
# the plugin, pyLoad stood in


class RetriedError(Exception):
    """pyLoad's ``retry``: the link waits ``wait`` seconds and runs again."""

    def __init__(self, attempts: int, wait: float, msg: str, msgfail: str) -> None:
        super().__init__(msg)
        self.attempts, self.wait, self.msg, self.msgfail = attempts, wait, msg, msgfail


def _plugin_class() -> Any:
    spec = importlib.util.spec_from_file_location("pyload.plugins.downloaders.OffcloudCom", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OffcloudCom


PLUGIN_CLASS = _plugin_class()


class Account:
    """pyLoad's account plugin as the downloader uses it: the key and a client per attempt.

    The client is the one ``offcloud_api.pyload.transport.client_for`` makes (the retry policy
    for bursts, the 2026 API), over ``requests`` instead of pyLoad's request object; it reaches
    ``https://offcloud.com/api`` through the simulator as its proxy, as pyLoad does end to end.
    """

    user = "demo"

    def __init__(self, sim: Simulator, key: str, sleep: Any) -> None:
        self.sim, self.key, self.sleep = sim, key, sleep
        self.sessions: list[requests.Session] = []

    def api_key(self, user: Any = None) -> str:
        return self.key

    def offcloud_client(self, plugin: Any, api_key: str, should_abort: Any = None) -> OffcloudAPI:
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides session.verify
        session.proxies = {"https": self.sim.proxy_url, "http": self.sim.proxy_url}
        session.verify = self.sim.ca_cert_path
        self.sessions.append(session)
        return OffcloudAPI(
            api_key,
            base_url=DEFAULT_BASE_URL,
            session=session,
            retry=RetryPolicy.for_bursts(self.sleep, max_retry_after=10.0),
            api_generation="2026",
        )

    def close(self) -> None:
        for session in self.sessions:
            session.close()


class PyFile:
    def __init__(self, url: str) -> None:
        self.url = url
        self.name = url.rsplit("/", 1)[-1]
        self.size = 0
        self.error = ""
        self.abort = False
        self.pluginname = "OffcloudCom"
        self.id = 1
        self.shown: list[str] = []

    def set_custom_status(self, text: str) -> None:
        self.shown.append(text)

    def set_progress(self, percent: int) -> None:
        pass


class Case:
    """One fault case: the simulator, the plugin that follows the link, what happened."""

    def __init__(self, sim: Simulator, record: CaseRecord, key: str = DEMO_API_KEY) -> None:
        self.sim = sim
        self.record = record
        self.key = key
        #: The client's waits, each with the number of API calls made by then.
        self.slept: list[tuple[int, float]] = []
        self.now = 0.0
        self.logged: list[str] = []
        #: What the plugin logged as warnings (the matrix's "warnings"), in order.
        self.warnings: list[str] = []
        self.db = MemoryStore()
        self.pyload_db = FakePyloadDb()

    def sleep(self, seconds: float) -> None:
        self.slept.append((len(self.calls()), seconds))
        self.now += seconds
        self.sim.advance(seconds)  # Offcloud's jobs go on meanwhile; no wall time passes

    def clock(self) -> float:
        """The time the poll loop reads: it moves with the waits only."""
        return self.now

    def plugin(self, url: str) -> Any:
        plugin = object.__new__(PLUGIN_CLASS)
        plugin.pyfile = PyFile(url)
        plugin.db = self.db
        plugin.pyload = SimpleNamespace(db=self.pyload_db)
        plugin.config = SimpleNamespace(get=lambda name, default=None: default)
        plugin.account = Account(self.sim, self.key, self.sleep)
        plugin._ = lambda text: text

        def log(*args: Any, **kwargs: Any) -> None:
            self.logged.append(" ".join(str(a) for a in args))

        def warn(*args: Any, **kwargs: Any) -> None:
            log(*args)
            self.warnings.append(" ".join(str(a) for a in args))

        plugin.log_info = plugin.log_debug = log
        plugin.log_warning = warn
        # What init() and setup() give every attempt.
        plugin._from_start = False
        plugin._one_connection = False
        plugin._rest_shown = False
        plugin._drops = 0
        plugin.multi_dl = True
        plugin.api = None
        plugin.link = None
        plugin._link_refreshed = False
        plugin._cloud_job = None
        plugin._file_path = None
        plugin._ip_turn = False
        plugin._refusal_body = b""
        plugin._download_started = None

        def retry(attempts: int = 5, wait: float = 1, msg: str = "", msgfail: str = "") -> None:
            raise RetriedError(attempts, wait, msg, msgfail)

        def fail(msg: str = "") -> None:
            raise Fail(msg)

        plugin.retry = retry
        plugin.fail = fail
        return plugin

    def run(self, url: str) -> Any:
        """One attempt of the link, as pyLoad runs it: the plugin's outcome, its client closed."""
        plugin = self.plugin(url)
        try:
            plugin.handle_premium(plugin.pyfile)
        except Fail as exc:
            status = "offline" if str(exc) == "offline" else "failed"
            self.record.status = status
            self.record.message = plugin.pyfile.error if status == "offline" else str(exc)
            return SimpleNamespace(status=status, message=self.record.message, plugin=plugin)
        finally:
            plugin._close_client()
            plugin.account.close()
        assert plugin.link, "the plugin handed no file link to pyLoad"
        self.record.status = "download starts"
        return SimpleNamespace(status="download starts", message="", plugin=plugin)

    def calls(self, kind: str = "api") -> list[Any]:
        return [c for c in self.sim.calls if c.kind == kind]


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator(load_scenario(SCENARIO)) as running:
        yield running


@pytest.fixture
def sim(simulator: Simulator) -> Iterator[Simulator]:
    simulator.reset()
    ippause.clear()
    hostrest.clear()
    yield simulator
    simulator.clear_faults()
    ippause.clear()
    hostrest.clear()


@pytest.fixture(autouse=True)
def _poll_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The client's poll loop reads the case's clock, which its waits move (not the wall's)."""
    CURRENT.clear()
    monkeypatch.setattr(
        client_module,
        "wait_for_job",
        lambda *args, **kwargs: wait_for_job(*args, clock=CURRENT[-1].clock, **kwargs),
    )
    yield
    CURRENT.clear()


#: The case running now (its clock drives the poll loop).
CURRENT: list[Case] = []


@contextmanager
def _case(
    sim: Simulator, name: str, fault: str, expected: str, key: str = DEMO_API_KEY
) -> Iterator[Case]:
    record = CaseRecord(case=name, fault=fault, expected=expected)
    case = Case(sim, record, key)
    CURRENT.append(case)
    started = time.monotonic()
    try:
        yield case
    finally:
        sim.clear_faults()
        record.api_calls = len(case.calls())
        record.routes = dict(Counter(_route(c) for c in case.calls()))
        record.warnings = list(dict.fromkeys(case.warnings))  # once each, as test_faults.py
        record.duration_s = round(time.monotonic() - started, 1)
        ROWS.append(record)


# ---------------------------------------------------------------------------------------------
# the call log, read as test_faults.py reads it

#: A request id in a path (``/api/cloud/explore/<id>``).
_REQUEST_ID = re.compile(r"/[0-9a-f]{24}(?=/|$)")


def _route(call: Any) -> str:
    path = _REQUEST_ID.sub("", call.path)
    return path[len("/api/") :] if path.startswith("/api/") else path


def _paths(calls: list[Any]) -> list[str]:
    return [f"{c.method} {c.path} {c.status}{' ' + c.fault if c.fault else ''}" for c in calls]


def _submissions(calls: list[Any], url: str) -> list[Any]:
    """POST /api/cloud calls for ``url`` that Offcloud acted on (not refused by a fault first)."""
    return [
        c
        for c in calls
        if c.method == "POST"
        and c.path == "/api/cloud"
        and url in (c.body_summary or "")
        and c.fault not in ("rate_limit", "server_error")
    ]


def _jobs_at_offcloud(sim: Simulator, url: str) -> list[dict[str, Any]]:
    return [j for j in sim.state.snapshot()["jobs"] if j["original_link"] == url]


def _one_job(case: Case, url: str) -> None:
    """Nothing lost, nothing twice: the link reached Offcloud's cloud once, as one job."""
    calls = case.calls()
    assert len(_submissions(calls, url)) == 1, _paths(calls)
    assert len(_jobs_at_offcloud(case.sim, url)) == 1


def _live_route(case: Case, url: str, outcome: Any) -> None:
    """The live API's way (§00 L4, L10, L11): no instant call, the link's newest job explored
    once, and the file link handed to pyLoad a signed CDN link of that job that needs no key."""
    calls = case.calls()
    assert not [c for c in calls if c.path.startswith("/api/instant")], _paths(calls)
    final = _jobs_at_offcloud(case.sim, url)[-1]["request_id"]
    explored = [c for c in calls if c.path.startswith("/api/cloud/explore/")]
    assert [c.path for c in explored] == [f"/api/cloud/explore/{final}"], _paths(calls)
    assert all(c.status == 200 for c in explored), _paths(calls)
    link = outcome.plugin.link
    host = link.split("/")[2]
    assert host.endswith(".energycdn.com"), link
    token = link.split("/")[5]
    assert link.split("/")[3] == "cdn3sto", link
    assert case.sim.state.cdn_links[token].request_id == final, link
    assert case.key not in link


# ---------------------------------------------------------------------------------------------
# the cases: Offcloud's API misbehaves


def test_429_with_retry_after_on_the_cloud_call(sim: Simulator) -> None:
    with _case(
        sim,
        "429 with Retry-After",
        "429 with Retry-After: 2 on POST /api/cloud, once",
        "waits 2 s, adds again, the download starts",
    ) as case:
        sim.inject("rate_limit", path="/api/cloud", count=1, retry_after=2)
        outcome = case.run(RATE_LIMIT_LINK)
    calls = case.calls()
    assert outcome.status == "download starts"
    adds = [c for c in calls if c.path == "/api/cloud"]
    assert [c.status for c in adds] == [429, 200]
    # What Retry-After asked, waited between the two adds.
    between = [s for at, s in case.slept if calls.index(adds[0]) < at <= calls.index(adds[1])]
    assert sum(between) >= 1.9, case.slept
    _one_job(case, RATE_LIMIT_LINK)
    _live_route(case, RATE_LIMIT_LINK, outcome)
    assert 3 <= case.record.api_calls <= 8, _paths(calls)


def test_500_with_an_html_page(sim: Simulator) -> None:
    with _case(
        sim,
        "500 with an HTML page",
        "HTTP 500 with an nginx HTML page on a status poll, once",
        "the poll is sent again at once, the download starts",
    ) as case:
        sim.inject("server_error", path="/api/cloud/status", count=1)
        outcome = case.run(SERVER_ERROR_LINK)
    calls = case.calls()
    assert outcome.status == "download starts"
    polls = [c for c in calls if c.path == "/api/cloud/status"]
    assert polls[0].status == 500
    assert polls[1].status == 200
    # The client's own retry, not pyLoad's 30 s: the wait between the two polls.
    between = [s for at, s in case.slept if calls.index(polls[0]) < at <= calls.index(polls[1])]
    assert sum(between) < 10, case.slept
    _one_job(case, SERVER_ERROR_LINK)
    _live_route(case, SERVER_ERROR_LINK, outcome)
    assert 3 <= case.record.api_calls <= 8, _paths(calls)


@pytest.mark.parametrize(
    ("kind", "url", "name", "fault"),
    [
        (
            "truncated_json",
            TRUNCATED_LINK,
            "truncated JSON",
            "the answer to POST /api/cloud cut in half (the job was made), once",
        ),
        (
            "reset",
            RESET_LINK,
            "connection reset",
            "connection reset halfway through the answer to POST /api/cloud (the job was made)",
        ),
    ],
    ids=["truncated", "reset"],
)
def test_a_lost_answer_to_the_add(
    sim: Simulator, kind: str, url: str, name: str, fault: str
) -> None:
    with _case(sim, name, fault, "finds the job in the history instead of adding it twice") as case:
        sim.inject(kind, path="/api/cloud", count=1)
        outcome = case.run(url)  # no pyLoad retry (30 s) needed: the first attempt goes on
    calls = case.calls()
    assert outcome.status == "download starts"
    paths = [c.path for c in calls]
    add = paths.index("/api/cloud")
    assert paths[add + 1] == "/api/cloud/history", paths  # where the lost job is found
    assert calls[add].fault == kind
    assert any("found the job" in line for line in case.logged), case.logged
    _one_job(case, url)
    _live_route(case, url, outcome)
    assert 3 <= case.record.api_calls <= 8, _paths(calls)


# ---------------------------------------------------------------------------------------------
# the account and the link


def test_an_account_that_cannot_download(sim: Simulator) -> None:
    with _case(
        sim,
        "cannot download",
        "the account has can_download false",
        "fails at once, pointing to the account page",
        key=NO_DOWNLOAD_API_KEY,
    ) as case:
        outcome = case.run(NO_DOWNLOAD_LINK)
    calls = case.calls()
    assert outcome.status == "failed"
    assert "Offcloud refused this for your account (User is not allowed this operation.)" in (
        outcome.message
    )
    # No job was made: at most one add, and Offcloud refused it.
    assert [c.status for c in _submissions(calls, NO_DOWNLOAD_LINK) if c.status == 200] == []
    assert len(_submissions(calls, NO_DOWNLOAD_LINK)) <= 1, _paths(calls)
    assert _jobs_at_offcloud(sim, NO_DOWNLOAD_LINK) == []
    assert 1 <= case.record.api_calls <= 3, _paths(calls)
    assert NO_DOWNLOAD_API_KEY not in outcome.message


def test_an_offline_link(sim: Simulator) -> None:
    with _case(
        sim,
        "offline link",
        'the add answers HTTP 500 with the bare JSON string "Error parsing url - HTTP code: 404 "',
        "offline at once, with Offcloud's text; not taken for a lost answer",
    ) as case:
        sim.inject("link_offline", link=OFFLINE_LINK)
        outcome = case.run(OFFLINE_LINK)
    calls = case.calls()
    assert outcome.status == "offline"
    assert "Error parsing url - HTTP code: 404" in outcome.message  # Offcloud's own text (L6)
    # One refused add and nothing after it: no history look-up, no second add (a dead link is
    # no lost answer) and no instant call before it (L4).
    assert _paths(calls) == ["POST /api/cloud 500"]
    assert _jobs_at_offcloud(sim, OFFLINE_LINK) == []
    assert outcome.plugin.link is None  # nothing to download


def _readded(case: Case, url: str, jobs: list[dict[str, Any]]) -> list[Any]:
    """The re-add after a failed job, as the live API makes it (no retry route): the plugin
    asked for Offcloud's retry once, got the HTML 404 of a route that does not exist (L3), and
    added the link once more, after that 404."""
    calls = case.calls()
    first, second = jobs
    assert first["status"] == "error", first
    assert first["attempt"] == second["attempt"] == 1  # no retry happened at Offcloud
    retries = [c for c in calls if "/retry" in c.path]
    assert _paths(retries) == [f"GET /api/cloud/retry/{first['request_id']} 404"]
    adds = _submissions(calls, url)
    assert [(c.status, c.request_id) for c in adds] == [
        (200, first["request_id"]),
        (200, second["request_id"]),
    ], _paths(calls)
    assert calls.index(adds[0]) < calls.index(retries[0]) < calls.index(adds[1])
    assert any("Offcloud job failed, trying it once more" in line for line in case.logged)
    assert "Offcloud will not retry the job; adding the link again" in case.logged
    return calls


def test_a_cloud_job_that_fails_is_added_once_more(sim: Simulator) -> None:
    with _case(
        sim,
        "cloud job error",
        "the cloud job ends in error (File will not be downloaded due to an error.), once",
        "no retry route (HTML 404): adds the link once more, the download starts",
    ) as case:
        # The fault is about the first job only, so the job added again can succeed: it is
        # injected once the first job exists (the client's first wait, after the add).
        def first_job_fails(seconds: float) -> None:
            if not sim.faults:
                (add,) = _submissions(case.calls(), JOB_ERROR_LINK)
                sim.inject("job_error", request_id=add.request_id)
            Case.sleep(case, seconds)

        case.sleep = first_job_fails  # type: ignore[method-assign]
        outcome = case.run(JOB_ERROR_LINK)
        jobs = _jobs_at_offcloud(sim, JOB_ERROR_LINK)  # before the fault goes
    assert outcome.status == "download starts"
    calls = _readded(case, JOB_ERROR_LINK, jobs)
    failed, second = jobs
    assert second["status"] == "downloaded", second
    assert failed["request_id"] != second["request_id"]
    _live_route(case, JOB_ERROR_LINK, outcome)  # explored once: the second job
    assert 6 <= case.record.api_calls <= 14, _paths(calls)


def test_a_cloud_job_that_fails_twice_fails(sim: Simulator) -> None:
    with _case(
        sim,
        "cloud job error, twice",
        "every cloud job of the link ends in error (File will not be downloaded due to an error.)",
        "adds the link once more (no retry route), then fails with Offcloud's reason",
    ) as case:
        sim.inject("job_error", link=JOB_ERROR_TWICE_LINK)
        outcome = case.run(JOB_ERROR_TWICE_LINK)
        jobs = _jobs_at_offcloud(sim, JOB_ERROR_TWICE_LINK)  # before the fault goes
    assert outcome.status == "failed"
    assert "File will not be downloaded due to an error." in outcome.message
    calls = _readded(case, JOB_ERROR_TWICE_LINK, jobs)
    assert jobs[1]["status"] == "error", jobs[1]
    assert not [c for c in calls if c.path.startswith("/api/cloud/explore/")]
    assert not case.calls("file")
    assert outcome.plugin.link is None
    assert 5 <= case.record.api_calls <= 14, _paths(calls)
