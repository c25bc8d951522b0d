"""Small fakes shared by unit tests."""

from __future__ import annotations

from typing import Any


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
