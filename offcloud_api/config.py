"""Where the ``offcloud`` command line finds its credential and the API URL, and keeps a token.

The credential sent to Offcloud (as ``Authorization: Bearer``) is, first found wins:

1. ``OFFCLOUD_API_KEY``, an API key in the environment;
2. ``access_token`` in the config file: the token ``offcloud login`` stored there;
3. ``api_key`` in the config file: a key copied from Offcloud's account page.

The config file is ``$OFFCLOUD_CONFIG`` if set, else ``$XDG_CONFIG_HOME/offcloud/config.ini``
(``~/.config/offcloud/config.ini`` by default), an INI file::

    [offcloud]
    access_token = ...   ; written by 'offcloud login', removed by 'offcloud logout'
    api_key = ...        ; or a key from https://offcloud.com/#/account
    api_url = https://offcloud.com/api   ; optional

A credential is never taken from a command-line argument: arguments end up in shell history and
in the process list, where other users can read them. Nor is it taken from a config file other
users can read (on POSIX: the file grants read to its group or to everyone, and every folder on
its path lets them through): such a file's ``api_key`` and ``access_token`` are ignored, and
:meth:`Settings.require_key` says why and how to fix it (``chmod 600``). :func:`write_token` writes
the file anew with mode 0600, keeping every other line of it.
"""

from __future__ import annotations

import configparser
import contextlib
import enum
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

__all__ = [
    "ENV_API_KEY",
    "ENV_API_URL",
    "ENV_CONFIG",
    "KEY_OPTION",
    "KEY_PAGE",
    "LOGIN_COMMAND",
    "TOKEN_OPTION",
    "ConfigError",
    "Credential",
    "Settings",
    "config_path",
    "exposure",
    "load_settings",
    "remove_token",
    "write_token",
]

ENV_API_KEY = "OFFCLOUD_API_KEY"
ENV_API_URL = "OFFCLOUD_API_URL"
ENV_CONFIG = "OFFCLOUD_CONFIG"
SECTION = "offcloud"
KEY_OPTION = "api_key"
TOKEN_OPTION = "access_token"  # noqa: S105 - the option's name, not a secret
URL_OPTION = "api_url"
#: Where users copy their key from.
KEY_PAGE = "https://offcloud.com/#/account"
#: The command that stores a token without copying a key.
LOGIN_COMMAND = "offcloud login"
#: What a stored credential may look like: printable, no spaces or quotes around it.
_STORABLE = re.compile(r"^[\x21-\x7e]{1,4096}$")
_SECTION_HEADER = re.compile(r"\[(?P<header>.+)\]")
_OPTION_LINE = re.compile(r"(?P<name>[^=:]*?)\s*[=:]")


class ConfigError(Exception):
    """The configuration file cannot be read or written, or no credential is configured."""


class Credential(enum.Enum):
    """Where the credential in use came from."""

    ENVIRONMENT = "environment"
    FILE_TOKEN = "file-token"  # noqa: S105 - a name, not a secret
    FILE_KEY = "file-key"

    def describe(self, path: Path) -> str:
        """``API key from OFFCLOUD_API_KEY``, ``login token in <file>``, ``API key in <file>``."""
        if self is Credential.ENVIRONMENT:
            return f"API key from {ENV_API_KEY}"
        if self is Credential.FILE_TOKEN:
            return f"login token in {path} (from '{LOGIN_COMMAND}')"
        return f"API key in {path}"


