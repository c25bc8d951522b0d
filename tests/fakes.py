"""Small fakes shared by unit tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional


class MemoryStore:
    """pyLoad's plugin storage (``plugin.db``), in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def retrieve(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def store(self, key: str, value: Any) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class ManualClock:
    """A clock that moves only when a test moves it (``clock.now += 60``)."""

    START = 1_000_000.0

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    @classmethod
    def time_of_day(cls, moment: float) -> str:
        """A book's ``clock_time`` that needs no time zone: ``T+<seconds since START>``."""
        return f"T+{moment - cls.START:.0f}"


class FakePyloadDb:
    """pyLoad's storage table (``core.db``): identifier (a plugin) → key → encoded value."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}

    def set_storage(self, identifier: str, key: str, value: str) -> None:
        self.rows.setdefault(identifier, {})[key] = value

    def get_storage(self, identifier: str, key: Optional[str] = None) -> Any:
        entries = self.rows.get(identifier, {})
        return entries.get(key) if key else dict(entries)

    def del_storage(self, identifier: str, key: str) -> None:
        self.rows.get(identifier, {}).pop(key, None)


@dataclass
class Outcome:
    """What one run of the ``offcloud`` command line gave: its exit code and its output."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def isolate_cli(monkeypatch: Any, tmp_path: Any, key: str) -> None:
    """A key in the environment, and no config file that could come from the real home."""
    monkeypatch.setenv("OFFCLOUD_API_KEY", key)
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(tmp_path / "no-such-config.ini"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OFFCLOUD_API_URL", raising=False)


@contextmanager
def local_http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving ``handler``: its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
