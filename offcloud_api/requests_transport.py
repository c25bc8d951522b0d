"""The default transport, on a ``requests.Session``.

Two limits hold for every call, whatever the server does:

- a **byte cap**, ``Request.max_bytes``: the body is read streamed, in chunks, and reading stops
  there (``ResponseTooLargeError``), so a huge or endless answer is never buffered whole;
- a **total deadline**: a read timeout bounds each wait for a byte, not the call, so a server
  sending a byte a second could keep a call alive for as long as it liked. Each call ends at
  its deadline (by default the request's connect + read timeout, as libcurl's ``TIMEOUT`` in
  pyLoad's transport), wherever the bytes trickle: the TLS handshake, the status line, the
  headers or the body. A timer thread shuts the call's connection down at the deadline; the
  session the transport makes carries :class:`DeadlineAdapter` for that. A session passed in is
  left as it is: there the deadline is checked between the body's chunks only, unless its
  owner mounts a :class:`DeadlineAdapter` on it. A request's own ``deadline`` (the time left of
  a deadline on the whole call, retries included) shortens a call's deadline, never lengthens it.
"""

from __future__ import annotations

import contextlib
import io
import math
import socket
import threading
import time
from typing import Any, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import ProxyManager

from .exceptions import OffcloudConnectionError, ResponseTooLargeError
from .redact import strip_query
from .transport import Request, Response, Timeout

__all__ = ["READ_CHUNK", "DeadlineAdapter", "RequestsTransport"]

#: Bytes read at a time from a streamed answer.
READ_CHUNK = 64 * 1024


class RequestsTransport:
    """Sends requests through a ``requests.Session``; owns and closes it only if it made it.

    Bodies are read streamed, in chunks, and reading stops with ``ResponseTooLargeError`` as soon
    as more than ``request.max_bytes`` arrived (or ``Content-Length`` announces more): a huge
    answer is never buffered whole. The cap counts decoded bytes, so a compressed bomb stops too.
    No call lasts past its ``deadline`` (seconds; default: the request's connect + read
    timeout): then it raises ``OffcloudConnectionError``.
    """

    def __init__(
        self, session: Optional[requests.Session] = None, *, deadline: Optional[float] = None
    ) -> None:
        if deadline is not None and not (math.isfinite(deadline) and deadline > 0):
            raise ValueError(f"deadline must be a positive number of seconds, not {deadline!r}")
        self.deadline = deadline
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            session.mount("https://", DeadlineAdapter())
            session.mount("http://", DeadlineAdapter())
        self.session = session

    def send(self, request: Request) -> Response:
        where = f"{request.method} {strip_query(request.url)}"
        seconds = self.deadline if self.deadline is not None else _total(request.timeout)
        if request.deadline is not None:  # what is left of a deadline on the whole call
            seconds = min(seconds, max(request.deadline, 0.0))
        with _Deadline(seconds) as deadline:
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
                    content = _read_capped(answer, request.max_bytes, where, deadline)
            except requests.exceptions.RequestException as exc:
                if deadline.passed():
                    raise _past_deadline(where, seconds, request.method) from exc
                raise _connection_error(exc, where, request.method) from exc
            if deadline.expired:  # the connection was shut down: the body may be cut short
                raise _past_deadline(where, seconds, request.method)
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return Response(status=answer.status_code, headers=headers, content=content)

    def close(self) -> None:
        if self._owns_session:
            self.session.close()


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections the deadline of a call in progress can shut down.

    Mount it on a session to give that session's calls through :class:`RequestsTransport` a
    total deadline that holds inside a read too. Through a SOCKS proxy the deadline is checked
    between the body's chunks only.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # not SOCKS: its pools have connections of their own
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


class _Deadline:
    """The end of one call, on this thread: past it, the call's connection is shut down.

    Shutting a socket down from another thread ends a ``recv`` blocked in it at once, the only
    way to stop a read that a dripping server keeps from ever timing out.
    """

    _current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._finished = False
        self._lock = threading.Lock()
        self._connection: Optional[HTTPConnection] = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @classmethod
    def watch(cls, connection: HTTPConnection) -> None:
        """Put ``connection`` under the deadline of the call in progress on this thread, if any."""
        deadline: Optional[_Deadline] = getattr(cls._current, "deadline", None)
        if deadline is None:
            return
        with deadline._lock:
            deadline._connection = connection
            if deadline.expired:
                _shut_down(connection)

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.ends

    def __enter__(self) -> _Deadline:
        type(self)._current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        type(self)._current.deadline = None
        with self._lock:  # after this, the timer touches nothing
            self._finished = True
            self._connection = None
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            if self._connection is not None:
                _shut_down(self._connection)


def _shut_down(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _Deadline.watch(self)  # before connecting: the handshake is under the deadline too
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _Deadline.watch(self)  # a connection from the pool, connected by an earlier call
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _Deadline.watch(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _Deadline.watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": _WatchedHTTPConnectionPool,
    "https": _WatchedHTTPSConnectionPool,
}


def _total(timeout: Timeout) -> float:
    """The default deadline: connect + read timeout (as pyLoad's transport gives libcurl)."""
    if isinstance(timeout, tuple):
        return float(timeout[0] + timeout[1])
    return 2.0 * timeout


def _past_deadline(where: str, seconds: float, method: str) -> OffcloudConnectionError:
    return OffcloudConnectionError(
        f"no complete answer to {where} within {seconds:g} s (the total deadline)", method=method
    )


def _connection_error(
    exc: requests.exceptions.RequestException, where: str, method: str
) -> OffcloudConnectionError:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return OffcloudConnectionError(
            f"timed out connecting for {where}", request_sent=False, method=method
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return OffcloudConnectionError(
            f"timed out waiting for the answer to {where}", method=method
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        return OffcloudConnectionError(
            f"connection failed for {where}: {_reason(exc)}",
            request_sent=not _never_connected(exc),
            method=method,
        )
    return OffcloudConnectionError(
        f"request failed for {where}: {type(exc).__name__}", method=method
    )


def _read_capped(
    answer: requests.Response, limit: int, where: str, deadline: Optional[_Deadline] = None
) -> bytes:
    """The body of ``answer``, or ``ResponseTooLargeError`` once it passes ``limit`` bytes.

    With a ``deadline``, reading stops once it has passed (``OffcloudConnectionError``).
    """
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
    # One buffer, handed over without a copy: an answer costs about its own size, not twice.
    body = io.BytesIO()
    received = 0
    for chunk in answer.iter_content(READ_CHUNK):
        received += len(chunk)
        if received > limit:
            raise too_large(f"more than {received} bytes arrived")
        body.write(chunk)
        if deadline is not None and deadline.passed():
            raise _past_deadline(where, deadline.seconds, method)
    return body.getvalue()


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
