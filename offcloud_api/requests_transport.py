"""The default transport, on a ``requests.Session``."""

from __future__ import annotations

from typing import Optional

import requests

from .exceptions import OffcloudConnectionError
from .redact import strip_query
from .transport import Request, Response

__all__ = ["RequestsTransport"]


class RequestsTransport:
    """Sends requests through a ``requests.Session``; owns and closes it only if it made it."""

    def __init__(self, session: Optional[requests.Session] = None) -> None:
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()

    def send(self, request: Request) -> Response:
        where = f"{request.method} {strip_query(request.url)}"
        try:
            answer = self.session.request(
                request.method,
                request.url,
                params=dict(request.params) or None,
                json=request.json,
                headers=dict(request.headers),
                timeout=request.timeout,
                allow_redirects=True,
            )
            content = answer.content
        except requests.exceptions.ConnectTimeout as exc:
            raise OffcloudConnectionError(
                f"timed out connecting for {where}", request_sent=False, method=request.method
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise OffcloudConnectionError(
                f"timed out waiting for the answer to {where}", method=request.method
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise OffcloudConnectionError(
                f"connection failed for {where}: {_reason(exc)}",
                request_sent=not _never_connected(exc),
                method=request.method,
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise OffcloudConnectionError(
                f"request failed for {where}: {type(exc).__name__}", method=request.method
            ) from exc
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return Response(status=answer.status_code, headers=headers, content=content)

    def close(self) -> None:
        if self._owns_session:
            self.session.close()


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the failure happened before any byte was sent (refused, DNS)."""
    text = repr(exc.args)
    return any(
        marker in text
        for marker in ("NewConnectionError", "NameResolutionError", "Connection refused")
    )


def _reason(exc: BaseException) -> str:
    text = repr(exc.args)
    for marker, reason in (
        ("NameResolutionError", "name did not resolve"),
        ("Connection refused", "connection refused"),
        ("reset by peer", "connection reset"),
        ("RemoteDisconnected", "server closed the connection"),
        ("IncompleteRead", "answer cut off"),
        ("SSLError", "TLS error"),
    ):
        if marker in text:
            return reason
    return type(exc).__name__
