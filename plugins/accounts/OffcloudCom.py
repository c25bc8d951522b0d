import traceback

from ..base.multi_account import MultiAccount
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import AuthError, OffcloudError, TemporaryError
    from offcloud_api.pyload import notices
    from offcloud_api.pyload.accounts import (
        AccountInfoCache,
        AccountNotices,
        options_with_days_left,
        standing,
    )
    from offcloud_api.pyload.addonkit import SerialWorker
    from offcloud_api.pyload.hostlist import (
        HOST_LIST_RETRY_SECONDS,
        choose_host_list,
        hosts_from_sites,
        split_bare_hosts,
    )
    from offcloud_api.pyload.runtime import note_loaded
    from offcloud_api.pyload.storage import HOSTS_KEY
    from offcloud_api.pyload.transport import client_for

    IMPORT_ERROR = None
    # For `offcloud pyload status`: which install this pyLoad has loaded (restart needed?).
    note_loaded(__file__)
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)


class OffcloudCom(MultiAccount):
    __name__ = "OffcloudCom"
    __type__ = "account"
    __version__ = "0.09"
    __status__ = "testing"

    __config__ = [
        ("mh_mode", "all;listed;unlisted", "Filter hosts to use", "all"),
        ("mh_list", "str", "Host list (comma separated)", ""),
        ("mh_interval", "int", "Reload the supported-host list every hours", 12),
        ("include_awaiting", "bool", "Also offer hosts Offcloud lists as awaiting demand", False),
        ("expiry_warning_days", "int", "Warn this many days before premium ends (0 = off)", 7),
    ]

    __description__ = """Offcloud.com account: the password field takes your Offcloud API key, or the login token offcloud pyload login puts there; the login is any name you like"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    # Our relogin interval is fixed; pyLoad's tuning would stretch it after a skipped login.
    TUNE_TIMEOUT = False

    def init(self):
        # Offcloud's account answers, reused for a while (offcloud_api.pyload.accounts).
        self._info_cache = AccountInfoCache() if IMPORT_ERROR is None else None
        # Account notices: what was said, per Offcloud account, read from pyLoad's storage once;
        # the notification addons are called on a worker thread, so a slow notification
        # service never holds a download start.
        self._notices = AccountNotices(self.db) if IMPORT_ERROR is None else None
        self._notice_worker = None
        super().init()

    def api_key(self, user=None):
        """The credential (pyLoad's password field) of ``user`` or of the chosen account: an API
        key or a device-login token, both sent as Bearer and never judged by their shape."""
        return self.accounts[user or self.user]["password"]

    def offcloud_client(self, plugin, api_key, should_abort=None):
        if UNUSABLE:
            self.fail(UNUSABLE)
        return client_for(
            plugin,
            api_key,
            should_abort or (lambda: False),
            # The plugins then call no route this key's API lacks, such as instant on 2026.
            api_generation=self._info_cache.api_generation(api_key),
        )

    def _account_info(self, password):
        if UNUSABLE:
            self.fail(UNUSABLE)

        def fetch():
            with self.offcloud_client(self, password) as api:
                return api.get_account_stats()

        return self._info_cache.get(self.user, password, fetch)

    def forget_account_info(self):
        """Drop reused answers, so the next login asks Offcloud (after a rejected key, say)."""
        if self._info_cache is not None:
            self._info_cache.forget()

    def signin(self, user, password, data):
        if UNUSABLE:
            self.fail_login(UNUSABLE)
        if not password or not password.strip():
            self.fail_login(
                self._(
                    "Put your Offcloud API key in the password field (https://offcloud.com/#/account), or log in with: offcloud pyload login"
                )
            )
        try:
            self._account_info(password.strip())
        except AuthError:
            self.fail_login(
                self._(
                    "Offcloud rejected the API key: copy it again from https://offcloud.com/#/account, or log in again with: offcloud pyload login (the password field takes the key or that login's token, not your password)"
                )
            )
        except TemporaryError as exc:
            # Offcloud or the network is down: the key may be fine, so the account stays valid.
            self.log_warning(
                self._("Offcloud is not reachable, will check the key later"), exc.message
            )
            self.skip_login(self._("Offcloud not reachable"))
        except OffcloudError as exc:
            self.fail_login(exc.message)

    def grab_info(self, user, password, data):
        try:
            info = self._account_info(password.strip())
        except OffcloudError as exc:
            self.log_warning(self._("Could not read the Offcloud account"), exc.message)
            return {}
        found = standing(info)
        self.blocked_reason = found.blocked_reason
        state = notices.AccountState(found.premium, info.can_download, info.expiration)
        today = notices.today_utc()
        # pyload --dry-run only checks the setup: say nothing, remember nothing.
        if not getattr(self.pyload, "_dry_run", False):
            due = self._notices.due(
                state,
                user_id=info.user_id,
                api_key=password,
                today=today,
                warn_days=self.config.get("expiry_warning_days", notices.DEFAULT_WARNING_DAYS),
                label=user,
            )
            for notice in due:
                self.offcloud_notice(notice)
        return {
            "premium": found.premium,
            "validuntil": found.validuntil,
            "trafficleft": found.trafficleft,
            "options": options_with_days_left(data.get("options"), state, today),
        }

    def notify_ip_refused(self, user, advice):
        """Tell the user once that Offcloud refuses this IP (the downloader's account pause,
        offcloud_api.pyload.ippause). Remembered in storage, so a pyLoad restart in the same
        pause says nothing new; ip_accepted() forgets it once a download worked."""
        if getattr(self.pyload, "_dry_run", False) or not self._notices.ip_refused_news(user):
            return
        password = self.accounts.get(user, {}).get("password") or ""
        self.offcloud_notice(notices.ip_refused(user, advice, secrets=(password, password.strip())))

    def ip_notice_given(self, user):
        """Whether the IP notice was given (before a pyLoad restart, say) and still stands."""
        return self._notices.ip_notice_given(user)

    def ip_accepted(self, user):
        """A download worked: a later IP refusal is news again."""
        self._notices.ip_accepted(user)

    def offcloud_notice(self, notice):
        """Tell the user ``notice`` (offcloud_api.pyload.notices): in the log and through the
        notification addons. The plugins call it for what they meet once (a full cloud)."""
        self.log_warning(notice.message)
        self._notice_queue().submit(lambda: self._notify(notice))

    def _notice_queue(self):
        if self._notice_worker is None:
            self._notice_worker = SerialWorker(
                "OffcloudComNotices",
                lambda exc: self.log_warning(self._("Could not send an account notice"), exc),
            )
        return self._notice_worker

    def _notify(self, notice):
        # pyLoad's notification addons react to fixed events only; every one of them derives
        # from its Notifier base, whose notify(event, msg) is the way to send a message of our
        # own through them (see offcloud_api.pyload.notices).
        try:
            from ..base.notifier import Notifier
        except ImportError:
            return
        addons = notices.notifiers(self.pyload.addon_manager.active_plugins(), Notifier)
        sent = notices.deliver(notice, addons)
        if sent:
            self.log_debug(f"Account notice sent through {', '.join(sent)}")

    def reactivate(self, refresh=False):
        try:
            # pyLoad's MultiAccount judges the host list by whichever login is chosen at that
            # moment, so a second login with a bad key would switch Offcloud off for every login.
            # Judge it by a usable login when there is one.
            usable = [
                user
                for user, data in self.accounts.items()
                if data.get("valid") and data.get("premium")
            ]
            if usable and self.user not in usable:
                self.choose(usable[0])
            return super().reactivate(refresh)
        except Exception as exc:
            # An exception here ends pyLoad's periodical task for good (its own error report
            # fails), so the host list would stay unloaded until pyLoad restarts: seen when links
            # read the account info at the same moment (docs/pyload.md §2.2). Try again soon.
            self.log_warning(
                self._("Could not load Offcloud's host list, trying again in {} s").format(
                    HOST_LIST_RETRY_SECONDS
                ),
                exc,
            )
            self.log_debug(traceback.format_exc())
            self.periodical.set_interval(HOST_LIST_RETRY_SECONDS)
            return None

    def remove_account(self, user):
        super().remove_account(user)
        # pyLoad's MultiAccount switches the multi-hoster off whenever any login is removed and
        # only switches it on again after a restart; with logins left, load the host list again.
        if self.accounts:
            interval = max(1, self.config.get("mh_interval", 12)) * 60 * 60
            self.periodical.restart(interval, threaded=True, delay=1)

    def grab_hosters(self, user, password, data):
        problem = None
        try:
            with self.offcloud_client(self, password.strip()) as api:
                sites = api.get_supported_sites()
        except OffcloudError as exc:
            sites, problem = (
                None,
                self._("Could not load Offcloud's supported hosts: {}").format(exc.message),
            )
        hosts = None
        if sites is not None:
            hosts = hosts_from_sites(
                sites,
                include_awaiting=self.config.get("include_awaiting", False),
                plugin_names=self.pyload.plugin_manager.downloader_plugins.keys(),
            )
        choice = choose_host_list(hosts, self.db.retrieve(HOSTS_KEY) or [], problem)
        if choice.warning:
            self.log_warning(choice.warning)
        if choice.fresh:
            # The downloader reads these for routing (cloud-only hosts) and chunk limits.
            self.offcloud_hosts = hosts
            self.db.store(HOSTS_KEY, choice.hosts)
            self.log_debug(f"{len(hosts.domains)} hosts, {len(hosts.cloud_only)} cloud only")
        return choice.hosts

    def parse_domains(self, names):
        # Offcloud's 2026 list may name a host by a bare word, which pyLoad would drop: it goes
        # in as a pattern of a host label (offcloud_api.pyload.hostlist).
        domains, bare_words = split_bare_hosts(names)
        return super().parse_domains(domains) + bare_words
