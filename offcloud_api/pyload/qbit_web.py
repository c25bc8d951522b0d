"""The HTTP side of the qBittorrent-API bridge (``hooks/OffcloudComArr``): requests, logins, server.

The *arr apps speak qBittorrent's Web API v2 (form posts, a ``SID`` cookie). This module reads
their requests (query, url-encoded and multipart forms, with a size cap), keeps their sessions,
bans an address after repeated failed logins the way qBittorrent does, and serves it all from a
threaded stdlib ``http.server`` on its own port: no runtime dependency beyond Python.

What a call means lives in :mod:`.qbit_api`; this module only knows requests and answers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "MAX_BODY_BYTES",
    "BadRequestError",
    "Guard",
    "GuardLimits",
    "QbitServer",
    "Request",
    "Response",
    "Sessions",
    "Upload",
    "basic_credentials",
    "parse_body",
]

log = logging.getLogger(__name__)

#: The largest request body read (a few .torrent uploads and their form fields); more is 413.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Seconds a client may take to send its request before the connection is dropped.
SOCKET_TIMEOUT = 30.0


class BadRequestError(ValueError):
    """A request that cannot be read; ``status`` is the HTTP answer (400, 411, 413, 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Upload:
    """One file of a multipart form (a ``.torrent`` under ``torrents``)."""

    filename: str
    data: bytes


@dataclass
class Request:
    """An API call as the router sees it: ``path`` is ``/api/v2/...`` without the query."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)  # query and form fields, form wins
    uploads: list[Upload] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    client: str = ""  # the peer's address

    def param(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)

    def flag(self, name: str) -> Optional[bool]:
        """A boolean form field (``true``/``false``, as the apps send them); ``None`` if absent."""
        value = self.params.get(name)
        if value is None:
            return None
        return value.strip().lower() in ("true", "1", "yes", "on")

    def cookie(self, name: str) -> Optional[str]:
        for part in self.headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and value:
                return value
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=UTF-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"))


def _first_values(values: Mapping[str, list[str]]) -> dict[str, str]:
    return {key: items[-1] for key, items in values.items() if items}


def parse_body(
    content_type: str, body: bytes, *, max_upload: int
) -> tuple[dict[str, str], list[Upload]]:
    """Form fields and uploaded files of a POST body.

    ``application/x-www-form-urlencoded`` and ``multipart/form-data`` are read; an empty body
    gives nothing. A file over ``max_upload`` bytes is refused (413); a field that is not a file
    is read as UTF-8 text.
    """
    if not body:
        return {}, []
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError(400, "The form is not UTF-8") from None
        return _first_values(parse_qs(text, keep_blank_values=True)), []
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, body, max_upload=max_upload)
    if kind in ("text/plain", "application/json"):
        return {}, []  # no form: the query carries the arguments
    raise BadRequestError(415, f"Unsupported content type {kind}")


def _parse_multipart(
    content_type: str, body: bytes, *, max_upload: int
) -> tuple[dict[str, str], list[Upload]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequestError(400, "A multipart form without parts")
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None or name == "torrents":
            if len(data) > max_upload:
                raise BadRequestError(
                    413, f"The file {filename or name} is larger than {max_upload} bytes"
                )
            uploads.append(Upload(str(filename or name), data))
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, uploads


def basic_credentials(header: str) -> Optional[tuple[str, str]]:
    """User and password of an ``Authorization: Basic`` header, else ``None``."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Sessions:
    """Login sessions: a random ``SID`` per login, known here only by its hash.

    A session ends after ``idle`` seconds without a call (qBittorrent's default is an hour).
    Looking a session up by the hash of what the client sent leaves no timing to compare.
    """

    def __init__(self, idle: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[str, float]] = {}

    def open(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._expire()
            self._sessions[_digest(token)] = (user, self.clock())
        return token

    def user(self, token: Optional[str]) -> Optional[str]:
        if not token:
            return None
        key = _digest(token)
        with self._lock:
            entry = self._sessions.get(key)
            if entry is None:
                return None
            user, seen = entry
            if self.clock() - seen > self.idle:
                del self._sessions[key]
                return None
            self._sessions[key] = (user, self.clock())
            return user

    def close(self, token: Optional[str]) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_digest(token), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, (_, seen) in self._sessions.items() if now - seen > self.idle]:
            del self._sessions[key]


@dataclass(frozen=True)
class GuardLimits:
    """How the bridge meets failed logins: after ``max_failures`` within ``window`` seconds an
    address is banned for ``ban_seconds`` (qBittorrent bans after 5 for an hour). Successful Basic
    credentials are remembered by their hash for ``remember`` seconds."""

    max_failures: int = 5
    window: float = 900.0
    ban_seconds: float = 3600.0
    remember: float = 60.0


class Guard:
    """Failed logins per address, within :class:`GuardLimits`: a banned address has no password
    checked until its ban ends. Remembering good Basic credentials spares pyLoad's password
    hashing on every call of an app using them.
    """

    BANNED = "Your IP address has been banned after too many failed authentication attempts."

    def __init__(
        self,
        check: Callable[[str, str], Optional[str]],
        limits: GuardLimits = GuardLimits(),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self.limits = limits
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._banned: dict[str, float] = {}
        self._known: dict[str, tuple[str, float]] = {}

    def banned(self, address: str) -> bool:
        with self._lock:
            until = self._banned.get(address)
            if until is None:
                return False
            if self.clock() >= until:
                del self._banned[address]
                return False
            return True

    def login(self, address: str, user: str, password: str) -> Optional[str]:
        """The pyLoad user name when ``user``/``password`` are right; ``None`` otherwise (and
        always while ``address`` is banned)."""
        if self.banned(address):
            return None
        key = _digest(f"{user}\x00{password}")
        now = self.clock()
        with self._lock:
            known = self._known.get(key)
            if known is not None and now - known[1] <= self.limits.remember:
                return known[0]
        try:
            name = self._check(user, password)
        except Exception:  # pyLoad's check failed: a refusal, not a crash of the server
            log.warning("the pyLoad user check failed", exc_info=True)
            name = None
        with self._lock:
            if name is not None:
                self._known[key] = (name, now)
                self._failures.pop(address, None)
                return name
            recent = [t for t in self._failures.get(address, []) if now - t <= self.limits.window]
            recent.append(now)
            self._failures[address] = recent
            if len(recent) >= self.limits.max_failures:
                self._banned[address] = now + self.limits.ban_seconds
                self._failures.pop(address, None)
                log.warning("address %s banned after %s failed logins", address, len(recent))
        return None

    def forget(self) -> None:
        """Drop remembered credentials (a pyLoad user or password may have changed)."""
        with self._lock:
            self._known.clear()


Handler = Callable[[Request], Response]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "qBittorrent"  # what the apps expect to see; no version to fingerprint
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(SOCKET_TIMEOUT)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._send(Response(405))

    def _serve(self) -> None:
        try:
            request = self._read()
        except BadRequestError as exc:
            self.close_connection = True
            self._send(Response.text(exc.message, exc.status))
            return
        try:
            response = self.server.handler(request)
        except Exception:  # one bad call must not take the server down
            log.exception("qBittorrent API call %s failed", request.path)
            response = Response.text("Internal error", 500)
        self._send(response)

    def _read(self) -> Request:
        split = urlsplit(self.path)
        params = _first_values(parse_qs(split.query, keep_blank_values=True))
        headers = {key.lower(): value for key, value in self.headers.items()}
        uploads: list[Upload] = []
        if self.command == "POST":
            if "chunked" in headers.get("transfer-encoding", "").lower():
                raise BadRequestError(411, "Send a Content-Length")
            try:
                length = int(headers.get("content-length", "0") or 0)
            except ValueError:
                raise BadRequestError(400, "Bad Content-Length") from None
            if length < 0:
                raise BadRequestError(400, "Bad Content-Length")
            if length > self.server.max_body:
                raise BadRequestError(
                    413, f"The request is larger than {self.server.max_body} bytes"
                )
            body = self.rfile.read(length) if length else b""
            fields, uploads = parse_body(
                headers.get("content-type", ""), body, max_upload=self.server.max_upload
            )
            params.update(fields)
        return Request(
            method=self.command,
            path=split.path,
            params=params,
            uploads=uploads,
            headers=headers,
            client=str(self.client_address[0]),
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        # Only the method and path (no query: it never holds a secret, but keep the log short).
        log.debug("qBittorrent API %s", self.requestline.split("?", 1)[0])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: Handler, max_body: int, max_upload: int
    ) -> None:
        self.handler = handler
        self.max_body = max_body
        self.max_upload = max_upload
        super().__init__(address, _RequestHandler)


class QbitServer:
    """The API's HTTP server on ``host``:``port`` in a daemon thread; :meth:`stop` ends it."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        max_body: int = MAX_BODY_BYTES,
        max_upload: int = MAX_BODY_BYTES,
    ) -> None:
        self._server = _Server((host, port), handler, max_body, max_upload)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.5},
            name="OffcloudArrHTTP",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> QbitServer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)
