"""Where the ``offcloud`` command line finds the API key and the API URL.

The key comes from ``OFFCLOUD_API_KEY``, else from an INI file: ``$OFFCLOUD_CONFIG`` if set, else
``$XDG_CONFIG_HOME/offcloud/config.ini`` (``~/.config/offcloud/config.ini`` by default)::

    [offcloud]
    api_key = ...
    api_url = https://offcloud.com/api   ; optional

The key is never taken from a command-line argument: arguments end up in shell history and in the
process list, where other users can read them.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

__all__ = [
    "ENV_API_KEY",
    "ENV_API_URL",
    "ENV_CONFIG",
    "KEY_PAGE",
    "ConfigError",
    "Settings",
    "config_path",
    "load_settings",
]

ENV_API_KEY = "OFFCLOUD_API_KEY"
ENV_API_URL = "OFFCLOUD_API_URL"
ENV_CONFIG = "OFFCLOUD_CONFIG"
SECTION = "offcloud"
KEY_OPTION = "api_key"
URL_OPTION = "api_url"
#: Where users copy their key from.
KEY_PAGE = "https://offcloud.com/#/account"


class ConfigError(Exception):
    """The configuration file cannot be read, or no API key is configured anywhere."""


@dataclass(frozen=True)
class Settings:
    """What the environment and the config file say. ``path`` is the file consulted."""

    api_key: Optional[str]
    api_url: Optional[str]
    path: Path

    def require_key(self) -> str:
        """The API key, or a :class:`ConfigError` telling the user where to put one."""
        if self.api_key:
            return self.api_key
        raise ConfigError(
            f"no API key: set {ENV_API_KEY}, or add '{KEY_OPTION} = <your key>' under "
            f"[{SECTION}] in {self.path} (copy the key from {KEY_PAGE})"
        )


def config_path(environ: Mapping[str, str]) -> Path:
    """The config file to read: ``$OFFCLOUD_CONFIG``, else the XDG location."""
    explicit = environ.get(ENV_CONFIG, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_CONFIG_HOME", "").strip()
    # The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "offcloud" / "config.ini"


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Read the key and the API URL; the environment wins over the file."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    file_key, file_url = _read_file(path)
    return Settings(
        api_key=_clean(env.get(ENV_API_KEY)) or file_key,
        api_url=_clean(env.get(ENV_API_URL)) or file_url,
        path=path,
    )


def _read_file(path: Path) -> tuple[Optional[str], Optional[str]]:
    # No interpolation: a key may contain "%".
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as stream:
            parser.read_file(stream)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except configparser.Error as exc:
        # configparser's own messages quote the offending line, which may hold the key.
        raise ConfigError(f"{path} is not a valid INI file{_line_hint(exc)}") from None
    if not parser.has_section(SECTION):
        return None, None
    section = parser[SECTION]
    return _clean(section.get(KEY_OPTION)), _clean(section.get(URL_OPTION))


def _line_hint(exc: configparser.Error) -> str:
    line = getattr(exc, "lineno", None)
    if line is None and isinstance(exc, configparser.ParsingError) and exc.errors:
        line = exc.errors[0][0]
    return f" (line {line})" if line is not None else ""


def _clean(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = value.strip().strip('"').strip("'").strip()
    return value or None
