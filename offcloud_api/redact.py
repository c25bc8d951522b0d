"""One place that removes secrets from text before it is logged, stored or raised.

The API key travels only in the ``Authorization`` header, but Offcloud's own texts and URLs may
echo it (download links have been seen carrying the key, docs/api.md §7.4). Everything
that leaves the library as text passes through :func:`redact`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "MASK",
    "SENSITIVE_KEYS",
    "log_safe",
    "log_safe_args",
    "mask_file_links",
    "redact",
    "redact_mapping",
    "strip_query",
]

MASK = "***"

#: Names whose values are secrets wherever they appear: query strings, forms, JSON, headers.
SENSITIVE_KEYS = frozenset(
    {"key", "apikey", "api_key", "authorization", "password", "token", "access_token", "cookie"}
)

_QUERY_SECRET = re.compile(
    r"(?i)(?P<name>\b(?:key|apikey|api_key|token|access_token|password)=)(?P<value>[^&\s\"'#]+)"
)
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',]+")
# A 2026 file link: https://<node>.energycdn.com/cdn3sto/<store>-sto/<signed token>/.../<name>
# (docs/api.md L11). Everything between the host and the name is account-scoped.
_FILE_LINK = re.compile(
    r"(?P<head>https?://(?:(?:[\w-]+\.)*energycdn\.com(?::\d+)?/|[^/\s\"'<>]+/(?=cdn3sto/)))"
    r"(?P<signed>[^\s\"'<>?#]*/)(?P<name>[^/\s\"'<>?#]*)"
)


def redact(text: str, secrets: Iterable[Optional[str]] = ()) -> str:
    """Return ``text`` with every given secret and every credential-looking value masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _QUERY_SECRET.sub(lambda m: m.group("name") + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


def mask_file_links(text: str) -> str:
    """``text`` with the signed part of every CDN file link masked; host and name stay (L11)."""
    return _FILE_LINK.sub(lambda m: f"{m.group('head')}{MASK}/{m.group('name')}", text)


def redact_mapping(
    data: Mapping[str, Any], secrets: Iterable[Optional[str]] = ()
) -> dict[str, Any]:
    """Copy of ``data`` with sensitive keys masked and string values redacted, recursively."""
    secrets = tuple(secrets)
    result: dict[str, Any] = {}
    for name, value in data.items():
        if name.lower() in SENSITIVE_KEYS:
            result[name] = MASK
        else:
            result[name] = _redact_value(value, secrets)
    return result


def _redact_value(value: Any, secrets: tuple[Optional[str], ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return redact_mapping(value, secrets)
    if isinstance(value, list):
        return [_redact_value(item, secrets) for item in value]
    return value


def strip_query(url: str) -> str:
    """``url`` without its query string and fragment: the form used in logs and errors."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# A removal is a GET that deletes (docs/api.md L15): its URL is never logged whole.
_REMOVAL_URL = re.compile(r"(/cloud/remove/)[^\s/?#\"'<>|]+")


def log_safe(text: str) -> str:
    """``text`` for pyLoad's log: CDN signatures (L11) and removal URLs (L15) masked."""
    return _REMOVAL_URL.sub(r"\g<1>***", mask_file_links(text))


def log_safe_args(args: Iterable[Any]) -> tuple[Any, ...]:
    """A plugin's log arguments with :func:`log_safe` applied to the texts among them."""
    return tuple(log_safe(arg) if isinstance(arg, str) else arg for arg in args)
