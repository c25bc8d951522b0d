import os
import sys

# The library: the private copy `offcloud pyload install` puts beside the plugins (one version
# stamp with them, and it survives a new Docker image), else the Python's own offcloud_api.
_LIBRARY_COPY = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "offcloud_lib"
)
if os.path.isdir(_LIBRARY_COPY) and _LIBRARY_COPY not in sys.path:
    sys.path.insert(0, _LIBRARY_COPY)

import threading

from ..base.addon import BaseAddon

try:
    from pyload.core.datatypes.enums import Destination

    from offcloud_api.exceptions import NotFoundError, OffcloudError
    from offcloud_api.pyload import intake
    from offcloud_api.pyload.addonkit import (
        SerialWorker,
        account_keys,
        has_account,
        masked,
        select_key,
    )
    from offcloud_api.pyload.cachebook import cachebook
    from offcloud_api.pyload.cleanup import request_id_of
    from offcloud_api.pyload.compat import unsupported_pyload
    from offcloud_api.pyload.support import FileLinkStore, client_for, job_storage_key

    IMPORT_ERROR = None
    # Why the plugins cannot work here, said where the user looks: the library is missing, or
    # this pyLoad is outside the supported range.
    UNUSABLE = unsupported_pyload()
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = f"offcloud_api cannot be imported ({exc}): run offcloud pyload install --userdir <this pyLoad's folder>, which puts the library beside the plugins"


