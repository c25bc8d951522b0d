import os
import threading
import time
from types import SimpleNamespace

from ..base.addon import BaseAddon
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from pyload.core.datatypes.enums import Destination

    from offcloud_api.exceptions import NotFoundError, OffcloudError
    from offcloud_api.pyload import background, bulk, intake, resume
    from offcloud_api.pyload.addonkit import (
        SerialWorker,
        account_keys,
        has_account,
        masked,
        select_key,
    )
    from offcloud_api.pyload.cachebook import cachebook
    from offcloud_api.pyload.cachedl import cache_route
    from offcloud_api.pyload.cleanup import request_id_of
    from offcloud_api.pyload.cloudroom import PyloadRoomView
    from offcloud_api.pyload.history_import import Importer
    from offcloud_api.pyload.notices import cloud_full
    from offcloud_api.pyload.queueing import PyloadLinks, queue_job_files
    from offcloud_api.pyload.storage import FileLinkStore, job_storage_key
    from offcloud_api.pyload.torrents import submitting
    from offcloud_api.pyload.transport import client_for

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)


class OffcloudComHook(BaseAddon):
    __name__ = "OffcloudComHook"
    __type__ = "addon"
    __version__ = "0.06"
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
            "bulk",
            "bool",
            "Magnets added together: queue the files of cached ones at once, without a decrypter each",
            True,
        ),
        (
            "follow",
            "bool",
            "Follow unfinished Offcloud jobs in the background instead of holding a pyLoad thread",
            True,
        ),
        ("follow_interval", "int", "Seconds between background checks of Offcloud jobs", 30),
        (
            "follow_after",
            "int",
            "Hoster links: seconds a cloud job is waited for in the download slot before the background takes it",
            300,
        ),
        (
            "max_running_jobs",
            "int",
            "Most torrent jobs running at Offcloud at once (0 for no limit)",
            0,
        ),
        (
            "import_finished",
            "bool",
            "Import: queue jobs finished on offcloud.com or by other apps that pyLoad did not add",
            False,
        ),
        (
            "resume",
            "bool",
            "After a pyLoad restart or crash, restart the Offcloud links it left aborted (not those you stopped)",
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
        self.follower = None
        self.bulk_worker = None
        self.keeper = None

    # ---------------------------------------------------------------------------------------
    # pyLoad lifecycle and events

    def activate(self):
        if UNUSABLE:
            self.log_error(UNUSABLE)
            return
        self.worker = SerialWorker(self.classname, self._task_failed)
        self.bulk_worker = SerialWorker(self.classname + "Bulk", self._task_failed)
        self.active = True
        self.m.add_event("plugin_updated", self.plugins_updated)
        self._route_torrents()
        self._start_follower()
        self._start_keeper()  # after the follower: the links it resumes are not restarted
        self.bulk_worker.submit(self._resume_batches)

    def deactivate(self):
        if not self.active:
            return
        self.active = False
        self.m.remove_event("plugin_updated", self.plugins_updated)
        self.worker.stop()
        self.bulk_worker.stop()
        # Switched off by the user: the followed links go back to their plugins, which wait
        # in their own threads. At pyLoad's exit (deactivate runs then too) they stay followed.
        self._stop_follower(hand_back=not self._exiting())
        self._stop_keeper(forget=not self._exiting())
        self._route_torrents()

    def exit(self):
        if self.worker is not None:
            self.worker.stop()
        if self.bulk_worker is not None:
            self.bulk_worker.stop()
        self._stop_follower()
        self._stop_keeper()  # the notes stay: the next start restarts those links

    def plugins_updated(self, updated_plugins):
        # pyLoad rebuilt its plugin index (an update): put our decrypter back in its place.
        if self.active:
            self._route_torrents()

    def config_changed(self, category, option, value, section):
        # Registered with pyLoad for the lifetime of the process, so check we are still on.
        if self.active and section == "plugin" and category in ("TORRENT", self.classname):
            self._route_torrents()
        if self.active and section == "plugin" and category == self.classname:
            if option == "follow":
                self._stop_follower(hand_back=True)
                self._start_follower()
            elif option == "resume":
                self._stop_keeper(forget=True)
                self._start_keeper()
            elif self.follower is not None:
                self._apply_settings(self.follower)
                self.follower.wake()

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
            take_bulk = self.config.get("bulk", True)
            if passing or not (cloud_only or cache_check or take_bulk):
                return
            if not has_account(self.pyload):
                return
            # What pyLoad is about to decide for these links (it calls the same right after us).
            matches = self.pyload.plugin_manager.parse_urls(urls_list)
            if cloud_only:
                self._take_for_cloud(urls, matches, pypack)
            elif not (take_bulk and self._take_bulk(urls, matches, pypack)) and cache_check:
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
    # many magnets at once: resolved here (offcloud_api.pyload.bulk)

    def _take_bulk(self, urls, matches, pid):
        """Take the torrents of a big add out of pyLoad's hands; False leaves them to it."""
        if not isinstance(urls, list) or not self._in_queue(pid):
            return False
        queries = [
            query
            for query in (
                intake.torrent_query(url, self.pyload.tempdir)
                for url, plugin in matches
                if plugin == intake.TORRENT_DECRYPTER
            )
            if query is not None
        ]
        if len({query.info_hash for query in queries}) < self.BATCH_MIN:
            return False
        taken = {query.url for query in queries}
        batch_id = f"{pid}-{time.time():.6f}"
        # Noted before the links leave pyLoad's add: after a crash they are given back.
        self.db.store("bulk:" + batch_id, {"pid": pid, "urls": sorted(taken)})
        urls[:] = [url for url in urls if url not in taken]
        if not self.bulk_worker.submit(lambda: self._resolve_bulk(batch_id, pid, queries)):
            self._give_back_batch(batch_id, pid, [query.url for query in queries])
        return True

    def _in_queue(self, pid):
        try:
            return bool(self.pyload.files.get_package(pid).queue)
        except Exception:  # no such package: leave the links to pyLoad
            return False

    def _resolve_bulk(self, batch_id, pid, queries):
        started = time.monotonic()
        left = [query.url for query in queries]
        try:
            key = select_key(self.pyload)
            if key is None:
                self.log_warning(self._("Bulk: no usable Offcloud account; the links go to pyLoad"))
                return
            store = background.PluginStore(self.pyload.db, intake.TORRENT_DECRYPTER)
            result = bulk.resolve_batch(
                queries,
                client=lambda: client_for(self, key, self._exiting),
                store=store,
                queue_files=lambda query, job, files: self._queue_bulk(
                    batch_id, pid, query, job, files
                ),
                submitting=submitting,
                should_stop=self._exiting,
                on_error=lambda query, exc: self.log_warning(
                    self._("Bulk: {} failed here, it goes to the decrypter").format(
                        query.name or query.info_hash
                    ),
                    repr(exc),
                ),
                # Cached magnets: files from cache/download where it answers, no job (L19);
                # an add into a full cloud makes room first, else the decrypter waits (L23).
                direct=cache_route,
                room_view=PyloadRoomView(self.pyload),
            )
            left = [query.url for query in result.left]
            self.log_info(
                self._(
                    "Bulk: {done} of {total} torrents queued from Offcloud's cache in {secs:.1f} s; {left} go to the decrypter, {repeats} links repeated a torrent of the batch"
                ).format(
                    done=len(result.resolved),
                    total=len(queries),
                    secs=time.monotonic() - started,
                    left=len(result.left),
                    repeats=len(result.repeats),
                )
            )
        except OffcloudError as exc:
            self.log_warning(
                self._("Bulk: Offcloud's cache check failed; the links go to pyLoad"), exc.message
            )
        finally:
            self._give_back_batch(batch_id, pid, left)

    def _queue_bulk(self, batch_id, pid, query, job, files):
        source = self.pyload.files.get_package(pid)
        if source is None:
            return False
        try:
            queue_job_files(
                self.pyload,
                job,
                files,
                name=query.name or (job.file_name if job is not None else None) or query.info_hash,
                source=source,
                log=self.log_debug,
            )
        except ValueError:  # the filters kept nothing: the decrypter says so on the link
            return False
        self.db.store(f"bulkdone:{batch_id}:{query.info_hash}", True)
        return True

    def _give_back_batch(self, batch_id, pid, urls):
        """Links the addon did not resolve go back to pyLoad, for the decrypter; the batch's notes
        go."""
        if urls:
            with self.bypass_lock:
                self.bypass.update(urls)
            if self.pyload.files.get_package(pid) is not None:
                self.pyload.api.add_files(pid, list(urls))
            else:
                self.pyload.api.add_package("Offcloud torrents", list(urls))
        for key in [k for k, _ in self._stored(f"bulkdone:{batch_id}:")]:
            self.db.delete(key)
        self.db.delete("bulk:" + batch_id)
        if self.pyload.files.get_package(pid) is not None:
            self._drop_if_empty(pid)

    def _resume_batches(self):
        """Batches a pyLoad restart interrupted: what was not queued goes back to pyLoad."""
        for key, value in self._stored("bulk:"):
            if not isinstance(value, dict):
                self.db.delete(key)
                continue
            batch_id = key[len("bulk:") :]
            done = {k.rpartition(":")[2] for k, _ in self._stored(f"bulkdone:{batch_id}:")}
            tempdir = self.pyload.tempdir
            urls = []
            for url in value.get("urls") or []:
                query = intake.torrent_query(url, tempdir)
                if query is None or query.info_hash not in done:
                    urls.append(url)
            self.log_info(
                self._("Bulk: {} links of an interrupted batch go back to pyLoad").format(len(urls))
            )
            self._give_back_batch(batch_id, int(value.get("pid") or 0), urls)

    def _stored(self, prefix):
        return list(background.PluginStore(self.pyload.db, self.classname).items(prefix))

    # ---------------------------------------------------------------------------------------
    # jobs followed in the background (offcloud_api.pyload.background), and the import

    def _start_follower(self):
        if not self.config.get("follow", True) or self.follower is not None:
            return
        importer = Importer(
            background.PluginStore(self.pyload.db, self.classname),
            known=self._known_request_ids,
            queue_job=self._import_job,
            notice=self.log_info,
        )
        follower = background.Follower(
            PyloadLinks(self.pyload),
            background.PluginStore(self.pyload.db, self.classname),
            self._follow_client,
            plugin_store=lambda plugin: background.PluginStore(self.pyload.db, plugin),
            on_history=lambda jobs: self._on_history(importer, jobs),
            notice=self.log_info,
            room_view=PyloadRoomView(self.pyload),
            on_full=self._cloud_full_notice,
        )
        self._apply_settings(follower)
        self.follower = follower
        follower.start()
        background.attach(follower)

    def _stop_follower(self, hand_back=False):
        follower, self.follower = self.follower, None
        if follower is not None:
            background.detach(follower)
            follower.stop()
            if hand_back:
                count = follower.hand_back()
                if count:
                    self.log_info(
                        self._(
                            "{} links followed in the background go back to their plugins"
                        ).format(count)
                    )

    def _apply_settings(self, follower):
        settings = follower.settings
        settings.interval = max(2, int(self.config.get("follow_interval", 30) or 30))
        settings.max_running = max(0, int(self.config.get("max_running_jobs", 0) or 0))
        settings.hand_over_after = max(1, int(self.config.get("follow_after", 300) or 300))
        settings.always_history = bool(self.config.get("import_finished", False))

    def _cloud_full_notice(self):
        # The one notice of a full spell (offcloud_api.pyload.cloudroom), from the account.
        account = self.pyload.account_manager.get_account_plugin(intake.DOWNLOADER)
        give = getattr(account, "offcloud_notice", None)
        if give is not None:
            label = getattr(account, "user", None) or ""
            give(cloud_full(label, secrets=account_keys(self.pyload)))

    def _follow_client(self):
        key = select_key(self.pyload)
        return client_for(self, key, self._exiting) if key is not None else None

    def _on_history(self, importer, jobs):
        if self.config.get("import_finished", False):
            importer.on_history(jobs)

    def _known_request_ids(self):
        stores = [
            background.PluginStore(self.pyload.db, name)
            for name in (
                intake.DOWNLOADER,
                intake.TORRENT_DECRYPTER,
                intake.FOLDER_DECRYPTER,
                self.classname,
            )
        ]
        return background.stored_request_ids(stores)

    def _import_job(self, job):
        key = select_key(self.pyload)
        if key is None:
            return False
        try:
            with client_for(self, key, self._exiting) as api:
                files = api.explore_cloud(job.request_id, job=job)
        except OffcloudError as exc:
            self.log_warning(self._("Import: Offcloud did not list the job's files"), exc.message)
            return False
        # A package of its own in the queue, like a pasted cloud folder link.
        source = SimpleNamespace(queue=1, password="", folder="")
        try:
            queue_job_files(
                self.pyload,
                job,
                files,
                name=job.file_name or job.request_id,
                source=source,
                log=self.log_debug,
            )
        except ValueError as exc:  # the filters kept nothing: imported all the same
            self.log_info(
                self._("Import: nothing of Offcloud job {} queued").format(job.request_id), exc
            )
            return True
        self.log_info(
            self._("Import: {name} (Offcloud job {id}) queued").format(
                name=job.file_name or "?", id=job.request_id
            )
        )
        return True

    # ---------------------------------------------------------------------------------------
    # links a pyLoad restart leaves aborted (offcloud_api.pyload.resume)

    def _start_keeper(self):
        if not self.config.get("resume", True) or self.keeper is not None:
            return
        keeper = resume.Keeper(
            resume.hook_store(self.pyload.db),
            resume.PyloadQueue(self.pyload, lambda: has_account(self.pyload)),
            notice=self.log_info,
        )
        self.keeper = keeper
        keeper.start()
        resume.attach(keeper)

    def _stop_keeper(self, forget=False):
        keeper, self.keeper = self.keeper, None
        if keeper is not None:
            resume.detach(keeper)
            keeper.stop()
            if forget:  # switched off: no note outlives the addon
                keeper.forget_all()

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
                    done.update(url for url in plan.send if self._send_one_of_many(api, url))
        except Exception as exc:
            self.log_warning(self._("Cloud only: sending to Offcloud stopped"), exc)
        finally:
            # Whatever did not reach the cloud is not lost: it waits in the link collector.
            failed = [url for url in plan.send if url not in done]
            if failed:
                self._give_back(failed, pid)
            self._drop_if_empty(pid)

    def _send_one_of_many(self, api, url):
        # One link that cannot be sent must not stop the others: it goes back to the collector.
        try:
            return self._send_one(api, url)
        except Exception as exc:
            self.log_warning(self._("Cloud only: a link could not be sent"), exc)
            return False

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
        # pyLoad's TORRENT container left its copy of an uploaded .torrent in the temp folder
        # (tmp_<name>.torrent); a .torrent of the user's own there stays.
        path = intake.own_upload_path(url, self.pyload.tempdir)
        if path is not None:
            try:
                os.remove(path)
            except OSError as exc:
                self.log_debug("Could not remove the uploaded .torrent", exc.strerror)

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
