"""Contract tests shaped like the clients that run against the real Offcloud in 2026.

Each test sends what one client is documented to send (docs/api.md §00 L14, L15, L19-L21) and
reads the answer the way that client does, over real HTTP on 127.0.0.1 against the ``live``
profile. The code is ours, written from those facts: no client's code is copied.

* MediaFusion: form-encoded bodies to ``/api/cloud``, ``/api/cloud/status`` and ``/api/cache``
  (L20);
* StremThru: ``cache/info`` decoded into a typed record whose ``folder`` is a list of strings
  (L14), a decoder that fails on a string;
* ResolveURL: a hoster link through ``POST /api/cloud``, status, explore (``res[0]``), then
  ``POST /api/cloud/remove {"requests": [id]}`` *before* the link is played (L15); its cached
  path, ``cache/info`` with a minimal magnet then ``cache/download`` (L19);
* Debrid Media Manager in a browser: a CORS preflight asking for ``authorization`` (L21), checked
  as a browser's fetch would check it.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlencode

import pytest
import requests

from offcloud_api.simulator import DEMO_API_KEY, Simulator, expected_sha256

from .helpers import DEMO_LINK, make_scenario

BROWSER_ORIGIN = "https://debridmediamanager.com"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The demo scenario on the live profile (a simulator starts in milliseconds)."""
    with Simulator(make_scenario()) as made:
        yield made


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# MediaFusion: form-encoded bodies (L20)


