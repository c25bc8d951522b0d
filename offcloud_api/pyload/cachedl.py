"""A cached magnet's files in one call, with no cloud job: ``cache/download`` (docs/api.md L19).

Where Offcloud answers ``POST /api/cache/download`` for a cached magnet, its files come as CDN
links at once: no job is made, so nothing fills the cloud (L23) and nothing is left to clean up.
One source saw the route, so the plugins ask it only for a magnet known to be cached (Offcloud's
cache answer said so) and fall back to add + explore where it is not a route: an HTML 404
(:class:`~offcloud_api.exceptions.RouteNotFoundError`). That absence is remembered for the pyLoad
run (:class:`CacheDownloadRoute`, per API address), on top of the client's own memory
(:meth:`~offcloud_api.client.OffcloudAPI.cache_download_available`), because the plugins make a
new client for every link: after the first 404 no magnet asks again.

The files become ordinary :class:`~offcloud_api.models.CloudFile` entries, so they are filtered
and queued exactly as explore's (:func:`~offcloud_api.pyload.packages.select_and_plan`).
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

from ..client import OffcloudAPI
from ..exceptions import RateLimitError, RouteNotFoundError, TemporaryError
from ..models import CachedDownload, CloudFile

__all__ = ["CacheDownloadRoute", "as_cloud_file", "cache_route"]

log = logging.getLogger(__name__)


def as_cloud_file(item: CachedDownload) -> CloudFile:
    """A ``cache/download`` file as explore would list it (its path keeps its folders)."""
    path = "/".join(part for part in item.filename.replace("\\", "/").split("/") if part)
    name = path.rpartition("/")[2] or item.filename
    return CloudFile(name=name, url=item.url, path=path or name, size=item.size)


class CacheDownloadRoute:
    """Whether ``cache/download`` answers on the Offcloud this pyLoad talks to, learned once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._absent: set[str] = set()
        # Until the route has answered once, one call at a time: magnets resolved in parallel
        # then meet an absent route once, not once each.
        self._probe = threading.Lock()
        self._answers = False
        #: Calls made and magnets answered (for the curious, and the tests).
        self.calls = 0
        self.answered = 0

    def available(self, api: OffcloudAPI) -> bool:
        with self._lock:
            if api.base_url in self._absent:
                return False
        return api.cache_download_available()

    def files(self, api: OffcloudAPI, magnet: str) -> Optional[list[CloudFile]]:
        """The files of a cached magnet, or ``None``: add it and explore its job instead.

        ``None`` where the route is absent (remembered), where the answer lists no file (not
        cached after all) and after temporary trouble (5xx, a broken answer: not remembered).
        A 429 and any other error are raised: the caller treats them as it would the add's.
        """
        if not self.available(api):
            return None
        if self._answers:
            return self._ask(api, magnet)
        with self._probe:
            if not self.available(api):
                return None  # the probe before this one found it absent
            return self._ask(api, magnet)

    def _ask(self, api: OffcloudAPI, magnet: str) -> Optional[list[CloudFile]]:
        with self._lock:
            self.calls += 1
        try:
            ready = api.cache_download(magnet)
        except RouteNotFoundError:
            with self._lock:
                self._absent.add(api.base_url)
            log.info("Offcloud has no cache/download route here; cached magnets are added as jobs")
            return None
        except RateLimitError:
            raise  # the caller slows down, and asks again
        except TemporaryError as exc:  # a bad moment of a route one source saw: add instead
            log.debug("cache/download failed (%s); adding the magnet instead", exc.message)
            return None
        self._answers = True
        if not ready:
            return None
        with self._lock:
            self.answered += 1
        return [as_cloud_file(item) for item in ready]

    def forget(self) -> None:
        """Ask again (a new Offcloud address, or a test)."""
        with self._lock:
            self._absent.clear()
            self._answers = False


#: The one of a pyLoad process (plugins and addons import the same module).
cache_route = CacheDownloadRoute()
