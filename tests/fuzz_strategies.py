"""Hypothesis strategies and checks shared by the fuzz tests (test_fuzz_models, test_fuzz_client).

Keys are drawn mostly from the real field names so the generated objects reach the interesting
branches of the parsers.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from offcloud_api.models import AccountInfo, CacheResult, CloudFile, Job, Site

FIELD_NAMES = [
    # account
    "user_id", "userId", "id", "is_premium", "isPremium", "premium", "membershipType",
    "membership_type", "can_download", "canDownload", "email", "expiration_date",
    "expirationDate", "premium_until", "limits", "data",
    # sites
    "name", "host", "displayName", "display_name", "hosts", "domains", "tags", "isActive",
    "status", "state", "deadFor", "noInstantDownload", "no_instant_download", "maxChunks",
    "max_chunks", "maxChunksGlobal", "max_chunks_global", "maxAmountPerUser", "maxAmount",
    "max_amount",
    # jobs
    "requestId", "request_id", "fileName", "file_name", "fileSize", "file_size", "size",
    "amount", "downloaded", "progress", "downloadingSpeed", "speed", "downloading_speed",
    "server", "isDirectory", "is_directory", "url", "downloadLink", "originalLink",
    "original_link", "site", "createdOn", "created_on", "message", "info", "errorMessage",
    "error_message", "error",
    # files, cache, extras
    "link", "downloadUrl", "filename", "path", "cached", "isCached", "files", "folder",
    "proxyId", "_id", "region", "remoteOptionId", "remote_option_id", "accountId",
    "account_id", "type", "username",
    # envelopes and errors
    "list", "results", "history", "fs", "not_available", "error_description",
]  # fmt: skip

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**1024])  # beyond float range
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["unlimited", "2026-12-31", "31-12-2019", "1767139200", "²", "http://[x",
                      "downloaded", "error", "Healthy", "Cloud only", "NOAUTH", "Bad archive",
                      "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"])
)  # fmt: skip
KEYS = st.sampled_from(FIELD_NAMES) | st.text(max_size=10)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=12,
)
PAYLOADS = JSON_LIKE | st.dictionaries(KEYS, JSON_LIKE, max_size=8)


def exercise(result: Any) -> None:
    """Touch the derived properties too: they run on parsed data later."""
    if isinstance(result, (list, tuple)):
        for item in result:
            exercise(item)
    elif isinstance(result, dict):
        for item in result.values():
            exercise(item)
    elif isinstance(result, Job):
        _ = (result.fraction_done, result.eta, result.file_url, result.status.is_final)
    elif isinstance(result, Site):
        _ = (result.domains, result.cloud_only, result.status.is_usable)
    elif isinstance(result, AccountInfo):
        _ = result.is_expired
    elif isinstance(result, CloudFile):
        _ = result.folder
    elif isinstance(result, CacheResult):
        _ = [file.name for file in result.files]
