"""What every Offcloud plugin class shares with the others: one home for the glue.

The plugin files pyLoad loads (``plugins/``) are thin: their classes take :class:`PluginGlue`
(a downloader) or :class:`DecrypterGlue` (a decrypter) as their FIRST base, before pyLoad's own
base class, and so share:

* the ``_log`` override that masks signed CDN links and removal URLs in pyLoad's log lines (L11,
  L15; pyLoad logs every URL it loads, at debug level);
* the account choice of the decrypters (pyLoad would look for an account named like the class);
* the filter -> plan -> remember sequence that turns a job's files into pyLoad packages;
* the hand-over of a link to the addon's background loop, and the wait for room in a full cloud;
* the notice of a full cloud, the key for redaction, the ``cloud_timeout`` option.

The option rows every plugin with a file selection shows (:data:`DOWNLOADER_FILTER_OPTIONS`,
:data:`DECRYPTER_FILTER_OPTIONS`) live here too. pyLoad parses ``__config__`` with a regex, so each
plugin file keeps its list as a literal; tests/test_plugin_metadata.py checks the literals hold
these rows.

A mixin, not pyLoad's class: methods here reach pyLoad's (``fail``, ``log_info``, ``_log``) through
the plugin class's MRO. :class:`PyloadPlugin` names what they use, for mypy only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Optional

from ..models import CloudFile
from ..redact import log_safe_args
from . import notices
from .accounts import choose_account
from .background import Followed, Follower
from .cloudroom import MAX_FULL_WAIT, room
from .filters import FileFilter
from .packages import add_packages, folder_per_package, select_and_plan
from .storage import FileLinks

__all__ = [
    "DECRYPTER_FILTER_OPTIONS",
    "DOWNLOADER_FILTER_OPTIONS",
    "DecrypterGlue",
    "PackageTuple",
    "PluginGlue",
    "PyloadPlugin",
    "end_thread",
]

#: A package as pyLoad's decrypters hand it over: ``(name, links, folder)``.
PackageTuple = tuple[str, Sequence[str], str]

#: A ``__config__`` row: ``(name, type, description, default)``.
OptionRow = tuple[str, str, str, Any]

#: The file selection rows of the downloader's ``__config__`` (archives and folders it expands).
DOWNLOADER_FILTER_OPTIONS: tuple[OptionRow, ...] = (
    (
        "include",
        "str",
        "Expanded folders and archives: only files matching (comma separated globs, empty for all)",
        "",
    ),
    (
        "exclude",
        "str",
        "Expanded folders and archives: leave out files matching (comma separated globs)",
        "",
    ),
    (
        "min_size",
        "str",
        (
            "Expanded folders and archives: skip files smaller than this"
            " (50 MB, 1.5 GiB; a bare number is MB; empty for none)"
        ),
        "",
    ),
    ("largest_only", "bool", "Expanded folders and archives: only the largest file", False),
    (
        "video_only",
        "bool",
        "Expanded folders and archives: only video files (mkv, mp4, avi and the like)",
        False,
    ),
)

#: The file selection rows of the decrypters' ``__config__`` (a torrent's or a folder's files).
DECRYPTER_FILTER_OPTIONS: tuple[OptionRow, ...] = (
    ("include", "str", "Only files matching (comma separated globs, empty for all)", ""),
    ("exclude", "str", "Leave out files matching (comma separated globs)", ""),
    (
        "min_size",
        "str",
        "Skip files smaller than this (50 MB, 1.5 GiB; a bare number is MB; empty for none)",
        "",
    ),
    ("largest_only", "bool", "Download only the largest file", False),
    ("video_only", "bool", "Download only video files (mkv, mp4, avi and the like)", False),
)


def end_thread() -> NoReturn:
    """End the plugin's thread the way a user's stop does (pyLoad's ``Abort``); the link waits."""
    from pyload.core.network.exceptions import Abort  # noqa: PLC0415 - in pyLoad only

    raise Abort


if TYPE_CHECKING:

    class PyloadPlugin:
        """What the glue uses of pyLoad's plugin classes (for mypy: pyLoad is untyped)."""

        pyfile: Any
        pyload: Any
        account: Any
        config: Any
        db: Any
        req: Any
        classname: str
        packages: list[Any]

        def _(self, text: str) -> str: ...
        def _log(
            self, level: str, plugintype: str, pluginname: str, args: Any, kwargs: Any
        ) -> Any: ...
        def log_debug(self, *args: Any, **kwargs: Any) -> None: ...
        def log_info(self, *args: Any, **kwargs: Any) -> None: ...
        def log_warning(self, *args: Any, **kwargs: Any) -> None: ...
        def fail(self, msg: str = "") -> NoReturn: ...
        def skip(self, msg: str = "") -> NoReturn: ...
        def offline(self, msg: str = "") -> NoReturn: ...
        def retry(
            self, attempts: int = 5, wait: float = 1, msg: str = "", msgfail: str = ""
        ) -> NoReturn: ...
        def remove(self, path: Any, try_trash: bool = True) -> None: ...

else:
    PyloadPlugin = object


class PluginGlue(PyloadPlugin):
    """The first base of every Offcloud plugin class (``class OffcloudCom(PluginGlue, ...)``)."""

    def _log(self, level: str, plugintype: str, pluginname: str, args: Any, kwargs: Any) -> Any:
        # pyLoad logs every URL it loads: a CDN link's path is signed for the account (L11) and
        # a removal URL is a GET that deletes (L15).
        return super()._log(level, plugintype, pluginname, log_safe_args(args), kwargs)

    def _api_key(self) -> Optional[str]:
        """The chosen account's key (to redact it), or None."""
        try:
            key: Optional[str] = self.account.api_key() if self.account else None
        except Exception:  # noqa: BLE001 - no key to redact is no reason to fail the link
            return None
        return key

    def _cloud_timeout(self) -> float:
        """The ``cloud_timeout`` option, in seconds (at least a minute)."""
        return float(max(1, self.config.get("cloud_timeout", 120)) * 60)

    def _plan_files(
        self, name: str, files: Sequence[CloudFile], request_id: Optional[str]
    ) -> list[PackageTuple]:
        """The packages for the files the plugin's options select (``fail`` when none is, or an
        option is bad); the selected files' links are noted for ``request_id``'s job."""
        try:
            wanted = FileFilter.from_config(self.config.get)
            plans = select_and_plan(name, files, wanted)
        except ValueError as exc:  # nothing selected, or a bad min_size
            self.fail(str(exc))
        if request_id:
            # CDN file links name no job (L11): note it for the downloader and the clean-up addon.
            FileLinks(self.pyload.db).remember(request_id, wanted.select(files))
        return [plan.as_tuple() for plan in plans]

    def _add_packages(self, packages: Sequence[PackageTuple], *, per_package: bool) -> None:
        """Queue ``packages`` beside the link's package, keeping nested folders."""
        add_packages(
            self.pyload, packages, source=self.pyfile.package(), per_package=per_package,
            log=self.log_info,
        )  # fmt: skip

    def _cloud_full_notice(self) -> None:
        """One notice per full spell, whichever link meets it first (not one per link)."""
        if room.first_full() and self.account is not None:
            notice = getattr(self.account, "offcloud_notice", None)
            if notice is not None:
                notice(notices.cloud_full(self.account.user or "", secrets=(self._api_key(),)))

    def _hand_over(self, follower: Follower, followed: Followed, message: str) -> NoReturn:
        """Leave the link's job to the addon's background loop: this thread ends, the link
        waits (pyLoad does not delete it) and the loop restarts it when Offcloud is done."""
        follower.adopt(followed)
        self.log_info(message)
        end_thread()

    def _wait_for_room(self, follower: Follower, followed: Followed, message: str) -> NoReturn:
        """The cloud is full and no room could be made: the background loop adds the link once
        there is room (for at most MAX_FULL_WAIT); this thread ends, the link waits."""
        followed.deadline = time.time() + MAX_FULL_WAIT
        follower.wait_for_room(followed)
        self.log_info(message)
        end_thread()


class DecrypterGlue(PluginGlue):
    """The first base of the Offcloud decrypters: the account choice and package creation."""

    def load_account(self) -> None:
        # pyLoad looks for an account named like this class; ours is OffcloudCom. Setting
        # self.account also makes pyLoad mask the key in this plugin's log lines.
        self.account = choose_account(self.pyload.account_manager)

    def _create_packages(self) -> None:
        # pyLoad's own version flattens nested folders such as Release/Sub (see
        # offcloud_api.pyload.packages); this one keeps them.
        self._add_packages(
            self.packages,
            per_package=folder_per_package(
                self.config.get("folder_per_package", "Default"),
                self.pyload.config.get("general", "folder_per_package"),
            ),
        )
