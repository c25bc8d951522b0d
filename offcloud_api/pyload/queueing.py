"""pyLoad's queue as the addon's background work sees it: links to show, restart or fail, and a
finished job's files to queue.

The background loop (:mod:`.background`) and the bulk resolution (:mod:`.bulk`) run in the addon,
outside any plugin, so what a plugin does with ``self.pyfile`` and ``self.packages`` is done here
on pyLoad's objects directly. The files of a job are queued exactly as the torrent decrypter
queues them: its filters, one package per folder, its ``folder_per_package`` choice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Callable, Optional

from ..models import CloudFile, Job
from .background import LinkState
from .filters import FileFilter
from .intake import TORRENT_DECRYPTER
from .packages import add_packages, folder_per_package, select_and_plan
from .storage import FileLinkStore

__all__ = ["PyloadLinks", "queue_job_files"]

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
        FileLinkStore(core.db).remember(job.request_id, wanted.select(files))
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