def form_post(sim: Simulator, path: str, fields: Mapping[str, Any]) -> tuple[int, Any]:
    """POST a form (lists as repeated fields) with the key as Bearer; the status and JSON."""
    request = urllib.request.Request(  # noqa: S310 - the simulator's http:// address
        f"{sim.api_url}{path}",
        data=urlencode(fields, doseq=True).encode(),
        headers={
            "Authorization": f"Bearer {DEMO_API_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - a test URL
        return answer.status, json.loads(answer.read())


def test_l20_mediafusion_adds_checks_and_follows_with_form_bodies(sim):
    torrent = sim.scenario.torrent("Demo.Release")
    status, cached = form_post(sim, "/cache", {"hashes": [torrent.info_hash, "f" * 40]})
    assert (status, cached) == (200, {"cachedItems": [torrent.info_hash]})
    status, added = form_post(sim, "/cloud", {"url": torrent.magnet})
    assert status == 200
    assert added["status"] == "downloaded"  # a cached magnet is done in the add answer (L5)
    status, followed = form_post(sim, "/cloud/status", {"requestId": added["requestId"]})
    assert status == 200
    assert followed["status"]["status"] == "downloaded"
    urls = requests.get(
        f"{sim.api_url}/cloud/explore/{added['requestId']}",
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
        timeout=10,
    ).json()
    assert len(urls) == len(torrent.files)
    for url, spec in zip(urls, torrent.files):
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - a test URL
            assert sha256(answer.read()) == expected_sha256(spec.seed, spec.size)
    forms = [c for c in sim.calls if c.kind == "api" and c.method == "POST"]
    assert [c.status for c in forms[-3:]] == [200, 200, 200]


# --------------------------------------------------------------------------------------------
# StremThru: a typed decoder of cache/info whose folder is a list of strings (L14)


@dataclass(frozen=True)
class CacheFile:
    folder: list[str]
    filename: str
    size: int


@dataclass(frozen=True)
class CacheInfo:
    cached: bool
    files: list[CacheFile]


class DecodeError(ValueError):
    """What a typed decoder raises on a field of the wrong type (the whole check fails)."""


def decode_cache_info(payload: Any) -> list[CacheInfo]:
    """Strict, like a typed client: ``folder`` must be a list of strings, ``size`` an integer."""
    if not isinstance(payload, list):
        raise DecodeError("cache/info: expected an array")
    decoded = []
    for item in payload:
        if not isinstance(item, dict) or not isinstance(item.get("cached"), bool):
            raise DecodeError("cache/info: an item without a boolean cached")
        files = []
        for entry in item.get("files") or []:
            folder = entry.get("folder")
            if not isinstance(folder, list) or not all(isinstance(p, str) for p in folder):
                raise DecodeError(f"cannot decode folder {folder!r} into []string")
            if not isinstance(entry.get("filename"), str) or not isinstance(entry.get("size"), int):
                raise DecodeError("a file without filename or size")
            files.append(CacheFile(folder, entry["filename"], entry["size"]))
        decoded.append(CacheInfo(item["cached"], files))
    return decoded


def cache_info(sim: Simulator, magnets: list[str]) -> Any:
    answer = requests.post(
        f"{sim.api_url}/cache/info",
        json={"urls": magnets, "includeFiles": True},
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.json()


def test_l14_stremthru_decodes_cache_info_with_folder_as_a_list(sim):
    release = sim.scenario.torrent("Demo.Release")
    uncached = sim.scenario.torrent("Demo.Uncached")
    hit, miss = decode_cache_info(cache_info(sim, [release.magnet, uncached.magnet]))
    assert (hit.cached, miss.cached) == (True, False)
    paths = ["/".join([*f.folder, f.filename]) for f in hit.files]
    assert paths == [spec.path for spec in release.files]
    assert [f.size for f in hit.files] == [spec.size for spec in release.files]


def test_l14_stremthru_s_decoder_fails_on_the_string_form():
    # What StremThru's production decoder met before L14's list (the switch gives the string).
    with Simulator(make_scenario({"api": {"cache_info_folder": "string"}})) as strings:
        release = strings.scenario.torrent("Demo.Release")
        with pytest.raises(DecodeError, match="folder"):
            decode_cache_info(cache_info(strings, [release.magnet]))


# --------------------------------------------------------------------------------------------
# ResolveURL: remove first, then play (L15); the cached path (L19)


def bearer_call(
    sim: Simulator, method: str, path: str, body: Optional[dict[str, Any]] = None
) -> Any:
    answer = requests.request(
        method,
        f"{sim.api_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_l15_resolveurl_removes_the_job_then_plays_its_link(sim):
    added = bearer_call(sim, "POST", "/cloud", {"url": DEMO_LINK})
    request_id = added["requestId"]
    deadline = time.monotonic() + 30
    while True:  # ResolveURL polls the status until the job is done
        status = bearer_call(sim, "POST", "/cloud/status", {"requestId": request_id})["status"]
        if status["status"] == "downloaded":
            break
        assert status["status"] in ("created", "downloading"), status
        assert time.monotonic() < deadline, "the job never finished"
        sim.advance(1)
    link = bearer_call(sim, "GET", f"/cloud/explore/{request_id}")[0]  # res[0] for a hoster job
    removed = bearer_call(sim, "POST", "/cloud/remove", {"requests": [request_id]})
    assert removed == {"success": True}
    history = bearer_call(sim, "GET", "/cloud/history")
    assert request_id not in [item["requestId"] for item in history]
    spec = sim.scenario.link(DEMO_LINK).files[0]
    # The player asks for ranges of the link it was handed.
    head = requests.get(link, headers={"Range": "bytes=0-1023"}, timeout=10)
    assert head.status_code == 206
    assert head.headers["Content-Range"] == f"bytes 0-1023/{spec.size}"
    rest = requests.get(link, headers={"Range": "bytes=1024-"}, timeout=10)
    assert rest.status_code == 206
    assert sha256(head.content + rest.content) == expected_sha256(spec.seed, spec.size)


def test_l19_resolveurl_s_cached_path_is_cache_info_then_cache_download(sim):
    torrent = sim.scenario.torrent("Demo.Single")
    minimal = f"magnet:?xt=urn:btih:{torrent.info_hash}"  # no name, no trackers
    (info,) = cache_info(sim, [minimal])
    assert info["cached"] is True
    jobs_before = {item["requestId"] for item in bearer_call(sim, "GET", "/cloud/history")}
    files = bearer_call(sim, "POST", "/cache/download", {"url": minimal})
    assert isinstance(files, list)
    assert files
    best = max(files, key=lambda item: item["size"])  # the largest file is the video
    spec = next(s for s in torrent.files if s.path == best["filename"])
    played = requests.get(best["url"], timeout=10)
    assert played.status_code == 200
    assert sha256(played.content) == expected_sha256(spec.seed, spec.size)
    jobs_after = {item["requestId"] for item in bearer_call(sim, "GET", "/cloud/history")}
    assert jobs_after == jobs_before  # no job was made, nothing to clean up


# --------------------------------------------------------------------------------------------
# Debrid Media Manager in a browser: CORS (L21)


def browser_preflight_passes(answer: requests.Response, method: str, headers: list[str]) -> bool:
    """The fetch standard's CORS-preflight check, for a request without credentials."""
    if not 200 <= answer.status_code < 300:
        return False
    origin = answer.headers.get("Access-Control-Allow-Origin")
    if origin not in ("*", BROWSER_ORIGIN):
        return False
    methods = {
        m.strip().upper() for m in answer.headers.get("Access-Control-Allow-Methods", "").split(",")
    }
    if method not in methods and "*" not in methods and method not in ("GET", "HEAD", "POST"):
        return False
    allowed = {
        h.strip().lower() for h in answer.headers.get("Access-Control-Allow-Headers", "").split(",")
    }
    for name in headers:
        # "*" never covers Authorization: it must be named.
        if name not in allowed and (name == "authorization" or "*" not in allowed):
            return False
    return True


def test_l21_dmm_s_browser_preflight_with_authorization_then_the_call(sim):
    wanted = ["authorization", "content-type"]
    preflight = requests.options(
        f"{sim.api_url}/cache",
        headers={
            "Origin": BROWSER_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ",".join(wanted),
        },
        timeout=10,
    )
    assert browser_preflight_passes(preflight, "POST", wanted), dict(preflight.headers)
    torrent = sim.scenario.torrent("Demo.Release")
    answer = requests.post(
        f"{sim.api_url}/cache",
        json={"hashes": [torrent.info_hash]},
        headers={"Authorization": f"Bearer {DEMO_API_KEY}", "Origin": BROWSER_ORIGIN},
        timeout=10,
    )
    assert answer.headers["Access-Control-Allow-Origin"] in ("*", BROWSER_ORIGIN)
    assert answer.json() == {"cachedItems": [torrent.info_hash]}


def test_l21_a_browser_is_blocked_where_cors_is_off():
    # The check above can fail: with CORS off, the same preflight does not pass.
    with Simulator(make_scenario({"api": {"cors": False}})) as closed:
        preflight = requests.options(
            f"{closed.api_url}/cache",
            headers={
                "Origin": BROWSER_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
            timeout=10,
        )
        assert not browser_preflight_passes(preflight, "POST", ["authorization", "content-type"])
