"""Small fakes shared by unit tests."""

from __future__ import annotations

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
