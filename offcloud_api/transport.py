"""The one interface through which the client talks HTTP.

A transport sends a :class:`Request` and returns a :class:`Response`, whatever the status code.
It raises :class:`~offcloud_api.exceptions.OffcloudConnectionError` when no answer arrived, and
:class:`~offcloud_api.exceptions.ResponseTooLargeError` when the body passes the request's
``max_bytes`` (it stops reading there rather than buffering it all first), and nothing else.
Standalone the client uses
:class:`~offcloud_api.requests_transport.RequestsTransport`; inside pyLoad the plugins hand it a
transport built on pyLoad's own request object, so API calls take the same proxy, interface and
SSL settings as the downloads (Offcloud binds links to the IP that asked for them).

This module imports nothing outside the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, Union, runtime_checkable

__all__ = ["DEFAULT_MAX_BYTES", "Request", "Response", "Timeout", "Transport"]

#: (connect, read) seconds, or one number for both.
Timeout = Union[float, tuple[float, float]]

#: The largest answer read by default: Offcloud's answers are a few kilobytes, except the history.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    """One HTTP request. ``url`` never carries the API key; ``headers`` may (``Authorization``).

    ``max_bytes`` is the largest body the transport may read: past it, it raises
    ``ResponseTooLargeError``. ``deadline`` is the most seconds this try may take, set by the
    client when a deadline bounds the whole call (:attr:`RetryPolicy.deadline
    <offcloud_api.retry.RetryPolicy.deadline>`): a transport that can end a call early ends it
    then, with ``OffcloudConnectionError``. ``None``: the transport's own deadline only.
    """

    method: str
    url: str
    timeout: Timeout
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    max_bytes: int = DEFAULT_MAX_BYTES
    deadline: Optional[float] = None

    def __repr__(self) -> str:
        # Headers hold the key: a repr must never show them.
        return f"Request({self.method} {self.url})"


@dataclass(frozen=True)
class Response:
    """What came back: status, headers (names lower-cased) and the raw body."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


@runtime_checkable
class Transport(Protocol):
    """Anything that can send a :class:`Request`."""

    def send(self, request: Request) -> Response:
        """Send ``request``; return the answer or raise ``OffcloudConnectionError``."""
        ...

    def close(self) -> None:
        """Release what the transport owns."""
        ...
