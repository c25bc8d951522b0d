"""The simulator's call log, read by route: what each measurement counts (pure functions)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Optional

from offcloud_api.simulator.calllog import CallRecord

_ID_IN_PATH = re.compile(r"/[0-9a-f]{24}(?=/|$)")
_BTIH = re.compile(r"btih:([0-9a-fA-F]{40})")

#: Job routes, with ids as ``{id}``.
ADD = "POST /api/cloud"
POLL = "POST /api/cloud/status"
EXPLORE = "GET /api/cloud/explore/{id}"
#: A cached magnet's files without a job (docs/api.md L19): its resolution, like an explore.
CACHE_DOWNLOAD = "POST /api/cache/download"
#: The clean-up addon's removal of a job whose files are on disk (on by default).
REMOVE = "GET /api/cloud/remove/{id}"
#: The calls that resolve a torrent into file links, and the ones that submit it.
RESOLVES = (EXPLORE, CACHE_DOWNLOAD)
SUBMITS = (ADD, CACHE_DOWNLOAD)
HISTORY = "GET /api/cloud/history"
INSTANT = "POST /api/instant"


def info_hash(text: str) -> str:
    """The (lower-case) info-hash of the first magnet in ``text``; "" if none."""
    found = _BTIH.search(text)
    return found.group(1).lower() if found else ""


def rate(times: list[float]) -> Optional[float]:
    """Events a second over ``times`` (sorted), or None for fewer than two."""
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return round((len(times) - 1) / (times[-1] - times[0]), 1)


def route(call: CallRecord) -> str:
    """An API call's route, with job ids replaced by ``{id}``; "" for a file request."""
    return f"{call.method} {_ID_IN_PATH.sub('/{id}', call.path)}" if call.kind == "api" else ""


def count_routes(calls: list[Any]) -> Counter[str]:
    """API calls by route, with job ids replaced by ``{id}``."""
    return Counter(route(c) for c in calls if c.kind == "api")


def submissions(calls: list[CallRecord], hashes: set[str]) -> Counter[str]:
    """POST /api/cloud and cache/download calls for each torrent of ``hashes``."""
    found: Counter[str] = Counter()
    for call in calls:
        if route(call) in SUBMITS:
            found_hash = info_hash(call.body_summary or "")
            if found_hash in hashes:
                found[found_hash] += 1
    return found


def by_route(calls: dict[str, Any]) -> str:
    """``{"GET /a": 2}`` as ``GET /a: 2``, sorted; "none" for no calls."""
    return ", ".join(f"{name}: {n}" for name, n in sorted(calls.items())) or "none"
