"""HTTP plumbing: a threading server that is at once Offcloud, its download servers and a proxy.

Three ways in, one set of answers:

* direct: ``GET /api/account/info`` to ``127.0.0.1:PORT``. Download URLs in the answers then
  point back at ``http://127.0.0.1:PORT`` (scenario ``file_url_style`` ``auto``).
* as an HTTP proxy with an absolute URI: ``GET http://offcloud.com/api/... HTTP/1.1``;
* as an HTTPS proxy: ``CONNECT offcloud.com:443`` (or ``de-3.offcloud.com:443``, a CDN node such
  as ``1-cdn2-ovh-fra.energycdn.com:443``, or a ``direct_files`` host) is answered 200, the
  socket is wrapped in TLS with the simulator's certificate and then read as HTTP. This is how
  pyLoad, which refuses loopback targets, reaches it (docs/pyload.md §4.3, §5.5).

Hosts the scenario does not simulate are refused with 403 and never forwarded. ``/_sim/...`` on
the direct address is the control API (faults, call log, state, clock). It answers only requests
whose ``Host`` is the simulator's own loopback name or bound address (no DNS rebinding), and
takes POSTs only as ``application/json`` (which no web page can send cross-site unasked).
"""

from __future__ import annotations

import contextlib
import http
import io
import logging
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import urlsplit

from .calllog import CallLog, CallRecord, summarize_body
from .faults import ERROR_PRESETS, Fault, FaultError
from .files import iter_content
from .http_messages import ApiRequest, Reply, download_error_html, json_reply
from .records import CDN_DOMAIN
from .routes import Api
from .scenario import ScenarioError
from .scenario_fields import parse_size
from .state import SimState
from .tls import CertificateError, CertificateFiles, certificate_for

__all__ = ["Backend", "SimHTTPServer"]

log = logging.getLogger(__name__)

#: Largest request body accepted (API bodies are tiny; this only stops abuse).
MAX_BODY = 8 << 20
#: A CORS preflight's answer on the API (L21: wide open; browser clients call the API directly).
CORS_PREFLIGHT_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
    ("Access-Control-Max-Age", "86400"),
)
FILE_PATH_PREFIXES = ("/cloud/download/", "/dl/", "/cdn3sto/")


@dataclass(frozen=True)
class Incoming:
    """Where a request came from and which simulated host it is for."""

    via: str
    host: str
    role: str
    target: str