@dataclass(frozen=True)
class Settings:
    """What the environment and the config file say. ``path`` is the file consulted.

    ``api_key`` is the credential to send (a key or a login token), ``source`` where it came from.
    ``stored`` lists the credentials the file holds, used or not; ``exposed`` says why the file's
    credentials were ignored (other users can read it), else it is None. ``repr`` never shows the
    credential.
    """

    api_key: Optional[str] = field(repr=False)
    api_url: Optional[str]
    path: Path
    source: Optional[Credential] = None
    stored: frozenset[Credential] = frozenset()
    exposed: Optional[str] = None

    def __repr__(self) -> str:
        shown = "'***'" if self.api_key else "None"
        source = self.source.value if self.source is not None else None
        return (
            f"Settings(api_key={shown}, source={source!r}, api_url={self.api_url!r}, "
            f"path={str(self.path)!r})"
        )

    def require_key(self) -> str:
        """The credential, or a :class:`ConfigError` telling the user how to get one."""
        if self.api_key:
            return self.api_key
        if self.exposed and self.stored:
            raise ConfigError(f"no API key: {self.exposed}")
        raise ConfigError(
            f"no API key: set {ENV_API_KEY}, or log in with '{LOGIN_COMMAND}', or add "
            f"'{KEY_OPTION} = <your key>' under [{SECTION}] in {self.path} "
            f"(copy the key from {KEY_PAGE})"
        )

    def describe(self) -> str:
        """Which credential is in use, never its value."""
        if self.source is None:
            return "none"
        return self.source.describe(self.path)


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
    """Read the credential and the API URL; the environment wins over the file."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    values = _read_file(path)
    stored = frozenset(
        which
        for which, option in (
            (Credential.FILE_TOKEN, TOKEN_OPTION),
            (Credential.FILE_KEY, KEY_OPTION),
        )
        if values.get(option)
    )
    exposed = exposure(path) if stored else None
    candidates: list[tuple[Credential, Optional[str]]] = [
        (Credential.ENVIRONMENT, _clean(env.get(ENV_API_KEY)))
    ]
    if exposed is None:
        candidates += [
            (Credential.FILE_TOKEN, values.get(TOKEN_OPTION)),
            (Credential.FILE_KEY, values.get(KEY_OPTION)),
        ]
    source, credential = next(((s, v) for s, v in candidates if v), (None, None))
    return Settings(
        api_key=credential,
        api_url=_clean(env.get(ENV_API_URL)) or values.get(URL_OPTION),
        path=path,
        source=source,
        stored=stored,
        exposed=exposed,
    )


# --------------------------------------------------------------------------------------------
# who can read the file


def exposure(path: Path) -> Optional[str]:
    """Why users other than its owner can read ``path``; None if they cannot (or not POSIX).

    They can when the file grants read to everyone, or to a group that is not the owner's own
    (a group named after the owner with no other members), and every folder on its resolved path
    lets them through (search permission for everyone, or for such a group). A folder such as a
    home of mode 0700 keeps a file of mode 0644 private; a file of mode 0600 always is.
    """
    if os.name != "posix":
        return None
    try:
        target = path.resolve()
        info = target.stat()
    except OSError:
        return None
    readers = _shared(info, stat.S_IRGRP, stat.S_IROTH)
    if not readers:
        return None
    try:
        folders = [folder.stat() for folder in target.parents]
    except OSError:
        return None
    if not all(_shared(folder, stat.S_IXGRP, stat.S_IXOTH) for folder in folders):
        return None  # a folder on the way keeps them out
    mode = stat.S_IMODE(info.st_mode)
    return (
        f"other users can read {path} (mode {mode:04o}), so the key and token in it are not "
        f"used; make it yours alone with 'chmod 600 {path}'"
    )


def _shared(info: os.stat_result, group_bit: int, other_bit: int) -> bool:
    """Whether ``info``'s mode grants ``other_bit`` to all, or ``group_bit`` to a shared group."""
    if info.st_mode & other_bit:
        return True
    return bool(info.st_mode & group_bit) and not _private_group(info.st_gid, info.st_uid)


def _private_group(gid: int, uid: int) -> bool:
    """A user-private group: the owner's primary group, named after the owner, no other member."""
    try:
        import grp  # noqa: PLC0415 - POSIX only
        import pwd  # noqa: PLC0415 - POSIX only

        owner = pwd.getpwuid(uid)
        group = grp.getgrgid(gid)
    except (ImportError, KeyError):
        return False
    others = [member for member in group.gr_mem if member != owner.pw_name]
    return owner.pw_gid == gid and group.gr_name == owner.pw_name and not others


# --------------------------------------------------------------------------------------------
# reading


