"""pyLoad's queue as the addon's background work sees it: links to show, restart or fail, and a
finished job's files to queue.

The background loop (:mod:`.background`) and the bulk resolution (:mod:`.bulk`) run in the addon,
outside any plugin, so what a plugin does with ``self.pyfile`` and ``self.packages`` is done here
on pyLoad's objects directly. The files of a job are queued exactly as the torrent decrypter
queues them: its filters, one package per folder, its ``folder_per_package`` choice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Callable, Optional

from ..models import CloudFile, Job
from .addonkit import Addon
from .background import LinkState
from .filters import FileFilter
from .packages import add_packages, folder_per_package, select_and_plan
from .storage import TORRENT_DECRYPTER, FileLinks, PluginStore

__all__ = ["Handback", "LinkTaker", "PyloadLinks", "queue_job_files"]

log = logging.getLogger(__name__)


class PyloadLinks:
    """:class:`~offcloud_api.pyload.background.Links` on a running pyLoad (``core``)."""

    def __init__(self, core: Any) -> None:
        self.core = core

    def _file(self, link_id: int) -> Any:
        try:
            return self.core.files.get_file(link_id)
        except Exception:
            log.debug("link %s cannot be loaded", link_id, exc_info=True)
            return None

    def state(self, link_id: int) -> Optional[LinkState]:
        pyfile = self._file(link_id)
        if pyfile is None:
            return None
        busy = link_id in self.core.thread_manager.processing_ids()
        return LinkState(status=int(pyfile.status), busy=busy)

    def show(self, link_id: int, text: str, percent: Optional[int]) -> None:
        pyfile = self._file(link_id)
        if pyfile is None:
            return
        pyfile.error = ""
        pyfile.set_custom_status(text)  # "processing" (13): no pyLoad thread takes it
        if percent is not None:
            pyfile.set_progress(max(0, min(100, percent)))

    def restart(self, link_id: int) -> None:
        self.core.api.restart_file(link_id)

    def fail(self, link_id: int, message: str) -> None:
        pyfile = self._file(link_id)
        if pyfile is None:
            return
        pyfile.error = message
        pyfile.set_status("failed")
        pyfile.release()


class Handback:
    """Links the addon took out of pyLoad's add and gives back, let through when they come back.

    The addon's ``links_added`` takes links (cloud-only mode, a bulk of magnets) out of the list
    pyLoad is adding; those it cannot handle go back to pyLoad through its API, which calls
    ``links_added`` again: :meth:`passing` tells the addon to leave them alone then.
    """

    def __init__(self, core: Any) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._bypass: set[str] = set()

    def passing(self, urls: Iterable[str]) -> list[str]:
        """The links of ``urls`` given back before (each passes once)."""
        with self._lock:
            passing = [url for url in urls if url in self._bypass]
            self._bypass.difference_update(passing)
        return passing

    def _let_pass(self, urls: Iterable[str]) -> None:
        with self._lock:
            self._bypass.update(urls)

    def to_package(self, pid: int, urls: Sequence[str]) -> None:
        """Back into package ``pid``; into a new package when it is gone."""
        self._let_pass(urls)
        if self.core.files.get_package(pid) is not None:
            self.core.api.add_files(pid, list(urls))
        else:
            self.core.api.add_package("Offcloud torrents", list(urls))

    def to_collector(self, pid: int, urls: Sequence[str]) -> None:
        """Into the link collector, in a package named after ``pid``'s (not downloaded)."""
        from pyload.core.datatypes.enums import Destination  # noqa: PLC0415 - in pyLoad only

        try:
            name = f"{self.core.api.get_package_info(pid).name} (not sent)"
        except Exception:  # noqa: BLE001 - the package is gone
            name = "Offcloud cloud only (not sent)"
        self._let_pass(urls)
        self.core.api.add_package(name, list(urls), Destination.COLLECTOR)

    def drop_if_empty(self, pid: int) -> None:
        """Delete package ``pid`` when the addon took every link of it."""
        files = self.core.files
        # The add that handed us these links holds this lock until its other links are stored.
        with files.lock:
            data = files.get_package_data(pid)
            if data is not None and not data.get("links"):
                self.core.api.delete_packages([pid])


class LinkTaker:
    """What takes links out of pyLoad's add for the addon (:mod:`.bulk`, :mod:`.cloud_only`): the
    addon (its pyLoad and its log), the addon's own storage, and the way back into pyLoad."""

    def __init__(self, addon: Addon, store: PluginStore, handback: Handback) -> None:
        self.addon = addon
        self.core = addon.pyload
        self.store = store
        self.handback = handback


def queue_job_files(
    core: Any,
    job: Optional[Job],
    files: Sequence[CloudFile],
    *,
    name: str,
    source: Any,
    log: Callable[[str], None],
) -> list[int]:
    """Queue the files of a finished job as the torrent decrypter would; the package ids.

    ``job`` is ``None`` for files from ``cache/download`` (docs/api.md L19): no job, no note.

    ``source`` is the package the job came from (its queue, password and folder), or an object
    with those three attributes. Raises ``ValueError`` when the filters keep no file (its
    message says which filters).
    """

    def option(option_name: str, default: Any = None) -> Any:
        try:
            return core.config.get_plugin(TORRENT_DECRYPTER, option_name)
        except Exception:  # noqa: BLE001 - an option pyLoad does not know: its default
            return default

    wanted = FileFilter.from_config(option)
    plans = select_and_plan(name, files, wanted)
    # CDN file links name no job (L11): noted for the downloader and the clean-up addon.
    if job is not None:
        FileLinks(core.db).remember(job.request_id, wanted.select(files))
    return add_packages(
        core,
        [plan.as_tuple() for plan in plans],
        source=source,
        per_package=folder_per_package(
            option("folder_per_package", "Default"),
            core.config.get("general", "folder_per_package"),
        ),
        log=log,
    )