class Backend:
    """What the HTTP handlers share: the state, the API, the call log and the TLS context."""

    def __init__(self, state: SimState, calls: CallLog, local_names: Iterable[str]) -> None:
        self.state = state
        self.api = Api(state)
        self.calls = calls
        self.local_names = {name.lower() for name in local_names}
        self.certificate: Optional[CertificateFiles] = None
        self.tls_error: Optional[str] = None
        self._tls: Optional[ssl.SSLContext] = None

    # ----------------------------------------------------------------------------------------
    # TLS

    @property
    def hoster_hosts(self) -> list[str]:
        return sorted({entry.host for entry in self.state.scenario.direct_files})

    def prepare_tls(self) -> None:
        """Make (or reuse) the certificate; a failure only disables CONNECT."""
        try:
            self.certificate = certificate_for(self.hoster_hosts)
        except CertificateError as exc:
            self.tls_error = str(exc)
            log.warning("HTTPS proxying is off: %s", exc)
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.certificate.chain_path), str(self.certificate.key_path))
        context.set_alpn_protocols(["http/1.1"])
        self._tls = context

    @property
    def tls_context(self) -> Optional[ssl.SSLContext]:
        return self._tls

    # ----------------------------------------------------------------------------------------
    # hosts

    def role_for(self, host: str) -> Optional[str]:
        """``local``, ``site``, ``server``, ``cdn``, ``hoster`` or None (a host not simulated)."""
        host = host.lower().rstrip(".")
        if host in self.local_names:
            return "local"
        if host in ("offcloud.com", "www.offcloud.com"):
            return "site"
        if host.endswith(".offcloud.com"):
            return "server"
        if host.endswith("." + CDN_DOMAIN):
            return "cdn"
        if host in self.hoster_hosts:
            return "hoster"
        return None

    def secrets(self) -> list[str]:
        return self.state.all_keys()

    # ----------------------------------------------------------------------------------------
    # the control API (/_sim)

    def control_refusal(self, request: ApiRequest, host: str, port: int) -> Optional[Reply]:
        """Why a control request is refused, or ``None``: only the user's programs may drive it.

        A web page in the user's browser reaches 127.0.0.1 too, in two ways: DNS rebinding (its
        own name, resolving to 127.0.0.1, arrives as ``Host``), and cross-site POSTs a browser
        sends without asking (text/plain, a form, no body). So the ``Host`` must be a loopback
        name or the bound address (with this port, if one is given), and a POST must be
        ``application/json``, which a browser sends cross-site only after a preflight this
        server never grants.
        """
        name, given_port = _host_and_port(host)
        if name not in self.local_names or given_port not in (None, port):
            return json_reply(
                {"error": "the control API answers only Host 127.0.0.1 or localhost"}, 403
            )
        content_type = (request.header("content-type") or "").partition(";")[0]
        if request.method == "POST" and content_type.strip().lower() != "application/json":
            return json_reply({"error": "control POSTs take Content-Type: application/json"}, 415)
        return None

    def control(self, request: ApiRequest) -> Reply:
        method, path = request.method, request.path.rstrip("/")
        state = self.state
        if path == "/_sim/calls" and method == "GET":
            return json_reply([record.to_json() for record in self.calls.snapshot()])
        if path == "/_sim/state" and method == "GET":
            return json_reply(state.snapshot())
        if path == "/_sim/scenario" and method == "GET":
            return json_reply(dict(state.scenario.source))
        if path == "/_sim/reset" and method == "POST":
            only = request.param("only")
            if only == "calls":
                self.calls.clear()
            elif only == "faults":
                state.faults.clear()
            else:
                state.reset()
                self.calls.clear()
            return json_reply({"success": True})
        if path == "/_sim/clock" and method == "POST":
            seconds = request.param("advance")
            try:
                state.clock.advance(float(seconds or 0))
            except ValueError:
                return json_reply({"error": "advance must be a number of seconds"}, 400)
            return json_reply({"now": state.clock.now()})
        if path == "/_sim/oauth":
            return self.api.oauth_control(request)
        if path == "/_sim/storage" and method in ("GET", "POST"):
            return self._storage(request)
        if path == "/_sim/faults":
            if method == "GET":
                return json_reply([fault.to_json() for fault in state.faults.snapshot()])
            if method == "DELETE":
                state.faults.clear()
                return json_reply({"success": True})
            if method == "POST":
                return self._add_faults(request)
        if path.startswith("/_sim/faults/") and method == "DELETE":
            removed = state.faults.remove(path.rpartition("/")[2])
            return json_reply({"success": removed}, 200 if removed else 404)
        return json_reply({"error": f"no control route {method} {path}"}, 404)

    def _storage(self, request: ApiRequest) -> Reply:
        """``GET``: every account's quota and usage; ``POST {"storage_bytes": N | "2 MiB" |
        null, "account"?: key or e-mail}``: set one account's quota (default: the first)."""
        state = self.state
        if request.method == "POST":
            payload = request.json_value
            if not isinstance(payload, dict) or "storage_bytes" not in payload:
                return json_reply({"error": 'send {"storage_bytes": bytes or null}'}, 400)
            raw, account = payload["storage_bytes"], payload.get("account")
            try:
                size = None if raw is None else parse_size(raw, "storage_bytes")
                spec = state.set_storage(size, account if isinstance(account, str) else None)
            except ScenarioError as exc:
                return json_reply({"error": str(exc)}, 400)
            except KeyError:
                return json_reply({"error": f"no account {account!r}"}, 404)
            return json_reply({"account": spec.email, **state.storage_snapshot(spec)})
        return json_reply(
            [
                {"account": spec.email, **state.storage_snapshot(spec)}
                for spec in state.scenario.accounts
            ]
        )

    def _add_faults(self, request: ApiRequest) -> Reply:
        payload = request.json_value
        items = payload if isinstance(payload, list) else [payload]
        try:
            faults = [Fault.from_dict(item) for item in items if isinstance(item, dict)]
        except (FaultError, TypeError) as exc:
            return json_reply({"error": str(exc)}, 400)
        if not faults or len(faults) != len(items):
            return json_reply({"error": "send a fault object or a list of them as JSON"}, 400)
        added = [self.state.add_fault(fault).to_json() for fault in faults]
        return json_reply({"faults": added}, 201)


class SimHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that can close its open connections, so stop() never hangs."""

    daemon_threads = True
    allow_reuse_address = True
    #: Seconds stop() waits for each connection thread after closing its socket.
    join_timeout = 5.0

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        self.backend = backend
        self.stopping = threading.Event()
        self._handlers: set[SimRequestHandler] = set()
        self._handlers_lock = threading.Lock()
        self._connection_threads: list[threading.Thread] = []
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, SimRequestHandler)
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        self.address_text = f"{host}:{self.server_port}"

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall where DNS is broken.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        # Like ThreadingMixIn, but daemon threads are tracked too, so stop() can join them
        # (ThreadingMixIn forgets daemon threads) while a forgotten simulator never blocks exit.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"offcloud-simulator-{self.server_port}-connection",
            daemon=True,
        )
        with self._handlers_lock:
            self._connection_threads = [t for t in self._connection_threads if t.is_alive()]
            self._connection_threads.append(thread)
        thread.start()

    def join_threads(self) -> None:
        with self._handlers_lock:
            threads = list(self._connection_threads)
        for thread in threads:
            thread.join(self.join_timeout)
            if thread.is_alive():
                log.warning("simulator connection thread %s did not stop", thread.name)

    def track(self, handler: SimRequestHandler) -> None:
        with self._handlers_lock:
            self._handlers.add(handler)
        if self.stopping.is_set():
            handler.shutdown_socket()

    def untrack(self, handler: SimRequestHandler) -> None:
        with self._handlers_lock:
            self._handlers.discard(handler)

    def close_connections(self) -> None:
        with self._handlers_lock:
            handlers = list(self._handlers)
        for handler in handlers:
            handler.shutdown_socket()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal for a download server; no stderr dumps.
        log.debug("error while answering %s: %r", client_address, sys.exc_info()[1])


class _SocketWriter(io.BufferedIOBase):
    """Unbuffered writes with ``sendall`` (what http.server uses, for the TLS socket)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._sock.sendall(data)
        with memoryview(data) as view:
            return view.nbytes


