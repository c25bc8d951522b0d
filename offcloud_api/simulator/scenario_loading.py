"""Loading a scenario: from a mapping, JSON text, a JSON or YAML file, or the packaged demo.

A scenario may start from another with ``"extends": "default"`` (or a path): objects are merged
key by key, lists of named things by their identity (an account's ``key``, a link's ``url``...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from .scenario import Scenario, ScenarioError, ScenarioSource
from .scenario_builders import build_scenario

__all__ = ["default_scenario", "load_scenario"]


def default_scenario() -> Scenario:
    """The packaged demo scenario (``default_scenario.json``)."""
    return load_scenario(_read_default())


def _read_default() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("default_scenario.json").read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ScenarioError("default_scenario.json: expected an object")
    return data


def load_scenario(source: ScenarioSource = None) -> Scenario:
    """A scenario from a :class:`Scenario`, a mapping, a JSON/YAML file path, or ``None`` (default).

    A ``str`` that starts with ``{`` is read as JSON text, any other ``str`` as a path.
    """
    if source is None:
        return default_scenario()
    if isinstance(source, Scenario):
        return source
    base_dir: Optional[Path] = None
    if isinstance(source, Mapping):
        data: Mapping[str, Any] = source
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data = _as_object(json.loads(source), "scenario")
    else:
        path = Path(source)
        data = _read_file(path)
        base_dir = path.parent
    return build_scenario(_resolve_extends(data, base_dir, depth=0))


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]  # noqa: PLC0415 - optional dependency
        except ImportError:
            raise ScenarioError(f"{path}: YAML scenarios need PyYAML; use JSON") from None
        loaded = yaml.safe_load(text)
    else:
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise ScenarioError(f"{path}: not valid JSON: {exc}") from exc
    return _as_object(loaded, str(path))


def _as_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: expected a JSON object at the top")
    return value


_IDENTITY = {
    "accounts": "key",
    "sites": "name",
    "links": "url",
    "torrents": "info_hash",
    "jobs": "request_id",
    "direct_files": "url",
    "proxies": "id",
    "remote_accounts": "remote_option_id",
}


def _resolve_extends(
    data: Mapping[str, Any], base_dir: Optional[Path], depth: int
) -> dict[str, Any]:
    parent_ref = data.get("extends")
    own = {name: value for name, value in data.items() if name != "extends"}
    if parent_ref is None:
        return own
    if depth > 5:
        raise ScenarioError("extends: chain too deep")
    if not isinstance(parent_ref, str):
        raise ScenarioError("extends: expected 'default' or a path")
    if parent_ref == "default":
        parent: Mapping[str, Any] = _read_default()
        parent_dir = None
    else:
        path = Path(parent_ref)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        parent = _read_file(path)
        parent_dir = path.parent
    return _merge(_resolve_extends(parent, parent_dir, depth + 1), own)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for name, value in override.items():
        old = merged.get(name)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[name] = _merge(old, value)
        elif name in _IDENTITY and isinstance(old, list) and isinstance(value, list):
            merged[name] = _merge_list(old, value, _IDENTITY[name])
        else:
            merged[name] = value
    return merged


def _merge_list(old: list[Any], new: list[Any], identity: str) -> list[Any]:
    result = list(old)
    positions = {
        item.get(identity): index
        for index, item in enumerate(result)
        if isinstance(item, Mapping) and item.get(identity) is not None
    }
    for item in new:
        ident = item.get(identity) if isinstance(item, Mapping) else None
        if ident is not None and ident in positions:
            result[positions[ident]] = item
        else:
            result.append(item)
    return result
