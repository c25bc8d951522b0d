"""The simulator's record of every request it answered, for tests to count and inspect.

Secrets never enter the log: bodies are summarised with credential fields masked and every known
API key replaced, so a test can print the log freely. ``key_location`` says where the key came
from, which is how tests prove that a client never puts the key in a URL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qs

from ..redact import MASK, SENSITIVE_KEYS, redact

__all__ = ["CallLog", "CallRecord", "summarize_body"]

#: Longest body summary kept, in characters.
SUMMARY_LIMIT = 300


@dataclass(frozen=True)
class CallRecord:
    """One request as the simulator saw it.

    ``kind`` is ``api`` (Offcloud API and website routes), ``file`` (downloads), ``connect`` (a
    proxy tunnel), ``control`` (``/_sim``) or ``refused`` (a host the simulator does not serve).
    ``via`` is ``direct``, ``proxy`` (absolute URI) or ``tunnel`` (inside a CONNECT).
    ``key_location`` is where the API key was: ``query``, ``bearer``, ``form``, ``json``,
    ``cookie`` or ``None``; if it was in several places, the first of that list, so a key in the
    URL always shows. ``key_locations`` lists them all.
    """

    method: str
    host: str
    path: str
    key_location: Optional[str]
    status: int
    time: float
    body_summary: str = ""
    request_id: Optional[str] = None
    kind: str = "api"
    via: str = "direct"
    key_locations: tuple[str, ...] = ()
    query_keys: tuple[str, ...] = ()
    user_id: Optional[str] = None
    fault: Optional[str] = None
    range: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["key_locations"] = list(self.key_locations)
        data["query_keys"] = list(self.query_keys)
        return data


@dataclass
class CallLog:
    """A thread-safe, append-only list of :class:`CallRecord`."""

    _records: list[CallRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)


def summarize_body(body: bytes, content_type: str, secrets: Iterable[str]) -> str:
    """A short, secret-free rendering of a request body."""
    if not body:
        return ""
    secret_list = [s for s in secrets if s]
    text = body.decode("utf-8", errors="replace")
    parsed: Any = None
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
    if parsed is None and "=" in text and "multipart" not in content_type:
        form = parse_qs(text, keep_blank_values=True)
        if form:
            parsed = {
                name: values[0] if len(values) == 1 else values for name, values in form.items()
            }
    if parsed is not None:
        text = json.dumps(_mask(parsed, secret_list), sort_keys=True, separators=(",", ":"))
    text = redact(text, secret_list)
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def _mask(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, Mapping):
        return {
            str(name): MASK if str(name).lower() in SENSITIVE_KEYS else _mask(item, secrets)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    if isinstance(value, str):
        return redact(value, secrets)
    return value