class SimRequestHandler(BaseHTTPRequestHandler):
    """One client connection (kept alive; inside a CONNECT tunnel after the TLS handshake)."""

    protocol_version = "HTTP/1.1"
    server_version = "OffcloudSimulator/1.0"
    sys_version = ""
    #: Idle seconds before a kept-alive connection is closed.
    timeout = 60
    # Headers and body go out in separate writes; without this, delayed ACKs add 40 ms per call.
    disable_nagle_algorithm = True
    server: SimHTTPServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        self.tunnel_host: Optional[str] = None
        super().setup()
        self.server.track(self)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            if self.tunnel_host is not None:
                self.connection.close()
            self.server.untrack(self)

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ssl.SSLError) as exc:
            log.debug("connection from %s ended: %s", self.client_address, exc)

    def shutdown_socket(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, fmt: str, *args: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", self.address_string(), fmt % args)

    @property
    def backend(self) -> Backend:
        return self.server.backend

    # ----------------------------------------------------------------------------------------
    # methods

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def do_CONNECT(self) -> None:
        started = time.time()
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]").lower()
        role = self.backend.role_for(host) if self.tunnel_host is None and port.isdigit() else None
        context = self.backend.tls_context
        if role in (None, "local"):
            self._refuse(started, "CONNECT", host, self.path, "connect")
            return
        if context is None:
            self.close_connection = True
            reply = Reply(
                status=502,
                body=f"HTTPS proxying is unavailable: {self.backend.tls_error}\n".encode(),
                content_type="text/plain; charset=utf-8",
            )
            self._record(started, "CONNECT", host, self.path, reply, kind="connect", via="proxy")
            self._write(reply)
            return
        self._record(
            started, "CONNECT", host, self.path, Reply(status=200), kind="connect", via="proxy"
        )
        self.send_response(200, "Connection Established")
        self.end_headers()
        try:
            tls = context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake for %s failed: %s", host, exc)
            self.close_connection = True
            return
        old_reader = self.rfile
        self.connection = self.request = tls
        self.rfile = tls.makefile("rb", -1)
        self.wfile = _SocketWriter(tls)
        self.tunnel_host = host
        self.close_connection = False
        old_reader.close()

    # ----------------------------------------------------------------------------------------
    # the common path

    def _incoming(self) -> Optional[Incoming]:
        target = self.path
        if target.lower().startswith(("http://", "https://")):
            parts = urlsplit(target)
            host = (parts.hostname or "").lower()
            role = self.backend.role_for(host)
            if role in (None, "local"):
                return None
            path = parts.path or "/"
            return Incoming(
                "proxy", host, role or "", path + (f"?{parts.query}" if parts.query else "")
            )
        if self.tunnel_host is not None:
            role = self.backend.role_for(self.tunnel_host)
            return Incoming("tunnel", self.tunnel_host, role or "", target)
        host = _hostname(self.headers.get("Host", ""))
        return Incoming("direct", host, self.backend.role_for(host) or "local", target)

    def _serve(self) -> None:
        started = time.time()
        body = self._read_body()
        if body is None:
            return
        incoming = self._incoming()
        if incoming is None:
            parts = urlsplit(self.path)
            self._refuse(
                started, self.command, (parts.hostname or "").lower(), parts.path or "/", "refused"
            )
            return
        host_header = self.headers.get("Host") or self.server.address_text
        request = ApiRequest.parse(
            method=self.command,
            host=incoming.host,
            target=incoming.target,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            via=incoming.via,
            base_url=f"{'https' if incoming.via == 'tunnel' else 'http'}://{host_header}",
        )
        if incoming.role == "local" and request.path.startswith("/_sim/"):
            refusal = self.backend.control_refusal(request, host_header, self.server.server_port)
            reply = refusal if refusal is not None else self.backend.control(request)
            # A reset leaves an empty log; a refused one is logged like any refusal.
            if refusal is not None or request.path.rstrip("/") != "/_sim/reset":
                self._record(
                    started,
                    request.method,
                    incoming.host,
                    request.path,
                    reply,
                    kind="control",
                    via=incoming.via,
                    request=request,
                )
            self._write(reply)
            return
        is_file = incoming.role in ("server", "cdn", "hoster") or request.path.startswith(
            FILE_PATH_PREFIXES
        )
        kind = "file" if is_file else "api"
        cors = kind == "api" and self.backend.state.scenario.api.cors
        if cors and request.method == "OPTIONS":
            # A preflight (L21): answered before any route, key or fault.
            preflight = Reply(status=204, headers=list(CORS_PREFLIGHT_HEADERS))
            self._record(
                started,
                request.method,
                incoming.host,
                request.path,
                preflight,
                kind=kind,
                via=incoming.via,
                request=request,
            )
            self._write(preflight)
            return
        fired = self.backend.state.faults.take(kind, request.path, "range" in request.headers)
        for fault in fired:
            if fault.kind == "delay" and self.server.stopping.wait(fault.delay):
                self.close_connection = True
                return
        answer_fault = next((f for f in fired if f.kind != "delay"), None)
        if answer_fault is not None and answer_fault.kind == "drop":
            # Not acted on, no answer at all: the connection is reset at once.
            self._record(
                started,
                request.method,
                incoming.host,
                request.path,
                Reply(status=0),
                kind=kind,
                via=incoming.via,
                request=request,
                fault="drop",
            )
            self._reset_connection()
            return
        early = _fault_reply(answer_fault)
        reply = early if early is not None else self._answer(request, incoming.role)
        if cors:
            reply.headers.append(("Access-Control-Allow-Origin", "*"))
        cut: Optional[int] = None
        reset = False
        if answer_fault is not None:
            if answer_fault.kind == "truncated_json" and reply.is_json:
                reply.body = reply.body[: len(reply.body) // 2]
            elif answer_fault.kind in ("reset", "file_drop"):
                reset = True
                cut = (
                    reply.length // 2
                    if answer_fault.after_bytes is None
                    else min(answer_fault.after_bytes, reply.length)
                )
            elif answer_fault.kind == "range_error":
                reply = _range_error_reply(answer_fault, reply)
        fault_name = (
            answer_fault.kind
            if answer_fault is not None
            else (fired[0].kind if fired else reply.marker)
        )
        self._record(
            started,
            request.method,
            incoming.host,
            request.path,
            reply,
            kind=kind,
            via=incoming.via,
            request=request,
            fault=fault_name,
        )
        self._write(reply, cut=cut, reset=reset)

    def _answer(self, request: ApiRequest, role: str) -> Reply:
        try:
            return self.backend.api.handle(request, role)
        except Exception:  # one broken answer must not kill the connection thread
            log.exception("simulator error answering %s %s", request.method, request.path)
            return Reply(
                status=500,
                body=b"<html><body><h1>500 Internal Server Error</h1></body></html>\n",
                content_type="text/html; charset=utf-8",
            )

    def _refuse(self, started: float, method: str, host: str, path: str, kind: str) -> None:
        self.close_connection = True
        reply = Reply(
            status=403,
            body=f"The Offcloud simulator does not serve {host or 'this host'}.\n".encode(),
            content_type="text/plain; charset=utf-8",
        )
        self._record(started, method, host, path, reply, kind=kind, via="proxy")
        self._write(reply)

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self.send_error(400 if length < 0 else 413)
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> Optional[bytes]:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self.close_connection = True
                self.send_error(400)
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                self.close_connection = True
                self.send_error(413)
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    # ----------------------------------------------------------------------------------------
    # writing

    def _record(
        self,
        started: float,
        method: str,
        host: str,
        path: str,
        reply: Reply,
        *,
        kind: str,
        via: str,
        request: Optional[ApiRequest] = None,
        fault: Optional[str] = None,
    ) -> None:
        # Recorded before the answer is written: a client that has its answer finds it logged.
        key_locations = request.key_locations if request is not None else ()
        summary = ""
        request_id = reply.request_id
        if request is not None:
            summary = summarize_body(
                request.body, request.header("content-type") or "", self.backend.secrets()
            )
            request_id = request_id or request.param("requestId")
        self.backend.calls.append(
            CallRecord(
                method=method,
                host=host,
                path=path,
                key_location=key_locations[0] if key_locations else None,
                status=reply.status,
                time=started,
                body_summary=summary,
                request_id=request_id,
                kind=kind,
                via=via,
                key_locations=key_locations,
                query_keys=tuple(request.query) if request is not None else (),
                user_id=reply.user_id,
                fault=fault,
                range=request.header("range") if request is not None else None,
            )
        )

    def _write(self, reply: Reply, *, cut: Optional[int] = None, reset: bool = False) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(reply.length))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self._write_body(reply, reply.length if cut is None else cut)
        except OSError as exc:
            log.debug("client went away: %s", exc)
            self.close_connection = True
            return
        if reset:
            self._reset_connection()

    def _write_body(self, reply: Reply, limit: int) -> None:
        if reply.file is None:
            self.wfile.write(reply.body[:limit])
            return
        start, end = reply.file_range
        for piece in iter_content(reply.file.seed, reply.file.size, start, min(end, start + limit)):
            self.wfile.write(piece)

    def _reset_connection(self) -> None:
        """Close with RST (SO_LINGER 0): the client sees "connection reset by peer"."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass


def _host_and_port(host_header: str) -> tuple[str, Optional[int]]:
    """A ``Host`` header's name (lower-case, IPv6 without brackets) and port (``-1``: bad)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        if rest and not rest.startswith(":"):
            return name, -1
        port_text = rest[1:] if rest else None
    elif host.count(":") == 1:
        name, _, port_text = host.partition(":")
    else:
        name, port_text = host, None
    if port_text is None:
        return name, None
    return name, int(port_text) if port_text.isdigit() and len(port_text) <= 5 else -1