def _read_file(path: Path) -> dict[str, str]:
    """The [offcloud] options of the file that have a value; empty if there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    parser = _parse(text, path)
    if not parser.has_section(SECTION):
        return {}
    section = parser[SECTION]
    found = {name: _clean(section.get(name)) for name in (KEY_OPTION, TOKEN_OPTION, URL_OPTION)}
    return {name: value for name, value in found.items() if value}


def _parse(text: str, path: Path) -> configparser.ConfigParser:
    # No interpolation: a key may contain "%".
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        # configparser's own messages quote the offending line, which may hold the key.
        raise ConfigError(f"{path} is not a valid INI file{_line_hint(exc)}") from None
    return parser


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


# --------------------------------------------------------------------------------------------
# writing the token


def write_token(path: Path, token: str) -> Path:
    """Store ``token`` as ``access_token`` under ``[offcloud]`` in ``path``; the file written.

    Every other line stays as it was (comments, the key, the URL). The file is written anew,
    atomically and with mode 0600, its folder made with mode 0700 if missing; a symlink is
    followed to its target. Raises :class:`ConfigError` if the file cannot be read or written,
    or is not valid INI (it is then left alone).
    """
    if not _STORABLE.match(token) or token[0] in "\"'" or token[-1] in "\"'":
        raise ConfigError("the token cannot be stored in an INI file (unexpected characters)")

    def check(parser: configparser.ConfigParser) -> bool:
        return parser.has_section(SECTION) and _clean(parser[SECTION].get(TOKEN_OPTION)) == token

    return _rewrite(path, lambda text: _set_option(text, TOKEN_OPTION, token), check)


def remove_token(path: Path) -> bool:
    """Remove ``access_token`` from ``path``; whether there was one. Nothing else changes."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {_reason(exc)}") from None
    if _set_option(text, TOKEN_OPTION, None) == text:
        return False

    def check(parser: configparser.ConfigParser) -> bool:
        return not (parser.has_section(SECTION) and parser[SECTION].get(TOKEN_OPTION))

    _rewrite(path, lambda old: _set_option(old, TOKEN_OPTION, None), check)
    return True


def _rewrite(
    path: Path,
    edit: Callable[[str], str],
    check: Callable[[configparser.ConfigParser], bool],
) -> Path:
    target = path.resolve() if path.is_symlink() else path
    folder = target.parent
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {_reason(exc)}") from None
    _parse(text, path)  # a file that does not parse is the user's to fix: never rewritten
    new = edit(text)
    if not check(_parse(new, path)):
        raise ConfigError(f"cannot edit {path} safely; edit its [{SECTION}] section by hand")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {_reason(exc)}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:  # mkstemp made it 0600
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise ConfigError(f"cannot write {path}: {_reason(exc)}") from None
    return target


def _set_option(text: str, option: str, value: Optional[str]) -> str:
    """``text`` with ``option`` of [offcloud] set to ``value``, or removed when it is None.

    Works on lines, as configparser reads them, so comments and the other options stay: an
    option's continuation lines (indented deeper) go with it; a new option goes after the
    section's last line, and a missing section is added at the end.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    current: Optional[str] = None
    insert_at: Optional[int] = None  # after the last non-blank line of [offcloud]
    written = False
    skip_deeper_than: Optional[int] = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_deeper_than is not None and stripped and indent > skip_deeper_than:
            continue  # a continuation line of the option being replaced
        skip_deeper_than = None
        header = _SECTION_HEADER.match(stripped)
        if header and not stripped.startswith(("#", ";")):
            current = header.group("header")
            out.append(line)
            if current == SECTION:
                insert_at = len(out)
            continue
        if current == SECTION and _option_name(stripped) == option:
            skip_deeper_than = indent
            if value is not None and not written:
                out.append(f"{option} = {value}\n")
                written = True
                insert_at = len(out)
            continue
        out.append(line)
        if current == SECTION and stripped:
            insert_at = len(out)
    if value is not None and not written:
        if insert_at is None:
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
            out.extend(["\n"] if out else [])
            out.extend([f"[{SECTION}]\n", f"{option} = {value}\n"])
        else:
            if not out[insert_at - 1].endswith("\n"):
                out[insert_at - 1] += "\n"
            out.insert(insert_at, f"{option} = {value}\n")
    return "".join(out)


def _option_name(stripped: str) -> Optional[str]:
    """The option a stripped line sets (lower case, as configparser stores it), if it sets one."""
    if not stripped or stripped.startswith(("#", ";", "[")):
        return None
    match = _OPTION_LINE.match(stripped)
    return match.group("name").strip().lower() if match else None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__