class OffcloudComHook(BaseAddon):
    __name__ = "OffcloudComHook"
    __type__ = "addon"
    __version__ = "0.03"
    __status__ = "testing"

    __config__ = [
        ("enabled", "bool", "Activated", True),
        (
            "torrents",
            "bool",
            "Send magnets and .torrent files to Offcloud even when the TORRENT addon names another plugin",
            True,
        ),
        (
            "cache_check",
            "bool",
            "Ask Offcloud about magnets added together in one call per 1000 before they are decrypted",
            True,
        ),
        (
            "cloud_only",
            "bool",
            "Cloud only: send links and magnets to your Offcloud cloud instead of downloading them",
            False,
        ),
    ]

    __description__ = """Offcloud.com: magnets and .torrent files to Offcloud, one cache check for many magnets, cloud-only mode"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    #: Magnets added together that make a batch check worth it (a lone one the decrypter checks).
    BATCH_MIN = 2

    def init(self):
        self.active = False
        self.worker = None
        self.route_lock = threading.Lock()
        self.routed_first = None
        self.bypass_lock = threading.Lock()
        self.bypass = set()

    # ---------------------------------------------------------------------------------------
    # pyLoad lifecycle and events

    def activate(self):
        if UNUSABLE:
            self.log_error(UNUSABLE)
            return
        self.worker = SerialWorker(self.classname, self._task_failed)
        self.active = True
        self.m.add_event("plugin_updated", self.plugins_updated)
        self._route_torrents()

    def deactivate(self):
        if not self.active:
            return
        self.active = False
        self.m.remove_event("plugin_updated", self.plugins_updated)
        self.worker.stop()
        self._route_torrents()

    def exit(self):
        if self.worker is not None:
            self.worker.stop()

    def plugins_updated(self, updated_plugins):
        # pyLoad rebuilt its plugin index (an update): put our decrypter back in its place.
        if self.active:
            self._route_torrents()

    def config_changed(self, category, option, value, section):
        # Registered with pyLoad for the lifetime of the process, so check we are still on.
        if self.active and section == "plugin" and category in ("TORRENT", self.classname):
            self._route_torrents()

    def links_added(self, urls, pypack):
        if not self.active:
            return
        try:
            self._route_torrents()
            urls_list = urls if isinstance(urls, list) else list(urls)
            with self.bypass_lock:
                passing = [url for url in urls_list if url in self.bypass]
                self.bypass.difference_update(passing)
            cloud_only = self.config.get("cloud_only", False)
            cache_check = self.config.get("cache_check", True)
            if passing or not (cloud_only or cache_check) or not has_account(self.pyload):
                return
            # What pyLoad is about to decide for these links (it calls the same right after us).
            matches = self.pyload.plugin_manager.parse_urls(urls_list)
            if cloud_only:
                self._take_for_cloud(urls, matches, pypack)
            else:
                self._batch_check(matches)
        except Exception as exc:
            # Adding links must never fail because of us.
            self.log_warning(self._("Could not look at the added links"), exc)

    def _log(self, level, plugintype, pluginname, args, kwargs):
        # Addons have no self.account, so pyLoad would not mask the key: we do (addonkit.masked).
        if IMPORT_ERROR is None:
            args = masked(args, account_keys(self.pyload))
        return super()._log(level, plugintype, pluginname, args, kwargs)

    def _task_failed(self, exc):
        self.log_warning(self._("Offcloud task failed"), exc)

    # ---------------------------------------------------------------------------------------
    # magnets and .torrent files to OffcloudComTorrent

    def _route_torrents(self):
        manager = self.pyload.plugin_manager
        first = bool(self.active and self.config.get("torrents", True) and has_account(self.pyload))
        with self.route_lock:
            decrypters = manager.plugins.get("decrypter") or {}
            if intake.TORRENT_DECRYPTER not in decrypters:
                return
            names = list(decrypters)
            order = intake.decrypter_order(names, intake.TORRENT_DECRYPTER, first=first)
            if order != names:
                # A new dict, swapped in whole: a lookup running meanwhile keeps the old one.
                index = {name: decrypters[name] for name in order}
                manager.decrypter_plugins = index
                manager.plugins["decrypter"] = index
            changed, self.routed_first = first != self.routed_first, first
        if changed and first:
            self.log_info(
                self._("Magnets and .torrent files go to {}").format(intake.TORRENT_DECRYPTER)
            )
        elif changed:
            self.log_debug("Magnets and .torrent files follow pyLoad's plugin order")

    # ---------------------------------------------------------------------------------------
    # one cache check for many magnets

    def _batch_check(self, matches):
        queries = {}
        for url, plugin in matches:
            if plugin != intake.TORRENT_DECRYPTER:
                continue
            query = intake.torrent_query(url, self.pyload.tempdir)
            if query is not None:
                queries.setdefault(query.info_hash, query)
        if len(queries) < self.BATCH_MIN:
            return
        # Marked now, before pyLoad starts a decrypter: their lookups wait for this answer.
        fresh = cachebook.expect(queries)
        if fresh:
            asked = [queries[info_hash] for info_hash in fresh]
            if not self.worker.submit(lambda: self._check_cache(asked)):
                cachebook.release(fresh)

    def _check_cache(self, asked):
        hashes = [query.info_hash for query in asked]
        try:
            key = select_key(self.pyload)
            if key is None:
                self.log_debug("No usable Offcloud account for the cache check")
                return
            with client_for(self, key, self._exiting) as api:
                results = api.cache_info([query.query for query in asked])
            cachebook.remember(results)
            cached = sum(1 for result in results if result.cached)
            self.log_info(
                self._("Offcloud has {cached} of {total} added torrents cached").format(
                    cached=cached, total=len(results)
                )
            )
        except OffcloudError as exc:
            self.log_warning(self._("Offcloud cache check failed"), exc.message)
        finally:
            cachebook.release(hashes)

    # ---------------------------------------------------------------------------------------
    # cloud only

    def _take_for_cloud(self, urls, matches, pid):
        if not isinstance(urls, list):
            self.log_warning(self._("Cloud only: pyLoad passed links that cannot be taken"))
            return
        names = intake.offcloud_plugin_names(self.pyload.plugin_manager.downloader_plugins)
        plan = intake.plan_cloud_only(matches, names)
        if not plan.taken:
            return
        urls[:] = plan.keep  # pyLoad adds only what is left in the list
        if not self.worker.submit(lambda: self._send_to_cloud(plan, pid)):
            self._give_back(plan.taken, pid)

    def _send_to_cloud(self, plan, pid):
        for url in plan.in_cloud:
            self.log_info(
                self._("Cloud only: already in your Offcloud cloud as job {}").format(
                    request_id_of(url, FileLinkStore(self.pyload.db).job_of) or "?"
                )
            )
        done = set()
        try:
            key = select_key(self.pyload) if plan.send else None
            if plan.send and key is None:
                self.log_warning(self._("Cloud only: no usable Offcloud account"))
            elif plan.send:
                with client_for(self, key, self._exiting) as api:
                    done.update(url for url in plan.send if self._send_one(api, url))
        except Exception as exc:
            self.log_warning(self._("Cloud only: sending to Offcloud stopped"), exc)
        finally:
            # Whatever did not reach the cloud is not lost: it waits in the link collector.
            failed = [url for url in plan.send if url not in done]
            if failed:
                self._give_back(failed, pid)
            self._drop_if_empty(pid)

    def _send_one(self, api, url):
        submission = intake.submission_for(url, self.pyload.tempdir)
        if submission is None:
            self.log_warning(self._("Cloud only: not a readable .torrent in pyLoad's temp folder"))
            return False
        key = job_storage_key(submission)
        try:
            job = self._known_job(api, key)
            if job is not None:
                self.log_info(
                    self._(
                        "Cloud only: {name} is already in your Offcloud cloud as job {id} ({status})"
                    ).format(name=job.file_name or "?", id=job.request_id, status=job.status.value)
                )
                return True
            job = api.cloud(submission)
        except OffcloudError as exc:
            self.log_warning(self._("Cloud only: Offcloud did not take a link"), exc.message)
            return False
        self.db.store(key, {"request_id": job.request_id})
        self._forget_torrent_file(url)
        self.log_info(
            self._("Cloud only: {name} sent to your Offcloud cloud as job {id} ({status})").format(
                name=job.file_name or "?", id=job.request_id, status=job.status.value
            )
        )
        return True

    def _forget_torrent_file(self, url):
        # pyLoad's TORRENT container left its copy of an uploaded .torrent in the temp folder.
        path = intake.local_torrent_path(url, self.pyload.tempdir)
        if path is not None:
            try:
                os.remove(path)
            except OSError:
                pass

    def _known_job(self, api, key):
        stored = self.db.retrieve(key)
        if not stored or not stored.get("request_id"):
            return None
        try:
            job = api.cloud_status(stored["request_id"])
        except NotFoundError:
            self.db.delete(key)
            return None
        return None if job.status.is_failed else job

    def _give_back(self, urls, pid):
        """Links cloud-only mode could not send: into the link collector, not downloaded."""
        try:
            name = f"{self.pyload.api.get_package_info(pid).name} (not sent)"
        except Exception:  # the package is gone
            name = "Offcloud cloud only (not sent)"
        with self.bypass_lock:
            self.bypass.update(urls)
        self.pyload.api.add_package(name, list(urls), Destination.COLLECTOR)
        self.log_warning(
            self._("Cloud only: {} links not sent, left in the link collector").format(len(urls))
        )

    def _drop_if_empty(self, pid):
        files = self.pyload.files
        # The add that handed us these links holds this lock until its other links are stored.
        with files.lock:
            data = files.get_package_data(pid)
            if data is not None and not data.get("links"):
                self.pyload.api.delete_packages([pid])

    def _exiting(self):
        return bool(getattr(self.pyload, "exiting", False))