def _hostname(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _fault_reply(fault: Optional[Fault]) -> Optional[Reply]:
    """The answer of a fault that stops the request before Offcloud acts on it."""
    if fault is None:
        return None
    if fault.kind == "rate_limit":
        seconds = 1.0 if fault.retry_after is None else fault.retry_after
        reply = json_reply({"error": "Too many requests, please slow down."}, fault.status or 429)
        reply.headers.append(("Retry-After", f"{seconds:g}"))
        return reply
    if fault.kind == "server_error":
        status = fault.status or 500
        phrase = _phrase(status)
        page = (
            f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {phrase}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )
        return Reply(status=status, body=page.encode(), content_type="text/html")
    if fault.kind in ("ip_changed", "ip_refused"):
        return _ip_refusal_reply(fault)
    return None


def _ip_refusal_reply(fault: Fault) -> Reply:
    """A download refused for the IP (L24): the text as JSON (default), HTML, plain or nothing."""
    text = fault.message or ERROR_PRESETS["not_authorized_file"]
    status = fault.status or 403
    body = fault.body or "json"
    if body == "json":
        return json_reply({"error": text}, status)
    if body == "html":
        return download_error_html(status, text)
    if body == "text":
        return Reply(status=status, body=text.encode(), content_type="text/plain; charset=utf-8")
    return Reply(status=status, content_type="text/html; charset=utf-8")


def _range_error_reply(fault: Fault, reply: Reply) -> Reply:
    status = fault.status or 416
    if status == 416:
        size = reply.file.size if reply.file is not None else 0
        return Reply(
            status=416, headers=[("Content-Range", f"bytes */{size}")], content_type="text/plain"
        )
    answer = json_reply({"error": "Temporary error"}, status)
    answer.headers.append(("Retry-After", "1"))
    return answer


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
