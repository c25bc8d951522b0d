"""Reading a scenario's values with their location: typed fields, sizes, dates.

:class:`Section` gives typed access to one JSON object and refuses keys it does not know, so a
typo fails with its place (``scenario.links[2].size``) as a :class:`~.scenario.ScenarioError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any, Optional, Union

from .scenario import ScenarioError

__all__ = ["Section", "date_value", "datetime_value", "parse_size"]


class Section:
    """Typed access to one JSON object whose keys must all be in ``known`` (typos fail first)."""

    def __init__(self, data: Any, where: str, known: Iterable[str]) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{where}: expected an object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where
        names = set(known)
        allowed = ", ".join(sorted(names))
        unknown = ", ".join(sorted(set(data) - names))
        if unknown:
            raise ScenarioError(f"{where}: unknown key(s) {unknown} (known: {allowed})")

    def _get(self, name: str) -> Any:
        return self.data.get(name)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def _fail(self, name: str, expected: str, value: Any) -> ScenarioError:
        return ScenarioError(f"{self.where}.{name}: expected {expected}, got {value!r}")

    def text(self, name: str, default: Optional[str] = None) -> str:
        value = self._get(name)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.where}.{name}: required")
            return default
        if not isinstance(value, str) or not value.strip():
            raise self._fail(name, "a non-empty string", value)
        return value.strip()

    def opt_text(self, name: str) -> Optional[str]:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(name, "a string", value)
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def opt_flag(self, name: str) -> Optional[bool]:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self._fail(name, f"a number >= {minimum:g}", value)
        return float(value)

    def opt_number(self, name: str) -> Optional[float]:
        return self.number(name, 0.0) if self.has(name) else self._get(name)

    def integer(self, name: str, default: int) -> int:
        value = self._get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(name, "an integer", value)
        return value

    def limit(self, name: str, default: Union[int, str]) -> Union[int, str]:
        value = self._get(name)
        if value is None:
            return default
        if value == "unlimited" or (isinstance(value, int) and not isinstance(value, bool)):
            return value  # type: ignore[no-any-return]
        raise self._fail(name, 'an integer or "unlimited"', value)

    def choice(self, name: str, choices: Sequence[str], default: Optional[str]) -> str:
        value = self._get(name)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.where}.{name}: required (one of {', '.join(choices)})")
            return default
        if value not in choices:
            raise self._fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
        return str(value)

    def opt_choice(self, name: str, choices: Sequence[str]) -> Optional[str]:
        return self.choice(name, choices, None) if self.has(name) else self._get(name)

    def strings(self, name: str) -> tuple[str, ...]:
        value = self._get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._fail(name, "a list of strings", value)
        return tuple(value)

    def items(self, name: str) -> list[tuple[Any, str]]:
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._fail(name, "a list", value)
        return [(item, f"{self.where}.{name}[{index}]") for index, item in enumerate(value)]

    def section(self, name: str, known: Iterable[str]) -> Section:
        value = self._get(name)
        return Section({} if value is None else value, f"{self.where}.{name}", known)

    def raw(self, name: str) -> Any:
        return self._get(name)


_SIZE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1 << 10,
    "ki": 1 << 10,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1 << 20,
    "mi": 1 << 20,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1 << 30,
    "gi": 1 << 30,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1 << 40,
    "ti": 1 << 40,
}


def parse_size(value: Any, where: str = "size") -> int:
    """Bytes from an integer or a string such as ``"4 MiB"`` or ``"1.5GB"`` (MB = 10^6)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        match = _SIZE_PATTERN.match(value)
        if match:
            unit = (match.group(2) or "").lower()
            if unit in _SIZE_UNITS:
                return int(float(match.group(1)) * _SIZE_UNITS[unit])
    raise ScenarioError(f"{where}: expected a size in bytes or like '4 MiB', got {value!r}")


def date_value(value: Any, where: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ScenarioError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")


def datetime_value(value: Any, where: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    raise ScenarioError(f"{where}: expected an ISO-8601 time, got {value!r}")
