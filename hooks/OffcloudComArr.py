import os
import threading

from ..base.addon import BaseAddon
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from pyload.core.datatypes.enums import Destination

    from offcloud_api.exceptions import OffcloudError
    from offcloud_api.magnet import build_magnet
    from offcloud_api.pyload.addonkit import AddonGlue, SerialWorker, select_key
    from offcloud_api.pyload.background import active_follower
    from offcloud_api.pyload.cachebook import cachebook
    from offcloud_api.pyload.cleanup import pyload_links
    from offcloud_api.pyload.qbit_api import BridgeSettings, QbitApp
    from offcloud_api.pyload.qbit_files import (
        TorrentJobs,
        drop_unread_upload,
        files_to_delete,
        job_may_go,
        pyload_packages,
        remove_files,
        save_upload,
    )
    from offcloud_api.pyload.qbit_torrents import ArrStore
    from offcloud_api.pyload.qbit_web import QbitServer
    from offcloud_api.pyload.storage import PluginStore
    from offcloud_api.pyload.torrents import TorrentSourceError
    from offcloud_api.pyload.transport import client_for

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)

# The shared addon glue (offcloud_api.pyload.addonkit): the key masked in every log line.
Glue = AddonGlue if IMPORT_ERROR is None else type("Glue", (), {})


