"""The default transport, on a ``requests.Session``."""

from __future__ import annotations

from typing import Optional

import requests

from .exceptions import OffcloudConnectionError, ResponseTooLargeError
from .redact import strip_query
from .transport import Request, Response

__all__ = ["READ_CHUNK", "RequestsTransport"]

#: Bytes read at a time from a streamed answer.
READ_CHUNK = 64 * 1024


class RequestsTransport:
    """Sends requests through a ``requests.Session``; owns and closes it only if it made it.

    Bodies are read streamed, in chunks, and reading stops with ``ResponseTooLargeError`` as soon
    as more than ``request.max_bytes`` arrived (or ``Content-Length`` announces more): a huge
    answer is never buffered whole. The cap counts decoded bytes, so a compressed bomb stops too.
    """

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
                stream=True,
            )
            with answer:
                content = _read_capped(answer, request.max_bytes, where)
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


def _read_capped(answer: requests.Response, limit: int, where: str) -> bytes:
    """The body of ``answer``, or ``ResponseTooLargeError`` once it passes ``limit`` bytes."""
    method, _, _ = where.partition(" ")
    path = where.partition(" ")[2]

    def too_large(what: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"the answer to {where} is larger than {limit} bytes ({what}); not read",
            status=answer.status_code,
            method=method,
            path=path,
        )

    announced = answer.headers.get("Content-Length", "").strip()
    if announced.isdigit() and int(announced) > limit:
        raise too_large(f"Content-Length {announced}")
    chunks: list[bytes] = []
    received = 0
    for chunk in answer.iter_content(READ_CHUNK):
        received += len(chunk)
        if received > limit:
            raise too_large(f"more than {received} bytes arrived")
        chunks.append(chunk)
    return b"".join(chunks)


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
