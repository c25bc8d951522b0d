import threading

from ..base.addon import BaseAddon
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.pyload import background, intake, resume
    from offcloud_api.pyload.addonkit import (
        AddonGlue,
        SerialWorker,
        client_factory,
        has_account,
        notify_cloud_full,
        open_client,
    )
    from offcloud_api.pyload.bulk import BulkTaker
    from offcloud_api.pyload.cloud_only import CloudOnly
    from offcloud_api.pyload.cloudroom import PyloadRoomView
    from offcloud_api.pyload.history_import import Importer, known_request_ids, queue_imported
    from offcloud_api.pyload.queueing import Handback, PyloadLinks
    from offcloud_api.pyload.storage import TORRENT_DECRYPTER, PluginStore

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)

# The shared addon glue (offcloud_api.pyload.addonkit): the key masked in every log line.
Glue = AddonGlue if IMPORT_ERROR is None else type("Glue", (), {})


class OffcloudComHook(Glue, BaseAddon):
    __name__ = "OffcloudComHook"
    __type__ = "addon"
    __version__ = "0.08"
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

    def init(self):
        self.active = False
        self.worker = None
        self.route_lock = threading.Lock()
        self.routed_first = None
        self.follower = None
        self.bulk_worker = None
        self.keeper = None
        self.handback = None
        self.bulk = None
        self.cloud_only = None

    # ---------------------------------------------------------------------------------------
    # pyLoad lifecycle and events

    def activate(self):
        if UNUSABLE:
            self.log_error(UNUSABLE)
            return
        self.worker = SerialWorker(self.classname, self._task_failed)
        self.bulk_worker = SerialWorker(self.classname + "Bulk", self._task_failed)
        self._build()
        self.active = True
        self.m.add_event("plugin_updated", self.plugins_updated)
        self._route_torrents()
        self._start_follower()
        self._start_keeper()  # after the follower: the links it resumes are not restarted
        self.bulk_worker.submit(self.bulk.resume_batches)

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
                self.follower.settings.configure(self.config.get)
                self.follower.wake()

    def links_added(self, urls, pypack):
        if not self.active:
            return
        try:
            self._route_torrents()
            urls_list = urls if isinstance(urls, list) else list(urls)
            passing = self.handback.passing(urls_list)
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
                self.cloud_only.take(urls, matches, pypack)
            elif not (take_bulk and self.bulk.take(urls, matches, pypack)) and cache_check:
                self.bulk.check_batch(matches)
        except Exception as exc:
            # Adding links must never fail because of us.
            self.log_warning(self._("Could not look at the added links"), exc)

    def _task_failed(self, exc):
        self.log_warning(self._("Offcloud task failed"), exc)

    def _build(self):
        # The decisions live in the library (offcloud_api.pyload.bulk, .cloud_only); this class
        # wires them to pyLoad's events.
        store = PluginStore(self.pyload.db, self.classname)
        self.handback = self.handback or Handback(self.pyload)  # kept: links in flight pass
        self.bulk = BulkTaker(
            self,
            store,
            self.handback,
            clients=lambda: client_factory(self),
            check=self.worker.submit,
            resolve=self.bulk_worker.submit,
        )
        self.cloud_only = CloudOnly(
            self,
            store,
            self.handback,
            client=lambda: open_client(self),
            submit=self.worker.submit,
        )

    # ---------------------------------------------------------------------------------------
    # magnets and .torrent files to OffcloudComTorrent

    def _route_torrents(self):
        manager = self.pyload.plugin_manager
        first = bool(self.active and self.config.get("torrents", True) and has_account(self.pyload))
        with self.route_lock:
            if not intake.route_torrent_decrypter(manager, first=first):
                return
            changed, self.routed_first = first != self.routed_first, first
        if changed and first:
            self.log_info(self._("Magnets and .torrent files go to {}").format(TORRENT_DECRYPTER))
        elif changed:
            self.log_debug("Magnets and .torrent files follow pyLoad's plugin order")

    # ---------------------------------------------------------------------------------------
    # jobs followed in the background (offcloud_api.pyload.background), and the import

    def _start_follower(self):
        if not self.config.get("follow", True) or self.follower is not None:
            return
        importer = Importer(
            PluginStore(self.pyload.db, self.classname),
            known=lambda: known_request_ids(self.pyload),
            queue_job=lambda job: queue_imported(self, lambda: open_client(self), job),
            notice=self.log_info,
        )
        follower = background.Follower(
            PyloadLinks(self.pyload),
            PluginStore(self.pyload.db, self.classname),
            lambda: open_client(self),
            plugin_store=lambda plugin: PluginStore(self.pyload.db, plugin),
            on_history=lambda jobs: self._on_history(importer, jobs),
            notice=self.log_info,
            room_view=PyloadRoomView(self.pyload),
            # The one notice of a full spell (offcloud_api.pyload.cloudroom), from the account.
            on_full=lambda: notify_cloud_full(self.pyload),
        )
        follower.settings.configure(self.config.get)
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

    def _on_history(self, importer, jobs):
        if self.config.get("import_finished", False):
            importer.on_history(jobs)

    # ---------------------------------------------------------------------------------------
    # links a pyLoad restart leaves aborted (offcloud_api.pyload.resume)

    def _start_keeper(self):
        if not self.config.get("resume", True) or self.keeper is not None:
            return
        keeper = resume.keeper_for(self.pyload, lambda: has_account(self.pyload), self.log_info)
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