class OffcloudComArr(Glue, BaseAddon):
    __name__ = "OffcloudComArr"
    __type__ = "addon"
    __version__ = "0.03"
    __status__ = "testing"

    __config__ = [
        ("enabled", "bool", "Activated", False),
        ("host", "str", "Address to listen on (127.0.0.1: this machine only)", "127.0.0.1"),
        ("port", "int", "Port of the qBittorrent API for Sonarr, Radarr and friends", 8092),
        (
            "cached_only",
            "bool",
            "Torrents Offcloud has not cached fail at once (nothing is sent to Offcloud)",
            False,
        ),
    ]

    __description__ = """Offcloud.com: a qBittorrent Web API so Sonarr, Radarr, Lidarr, Readarr and Prowlarr hand their torrents to pyLoad"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    def init(self):
        self.active = False
        self.app = None
        self.server = None
        self.worker = None
        self.users = {}
        self.users_lock = threading.Lock()

    # ---------------------------------------------------------------------------------------
    # pyLoad lifecycle and events

    def activate(self):
        if UNUSABLE:
            self.log_error(UNUSABLE)
            return
        self.worker = SerialWorker(self.classname, self._task_failed)
        settings = BridgeSettings(
            cached_only=bool(self.config.get("cached_only", False)),
            port=int(self.config.get("port", 8092)),
        )
        self.app = QbitApp(self, ArrStore(PluginStore(self.pyload.db, self.classname)), settings)
        self.active = True
        self._serve()

    def deactivate(self):
        if not self.active:
            return
        self.active = False
        self._stop_server()
        self.worker.stop()

    def exit(self):
        self._stop_server()
        if self.worker is not None:
            self.worker.stop()

    def config_changed(self, category, option, value, section):
        if not self.active or category != self.classname or section != "plugin":
            return
        if option == "cached_only":
            self.app.settings.cached_only = bool(value)
        elif option in ("host", "port"):
            self.app.settings.port = int(self.config.get("port", 8092))
            self._stop_server()
            self._serve()

    def links_added(self, urls, pypack):
        if not self.active:
            return
        try:
            # The torrent decrypter queues a torrent's files from its own thread, whose link is
            # the torrent's source link: the new package belongs to that torrent.
            active = getattr(threading.current_thread(), "active", None)
            source = getattr(active, "packageid", None)
            self.app.package_added(int(pypack), None if source is None else int(source))
        except Exception as exc:  # adding links must never fail because of us
            self.log_warning(self._("Could not note a torrent's package"), exc)

    def package_deleted(self, pid):
        if self.active:
            self.app.package_deleted(int(pid))

    def download_preparing(self, pyfile):
        if not self.active:
            return
        try:
            package = pyfile.package()
            folder = self.app.package_folder(package.id, package._folder or "")
            if folder is not None:
                # The decrypter named the folder after the torrent; it goes in the category's.
                package._folder = folder
                package.sync()
                self.pyload.files.save()
        except Exception as exc:
            self.log_warning(self._("Could not place a torrent's files in its category"), exc)

    def _task_failed(self, exc):
        self.log_warning(self._("qBittorrent bridge task failed"), exc)

    def _serve(self):
        host = str(self.config.get("host", "127.0.0.1") or "127.0.0.1").strip()
        port = int(self.config.get("port", 8092))
        try:
            self.server = QbitServer(host, port, self.app.handle).start()
        except OSError as exc:
            self.server = None
            self.log_error(
                self._(
                    "The qBittorrent API cannot listen on {host}:{port} ({why}): choose another port in the OffcloudComArr settings"
                ).format(host=host, port=port, why=exc.strerror or exc)
            )
            return
        self.log_info(
            self._("qBittorrent API for Sonarr, Radarr and friends on http://{}:{}").format(
                host, port
            )
        )

    def _stop_server(self):
        server, self.server = self.server, None
        if server is not None:
            server.stop()

    # ---------------------------------------------------------------------------------------
    # the bridge's Backend: pyLoad's users, packages and files

    def check_user(self, user, password):
        data = self.pyload.api.check_auth(user, password)
        if not data or not self.pyload.api.is_authorized("add_package", data):
            return None
        with self.users_lock:
            self.users[data["name"]] = {"role": data["role"], "permission": data["permission"]}
        return data["name"]

    def allowed(self, user, action):
        with self.users_lock:
            data = self.users.get(user)
        name = {"delete": "delete_packages"}.get(action, action)
        return data is not None and self.pyload.api.is_authorized(name, data)

    def storage_root(self):
        return os.path.realpath(self.pyload.config.get("general", "storage_folder"))

    def packages(self):
        follower = active_follower()
        return pyload_packages(
            self.pyload.files,
            (Destination.QUEUE, Destination.COLLECTOR),
            follower.follows if follower is not None else None,
        )

    def add(self, record, folder, paused):
        destination = Destination.COLLECTOR if paused else Destination.QUEUE
        pid = int(self.pyload.api.add_package(record.name, [record.link], destination))
        package = self.pyload.files.get_package(pid)
        package._folder = folder  # what set_package_data sets, without its flattening
        package.sync()
        self.pyload.files.save()
        return pid

    def remove(self, record, delete_files):
        files = self.pyload.files
        datas = [files.get_package_data(pid) for pid in record.pids]
        datas = [data for data in datas if data]
        root = self.storage_root()
        doomed = files_to_delete(root, datas) if delete_files else []
        job = TorrentJobs(self.pyload.db).request_id(record.info_hash)
        self.pyload.api.delete_packages([int(data["id"]) for data in datas])
        if doomed:
            removed = remove_files(root, doomed, keep=record.folder)
            self.log_info(
                self._("{name}: {count} files deleted").format(name=record.name, count=removed)
            )
        if job is not None:
            self.worker.submit(lambda: self._remove_job(record, job))
        drop_unread_upload(self.pyload.tempdir, record)

    def stop(self, record):
        ids = [link.id for p in self._mine(record) for link in p.links if link.status != 13]
        if ids:
            self.pyload.api.stop_downloads(ids)

    def start(self, record):
        for package in self._mine(record):
            if self.pyload.files.get_package(package.id).queue == 0:
                self.pyload.api.move_package(Destination.QUEUE, package.id)
            for link in package.links:
                if link.status in (8, 9):  # failed, aborted: finished ones stay
                    self.pyload.api.restart_file(link.id)

    def save_torrent(self, info_hash, data):
        return save_upload(self.pyload.tempdir, info_hash, data)

    def fetch(self, url):
        request = self.pyload.request_factory.get_request(self.classname)
        try:
            data = request.load(url, decode=False)
        except Exception as exc:
            raise TorrentSourceError(f"The .torrent address could not be read: {exc}") from None
        finally:
            request.close()
        return data if isinstance(data, bytes) else data.encode("latin-1")

    def check_cached(self, record):
        self.worker.submit(lambda: self._check_cached(record))

    def _check_cached(self, record):
        key = select_key(self.pyload)
        if key is None:
            self.app.cache_answer(
                record.info_hash, None, self._("No usable Offcloud account in pyLoad")
            )
            return
        try:
            with client_for(self, key, self._exiting) as api:
                results = api.cache_info([build_magnet(record.info_hash)])
        except OffcloudError as exc:
            self.app.cache_answer(
                record.info_hash,
                None,
                self._("Offcloud's cache check failed: {}").format(exc.message),
            )
            return
        cachebook.remember(results)  # the decrypter reads this answer, it does not ask again
        cached = bool(results and results[0].cached)
        self.log_info(record.name, "cached at Offcloud" if cached else "not cached at Offcloud")
        self.app.cache_answer(record.info_hash, cached)

    # ---------------------------------------------------------------------------------------
    # the Offcloud job of a deleted torrent

    def _mine(self, record):
        packages = self.packages()
        return [packages[pid] for pid in record.pids if pid in packages]

    def _remove_job(self, record, request_id):
        links = pyload_links(self.pyload)
        jobs = TorrentJobs(self.pyload.db)
        key = select_key(self.pyload)
        if key is None or not job_may_go(request_id, kept=jobs.kept(), links=links):
            return
        try:
            with client_for(self, key, self._exiting) as api:
                api.remove([request_id])
        except OffcloudError as exc:
            self.log_warning(self._("Could not remove the Offcloud job"), request_id, exc.message)
            return
        jobs.forget(record.info_hash)
        self.log_info(
            self._("Removed Offcloud job {id}: its app deleted {name}").format(
                id=request_id, name=record.name
            )
        )
