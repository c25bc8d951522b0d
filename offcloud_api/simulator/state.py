"""The simulated world: accounts, supported sites, links, the torrent cache, jobs and the clock.

Everything here is plain Python with no HTTP in it; :mod:`.routes` turns it into Offcloud's
answers. One re-entrant lock guards the whole state, since the server answers from many threads.
The records it keeps (jobs and their progress, the clock, CDN links) are in :mod:`.records`;
three parts of :class:`SimState` have modules of their own: the file links it issues
(:mod:`.file_links`), the cloud storage quota (:mod:`.cloud_storage`, L23) and the OAuth device
flow (:mod:`.devices`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Optional, Union
from urllib.parse import parse_qs, urlsplit

from ..magnet import build_magnet, info_hash_of, is_magnet
from ..torrent import TorrentError, parse_torrent
from .cloud_storage import CloudStorage
from .devices import Device, DeviceFlow
from .faults import ERROR_PRESETS, Fault, FaultSet
from .file_links import FileLinks
from .files import FileSpec
from .records import (
    LIVE_TRACKERS,
    RETRY_DURATION,
    UNKNOWN_TORRENT_SIZE,
    CdnLink,
    InstantRequest,
    Job,
    JobProgress,
    Refusal,
    SimClock,
    normalize_link,
)
from .scenario import AccountSpec, JobSpec, LinkSpec, Scenario, SiteSpec, TorrentSpec

__all__ = ["SimState"]


class SimState(DeviceFlow, FileLinks, CloudStorage):
    """All mutable state of one simulator; safe to use from many threads."""

    def __init__(self, scenario: Scenario) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        self.faults = FaultSet()
        self.clock = SimClock(scenario.speedup)
        self.jobs: dict[str, Job] = {}
        self.instants: dict[str, InstantRequest] = {}
        self.tokens: dict[str, FileSpec] = {}
        self.cdn_links: dict[str, CdnLink] = {}
        self.sessions: dict[str, str] = {}
        self.devices: dict[str, Device] = {}
        self.access_tokens: dict[str, str] = {}
        #: Cloud storage quota per user id (L23), None: no cap; set by the scenario or control.
        self.storage_caps: dict[str, Optional[int]] = {}
        #: Adds refused because the cloud was full, per user id.
        self.cloud_full_refusals: dict[str, int] = {}
        self._links: dict[str, LinkSpec] = {}
        self._torrents: dict[str, TorrentSpec] = {}
        self._counter = 0
        self.reset()

    # ----------------------------------------------------------------------------------------
    # lifecycle

    def reset(self) -> None:
        """Back to the scenario's starting point: jobs, sessions, faults and the clock."""
        with self.lock:
            scenario = self.scenario
            self.clock = SimClock(scenario.speedup)
            self.jobs = {}
            self.instants = {}
            self.tokens = {}
            self.cdn_links = {}
            self.sessions = {}
            self.devices = {}
            self.access_tokens = {}
            self.storage_caps = {a.user_id: a.storage_bytes for a in scenario.accounts}
            self.cloud_full_refusals = {}
            self._counter = 0
            self._links = {normalize_link(link.url): link for link in scenario.links}
            self._torrents = {t.info_hash: t for t in scenario.torrents}
            for index, spec in enumerate(scenario.jobs):
                self._add_preset(spec, index)
            self.faults.clear()
            self.faults.sim_now = self.clock.now
            for data in scenario.faults:
                self.add_fault(Fault.from_dict(data))

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            yield

    def _add_preset(self, spec: JobSpec, index: int) -> None:
        account = self.scenario.account(spec.account)
        created = spec.created_on or (
            self.clock.started_wall - timedelta(hours=len(self.scenario.jobs) - index)
        )
        at = (created - self.clock.started_wall).total_seconds()
        self.jobs[spec.request_id] = Job(
            request_id=spec.request_id,
            user_id=account.user_id,
            kind=spec.kind,
            original_link=spec.link,
            dedupe_key=normalize_link(spec.link),
            file_name=spec.name,
            site=spec.site or self._site_label(spec.link),
            server=spec.server or self.scenario.servers[0],
            files=spec.files,
            is_directory=spec.is_directory,
            created_on=created,
            started_at=at,
            queued=0.0,
            duration=0.0,
            fail=spec.error,
            retry_succeeds=spec.retry_succeeds,
            fixed_status=spec.status,
            meta_data=spec.meta_data,
        )

    def add_fault(self, fault: Fault) -> Fault:
        if fault.kind == "revoke_key" and fault.key is None and self.scenario.accounts:
            fault.key = self.scenario.accounts[0].key
        return self.faults.add(fault, self.clock.now())

    # ----------------------------------------------------------------------------------------
    # identities

    def _next_id(self, salt: str) -> str:
        self._counter += 1
        text = f"{self.scenario.seed}:{salt}:{self._counter}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _next_server(self) -> str:
        servers = self.scenario.servers
        return servers[self._counter % len(servers)]

    def account_for_key(self, key: Optional[str]) -> Optional[AccountSpec]:
        """The account behind an API key or OAuth access token, unless unknown or revoked."""
        if not key:
            return None
        with self.lock:
            real_key = self.access_tokens.get(key, key)
            account = next((a for a in self.scenario.accounts if a.key == real_key), None)
            if account is None:
                return None
            for fault in self.faults.active("revoke_key"):
                if fault.key in (real_key, key):
                    return None
            return account

    def account_for_session(self, session_id: Optional[str]) -> Optional[AccountSpec]:
        with self.lock:
            key = self.sessions.get(session_id or "")
        return self.account_for_key(key)

    def all_keys(self) -> list[str]:
        """Every secret the simulator knows, for masking in the call log."""
        with self.lock:
            return (
                [a.key for a in self.scenario.accounts]
                + list(self.access_tokens)
                + list(self.sessions)
                + list(self.devices)
            )

    # ----------------------------------------------------------------------------------------
    # sites and links

    def site_for_url(self, url: str) -> Optional[SiteSpec]:
        try:
            host = (urlsplit(url.strip()).hostname or "").lower()
        except ValueError:
            return None
        host = host[4:] if host.startswith("www.") else host
        if not host:
            return None
        for site in self.scenario.sites:
            for domain in site.domains:
                if host == domain or host.endswith("." + domain):
                    return site
        return None

    def _site_label(self, url: str) -> str:
        if is_magnet(url):
            return "BitTorrent"
        site = self.site_for_url(url)
        if site is not None:
            return site.display_name or site.name
        try:
            return urlsplit(url).hostname or "unknown"
        except ValueError:  # "http://[broken": refused as an incorrect URL, not a crash
            return "unknown"

    def link(self, url: str) -> Optional[LinkSpec]:
        key = normalize_link(url)
        found = self._links.get(key)
        if found is not None:
            return found
        # Hoster plugins canonicalise links before a multi-hoster sees them, dropping a trailing
        # file name (pyLoad's RapidgatorNet turns /file/<id>/<name> into /file/<id>). Offcloud
        # knows the file either way, so a link that is a scenario link minus its last segments
        # matches it, if only one.
        prefix = key.rstrip("/") + "/"
        candidates = [spec for name, spec in self._links.items() if name.startswith(prefix)]
        return candidates[0] if len(candidates) == 1 else None

    def torrent(self, info_hash: str) -> Optional[TorrentSpec]:
        return self._torrents.get(info_hash.lower())

    def cached_torrent(self, query: str) -> Optional[TorrentSpec]:
        """The torrent behind a magnet or hash, if it is in Offcloud's cache."""
        info_hash = info_hash_of(query)
        torrent = self.torrent(info_hash) if info_hash else None
        return torrent if torrent is not None and torrent.cached else None

    def _fault_is_about(self, fault: Fault, url: str) -> bool:
        """Whether a state fault's ``link`` is ``url``, as :meth:`link` matches links.

        A hoster plugin may have shortened the link before it reached Offcloud (see
        :meth:`link`); a fault on the scenario's link applies to the short form too.
        """
        if not fault.link:
            return False
        if normalize_link(fault.link) == normalize_link(url):
            return True
        target = self.link(url)
        return target is not None and target is self.link(fault.link)

    def _link_fault(self, url: str, route: str) -> Optional[str]:
        for fault in self.faults.active("link_offline"):
            if self._fault_is_about(fault, url):
                return ERROR_PRESETS["offline"]
        for fault in self.faults.active("link_error"):
            if self._fault_is_about(fault, url) and fault.route in (None, route):
                return fault.message
        return None

    def _resolve_link(self, url: str, route: str) -> Union[tuple[LinkSpec, SiteSpec], Refusal]:
        """The link and its site, or why Offcloud would not take ``url`` by ``route``."""
        host_label = self._site_label(url)
        message = self._link_fault(url, route)
        if message is not None:
            return Refusal(
                {"error": message.replace("{host}", host_label)},
                offline=message == ERROR_PRESETS["offline"],
            )
        link = self.link(url)
        site = self.site_for_url(url)
        if link is not None:
            if link.offline:
                return Refusal({"error": ERROR_PRESETS["offline"]}, offline=True)
            if link.error is not None and link.error_route in (None, route):
                return Refusal({"error": link.error.replace("{host}", host_label)})
        if site is None:
            return Refusal({"error": ERROR_PRESETS["incorrect_url"]})
        if site.status == "Dead":
            return Refusal({"error": ERROR_PRESETS["temporarily_disabled"]})
        if site.status == "Awaiting Demand":
            return Refusal({"error": ERROR_PRESETS["no_premium_accounts"]})
        if link is None:
            return Refusal({"error": ERROR_PRESETS["offline"]}, offline=True)
        return link, site

    @staticmethod
    def refuse_account(account: AccountSpec) -> Optional[Refusal]:
        if not account.is_premium:
            return Refusal({"not_available": "premium"})
        if not account.can_download:
            return Refusal({"error": ERROR_PRESETS["not_allowed"]})
        return None

    # ----------------------------------------------------------------------------------------
    # adding requests

    def submit(
        self,
        account: AccountSpec,
        url: str,
        *,
        kind: str = "cloud",
        remote_option_id: Optional[str] = None,
    ) -> Union[Job, Refusal]:
        """Add a cloud (or remote) request, or return the existing one for the same link.

        On the live profile (L5-L7) only magnets (and .torrent links) find their live job again,
        a magnet whose info-hash is garbage is accepted and never starts, a ``.torrent`` link is
        read from the scenario's ``direct_files``, and ``originalLink`` is Offcloud's canonical
        form.
        """
        url = url.strip()
        live = self.scenario.api.live
        with self.lock:
            refusal = self.refuse_account(account)
            if refusal is not None:
                return refusal
            if not url:
                return Refusal({"error": ERROR_PRESETS["incorrect_url"]})
            if kind == "remote" and not any(
                r.remote_option_id == remote_option_id for r in self.scenario.remote_accounts
            ):
                return Refusal({"error": "Remote account not found."})
            torrent_file: Optional[TorrentSpec] = None
            if live and not is_magnet(url):
                found = self._torrent_at(url)
                if isinstance(found, Refusal):
                    return found
                torrent_file = found
            key = normalize_link(url)
            if torrent_file is not None:
                key = f"btih:{torrent_file.info_hash}"
            elif live and not is_magnet(url) and key.startswith("btih:"):
                key = url  # a bare hash is no link on the live API
            if self.scenario.api.dedupe and (not live or is_magnet(url) or torrent_file):
                existing = self._existing_job(account, key, kind)
                if existing is not None:
                    return existing
            if key.startswith("btih:"):
                job = self._torrent_job(account, url, key[len("btih:") :], kind)
                if live:
                    torrent = self._torrents[key[len("btih:") :]]
                    job.original_link = (
                        f"{torrent.info_hash}.torrent"
                        if torrent_file is not None
                        else build_magnet(torrent.info_hash, torrent.name, LIVE_TRACKERS)
                    )
            elif is_magnet(url) and live:
                job = self._stuck_job(account, url, kind)
            elif is_magnet(url):
                return Refusal({"error": ERROR_PRESETS["incorrect_url"]})
            else:
                resolved = self._resolve_link(url, "cloud")
                if isinstance(resolved, Refusal):
                    return resolved
                link = resolved[0]
                job = self._new_job(
                    account,
                    url,
                    kind,
                    name=link.name,
                    files=link.files,
                    is_directory=link.is_directory,
                    duration=link.duration,
                    queued=link.queued,
                    fail=link.fail,
                    fail_at=link.fail_at,
                    retry_succeeds=link.retry_succeeds,
                )
            job.dedupe_key = key
            job.remote_option_id = remote_option_id
            if kind == "cloud":
                full = self.storage_refusal(account, job.size)
                if full is not None:
                    return full
            self.jobs[job.request_id] = job
            return job

    def _torrent_at(self, url: str) -> Union[TorrentSpec, Refusal, None]:
        """The torrent a ``.torrent`` link of ``direct_files`` holds (live profile).

        None when ``url`` is no .torrent link; a dead-link refusal when it names a ``.torrent``
        that is not there or not a torrent.
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        host = (parts.hostname or "").lower()
        entry = next(
            (e for e in self.scenario.direct_files if e.host == host and e.path == parts.path),
            None,
        )
        data = entry.data if entry is not None else None
        info = None
        if data is not None:
            try:
                info = parse_torrent(data)
            except TorrentError:
                info = None
        if info is None:
            if parts.path.lower().endswith(".torrent"):
                return Refusal({"error": ERROR_PRESETS["offline"]}, offline=True)
            return None
        known = self._torrents.get(info.info_hash)
        if known is not None:
            return known
        seed = f"{self.scenario.seed}:{info.info_hash}"
        made = TorrentSpec(
            info_hash=info.info_hash,
            name=info.name,
            files=tuple(FileSpec(f.path, f.size, f"{seed}:{f.path}") for f in info.files),
        )
        self._torrents[info.info_hash] = made
        return made

    def _stuck_job(self, account: AccountSpec, url: str, kind: str) -> Job:
        """A magnet without a valid info-hash: accepted, ``created`` for ever (L7)."""
        name = _display_name(url) or url
        job = self._new_job(
            account,
            url,
            kind,
            name=name,
            files=(FileSpec(name, 0, f"{self.scenario.seed}:stuck:{url}"),),
            is_directory=False,
            duration=0.0,
            queued=0.0,
            fail=None,
            fail_at=0.5,
            retry_succeeds=False,
        )
        job.stuck = True
        return job

    def _existing_job(self, account: AccountSpec, key: str, kind: str) -> Optional[Job]:
        for job in reversed(list(self.jobs.values())):
            if job.user_id != account.user_id or job.kind != kind or job.removed:
                continue
            if job.dedupe_key == key and self.progress(job).status not in ("error", "canceled"):
                return job
        return None

    def _torrent_job(self, account: AccountSpec, url: str, info_hash: str, kind: str) -> Job:
        torrent = self._torrents.get(info_hash)
        if torrent is None:
            # Offcloud fetches metadata for any magnet; give it a plausible single file.
            name = _display_name(url) or info_hash
            torrent = TorrentSpec(
                info_hash=info_hash,
                name=name,
                files=(FileSpec(name, UNKNOWN_TORRENT_SIZE, f"{self.scenario.seed}:{info_hash}"),),
            )
            self._torrents[info_hash] = torrent
        single = not torrent.is_directory
        return self._new_job(
            account,
            url,
            kind,
            name=torrent.files[0].name if single else torrent.name,
            files=torrent.files,
            is_directory=not single,
            duration=0.0 if torrent.cached else torrent.duration,
            queued=0.0 if torrent.cached else torrent.queued,
            fail=None if torrent.cached else torrent.fail,
            fail_at=torrent.fail_at,
            retry_succeeds=torrent.retry_succeeds,
        )

    def _new_job(
        self,
        account: AccountSpec,
        url: str,
        kind: str,
        *,
        name: str,
        files: tuple[FileSpec, ...],
        is_directory: bool,
        duration: float,
        queued: Optional[float],
        fail: Optional[str],
        fail_at: float,
        retry_succeeds: bool,
    ) -> Job:
        now = self.clock.now()
        request_id = self._next_id(url)
        return Job(
            request_id=request_id,
            user_id=account.user_id,
            kind=kind,
            original_link=url,
            dedupe_key=normalize_link(url),
            file_name=name,
            site=self._site_label(url),
            server=self._next_server(),
            files=files,
            is_directory=is_directory,
            created_on=self.clock.wall(now),
            started_at=now,
            queued=duration * 0.1 if queued is None else queued,
            duration=duration,
            fail=fail,
            fail_at=fail_at,
            retry_succeeds=retry_succeeds,
        )

    def instant(self, account: AccountSpec, url: str) -> Union[InstantRequest, Refusal]:
        """An instant download of a hoster link."""
        url = url.strip()
        with self.lock:
            refusal = self.refuse_account(account)
            if refusal is not None:
                return refusal
            if is_magnet(url) or info_hash_of(url):
                cloud_only = ERROR_PRESETS["cloud_only"].replace("{host}", "BitTorrent")
                return Refusal({"error": cloud_only})
            resolved = self._resolve_link(url, "instant")
            if isinstance(resolved, Refusal):
                return resolved
            link, site = resolved
            capable = link.instant if link.instant is not None else site.instant_capable
            if not capable or link.kind == "folder":
                label = site.display_name or site.name
                return Refusal({"error": ERROR_PRESETS["cloud_only"].replace("{host}", label)})
            if link.kind == "archive":
                file = FileSpec(
                    link.name,
                    sum(f.size for f in link.files),
                    f"{self.scenario.seed}:archive:{link.url}",
                )
            else:
                file = link.files[0]
            request_id = self._next_id(url)
            request = InstantRequest(
                request_id=request_id,
                user_id=account.user_id,
                original_link=url,
                file=file,
                token=self.issue_token(file),
                site=site.display_name or site.name,
                server=self._next_server(),
                created_on=self.clock.wall(self.clock.now()),
            )
            self.instants[request_id] = request
            return request

    # following requests

    def find_job(self, account: AccountSpec, request_id: str, kind: str = "cloud") -> Optional[Job]:
        with self.lock:
            job = self.jobs.get(request_id)
        if job is None or job.removed or job.user_id != account.user_id or job.kind != kind:
            return None
        return job

    def progress(self, job: Job) -> JobProgress:
        with self.lock:
            return job.progress_at(self.clock.now(), self.clock.speedup, self._injected_error(job))

    def _injected_error(self, job: Job) -> Optional[str]:
        for fault in self.faults.active("job_error"):
            if fault.request_id and fault.request_id != job.request_id:
                continue
            if fault.link and not self._fault_is_about(fault, job.original_link):
                continue
            if job.attempt > 1 and fault.retry_succeeds:
                continue
            finished_at = job.started_at + job.queued + job.duration
            if job.fixed_status is not None or finished_at <= fault.since:
                continue  # it was done before the fault appeared
            return fault.message or ERROR_PRESETS["download_error"]
        return None

    def history(self, account: AccountSpec, kind: str = "cloud") -> list[Job]:
        """The account's requests, newest first."""
        with self.lock:
            jobs = [
                j
                for j in self.jobs.values()
                if j.user_id == account.user_id and j.kind == kind and not j.removed
            ]
        return sorted(jobs, key=lambda j: j.created_on, reverse=True)

    def instant_history(self, account: AccountSpec) -> list[InstantRequest]:
        with self.lock:
            items = [
                i for i in self.instants.values() if i.user_id == account.user_id and not i.removed
            ]
        return sorted(items, key=lambda i: i.created_on, reverse=True)

    def remove(self, account: AccountSpec, request_ids: list[str], kind: str = "cloud") -> int:
        """Remove requests; returns how many existed."""
        removed = 0
        with self.lock:
            for request_id in request_ids:
                if kind == "instant":
                    item = self.instants.get(request_id)
                    if item is not None and item.user_id == account.user_id and not item.removed:
                        item.removed = True
                        self.tokens.pop(item.token, None)
                        removed += 1
                    continue
                job = self.find_job(account, request_id, kind)
                if job is not None:
                    job.removed = True
                    removed += 1
        return removed

    def retry(
        self, account: AccountSpec, request_id: str, kind: str = "cloud"
    ) -> Union[Job, Refusal]:
        with self.lock:
            job = self.find_job(account, request_id, kind)
            if job is None:
                return Refusal({"error": "Transfer not found"}, not_found=True)
            if self.progress(job).status not in ("error", "canceled"):
                return Refusal({"error": "Only failed requests can be tried again."})
            job.attempt += 1
            job.started_at = self.clock.now()
            if job.fixed_status is not None:
                job.fixed_status = None
                job.duration = RETRY_DURATION
                job.queued = RETRY_DURATION * 0.1
            if job.retry_succeeds:
                job.fail = None
            return job

    # legacy login (the OAuth device flow: DeviceFlow, devices.py)

    def login(self, email: str, password: str) -> Union[str, Refusal]:
        if "@" not in email:
            return Refusal({"error": "Please enter a valid email address."})
        with self.lock:
            for account in self.scenario.accounts:
                if (
                    account.email.lower() == email.lower()
                    and account.password
                    and account.password == password
                ):
                    session_id = self._next_id("session") + self._next_id("session")
                    self.sessions[session_id] = account.key
                    return session_id
        return Refusal({"error": "The credentials entered are wrong."})

    # ----------------------------------------------------------------------------------------
    # inspection

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready picture of the state, for ``GET /_sim/state`` and debugging."""
        with self.lock:
            jobs = []
            for job in self.jobs.values():
                progress = self.progress(job)
                jobs.append(
                    {
                        "request_id": job.request_id,
                        "user_id": job.user_id,
                        "kind": job.kind,
                        "original_link": job.original_link,
                        "file_name": job.file_name,
                        "status": progress.status,
                        "progress": progress.progress,
                        "attempt": job.attempt,
                        "removed": job.removed,
                        "is_directory": job.is_directory,
                        "server": job.server,
                        "files": [
                            {"path": f.path, "size": f.size, "seed": f.seed} for f in job.files
                        ],
                    }
                )
            return {
                "scenario": self.scenario.name,
                "profile": self.scenario.api.profile,
                "clock": {"now": self.clock.now(), "speedup": self.clock.speedup},
                "accounts": [
                    {
                        "email": a.email,
                        "user_id": a.user_id,
                        "premium": a.is_premium,
                        "can_download": a.can_download,
                        "valid": self.account_for_key(a.key) is not None,
                        **self.storage_snapshot(a),
                    }
                    for a in self.scenario.accounts
                ],
                "cloud_full_refusals": sum(self.cloud_full_refusals.values()),
                "jobs": jobs,
                "instants": [
                    {
                        "request_id": i.request_id,
                        "original_link": i.original_link,
                        "file": i.file.path,
                        "removed": i.removed,
                    }
                    for i in self.instants.values()
                ],
                "faults": [f.to_json() for f in self.faults.snapshot()],
                "devices": self.device_snapshot(),
            }


def _display_name(magnet: str) -> Optional[str]:
    names = parse_qs(urlsplit(magnet.strip()).query).get("dn")
    return names[0].strip() if names and names[0].strip() else None
