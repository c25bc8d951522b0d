import calendar
import hashlib
import re
import threading
import time

from ..base.multi_account import MultiAccount
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import AuthError, OffcloudError, TemporaryError
    from offcloud_api.pyload import ippause, notices
    from offcloud_api.pyload.addonkit import SerialWorker
    from offcloud_api.pyload.hostlist import choose_host_list, hosts_from_sites
    from offcloud_api.pyload.runtime import note_loaded
    from offcloud_api.pyload.storage import notice_key
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
    __version__ = "0.07"
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
    #: How long an account answer is reused. pyLoad asks for account info on every download start
    #: (select() refreshes every login); one call per 10 minutes is plenty for a plan's state.
    INFO_REUSE_SECONDS = 600

    def init(self):
        # Account notices (offcloud_api.pyload.notices): what was said, per Offcloud account,
        # read from pyLoad's storage once; the notification addons are called on a worker
        # thread, so a slow notification service never holds a download start.
        self._notice_lock = threading.Lock()
        self._remembered = {}
        self._notice_worker = None
        super().init()

    def api_key(self, user=None):
        """The credential (pyLoad's password field) of ``user`` or of the chosen account: an API
        key or a device-login token, both sent as Bearer and never judged by their shape."""
        return self.accounts[user or self.user]["password"]

    #: A bare host name of Offcloud's 2026 list (``rapidgator``), and the pattern it becomes.
    #: No dot in it: pyLoad escapes dots of the entries it joins into its pattern.
    BARE_HOST = re.compile(r"^[\w-]{3,63}$")
    BARE_LABEL = r"(?<=[/@\x2e]){}(?=\x2e)"
    #: Where the last good host list is kept, so a bad answer never empties it (pyLoad storage).
    HOSTS_KEY = "hosts:last_good"

    def offcloud_client(self, plugin, api_key, should_abort=None):
        if UNUSABLE:
            self.fail(UNUSABLE)
        return client_for(
            plugin,
            api_key,
            should_abort or (lambda: False),
            api_generation=self._api_generation(api_key),
        )

    def _api_generation(self, api_key):
        # What the account check learned of this key's API (2026 or legacy): the plugins then
        # call no route that API lacks, such as instant on 2026.
        digest = hashlib.sha256(api_key.strip().encode("utf-8")).hexdigest()
        for (_user, key_digest), (_at, info) in (getattr(self, "_info_cache", None) or {}).items():
            if key_digest == digest:
                return info.api_generation
        return None

    def _account_info(self, password):
        # Keyed by login and key: a login re-added with another key must not get the old answer.
        cache_key = (self.user, hashlib.sha256(password.encode("utf-8")).hexdigest())
        cache = getattr(self, "_info_cache", None) or {}
        entry = cache.get(cache_key)
        if entry is not None and time.time() - entry[0] < self.INFO_REUSE_SECONDS:
            return entry[1]
        with self.offcloud_client(self, password) as api:
            info = api.get_account_stats()
        cache[cache_key] = (time.time(), info)
        self._info_cache = cache
        return info

    def forget_account_info(self):
        """Drop reused answers, so the next login asks Offcloud (after a rejected key, say)."""
        self._info_cache = {}

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
        validuntil = -1
        if info.expiration is not None:
            # Offcloud gives a day; the account is valid through its end (UTC).
            validuntil = calendar.timegm(info.expiration.timetuple()) + 86399
        premium = info.is_premium and not info.is_expired
        self.blocked_reason = None
        trafficleft = -1 if premium else None
        if premium and not info.can_download:
            self.blocked_reason = self._(
                "Offcloud reports this account cannot download right now: check https://offcloud.com/#/account for an unpaid plan, a lock or an IP to confirm"
            )
            trafficleft = 0  # pyLoad skips accounts with no traffic left
        elif not premium:
            self.blocked_reason = (
                self._("Your Offcloud premium expired on {}").format(info.expiration.isoformat())
                if info.expiration is not None
                else self._("This Offcloud account has no premium plan")
            )
        state = notices.AccountState(premium, info.can_download, info.expiration)
        today = notices.today_utc()
        self._give_notices(user, password, info.user_id, state, today)
        # The days left, for pyLoad's API (get_accounts: options); the Accounts page shows
        # validuntil as the date, it has no place for more.
        options = dict(data.get("options") or {})
        days_left = notices.days_left_option(state, today)
        if days_left is None:
            options.pop(notices.DAYS_LEFT_OPTION, None)
        else:
            options[notices.DAYS_LEFT_OPTION] = days_left
        return {
            "premium": premium,
            "validuntil": validuntil,
            "trafficleft": trafficleft,
            "options": options,
        }

    def _give_notices(self, user, password, user_id, state, today):
        # pyLoad refreshes the account at every download start: the notices are given once per
        # fact (offcloud_api.pyload.notices.decide), not once per link or per refresh.
        if getattr(self.pyload, "_dry_run", False):
            return  # pyload --dry-run only checks the setup: say nothing, remember nothing
        key = notice_key(user_id, password)
        with self._notice_lock:
            remembered = self._remembered.get(key)
            if remembered is None:
                remembered = notices.Remembered.from_stored(self.db.retrieve(key))
            due, now = notices.decide(
                remembered,
                state,
                today=today,
                warn_days=notices.warning_days(
                    self.config.get("expiry_warning_days", notices.DEFAULT_WARNING_DAYS)
                ),
                label=user,
                secrets=(password, password.strip()),
            )
            if now != remembered:
                self.db.store(key, now.to_stored())
            self._remembered[key] = now
        for notice in due:
            self.log_warning(notice.message)
            self._notice_queue().submit(lambda notice=notice: self._notify(notice))

    def notify_ip_refused(self, user, advice):
        """Tell the user once that Offcloud refuses this IP (the downloader's account pause,
        offcloud_api.pyload.ippause). Remembered in storage, so a pyLoad restart in the same
        pause says nothing new; ip_accepted() forgets it once a download worked."""
        if getattr(self.pyload, "_dry_run", False):
            return
        key = self._ip_notice_key(user)
        with self._notice_lock:
            if self.db.retrieve(key):
                return
            self.db.store(key, True)
        password = self.accounts.get(user, {}).get("password") or ""
        notice = notices.ip_refused(user, advice, secrets=(password, password.strip()))
        self.log_warning(notice.message)
        self._notice_queue().submit(lambda: self._notify(notice))

    def ip_notice_given(self, user):
        """Whether the IP notice was given (before a pyLoad restart, say) and still stands."""
        return bool(self.db.retrieve(self._ip_notice_key(user)))

    def ip_accepted(self, user):
        """A download worked: a later IP refusal is news again."""
        self.db.delete(self._ip_notice_key(user))

    @staticmethod
    def _ip_notice_key(user):
        return f"notices:ip:{ippause.account_key(user)}"

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
        # pyLoad's MultiAccount judges the host list by whichever login is chosen at that moment,
        # so a second login with a bad key would switch Offcloud off for every login. Judge it
        # by a usable login when there is one.
        usable = [
            user
            for user, data in self.accounts.items()
            if data.get("valid") and data.get("premium")
        ]
        if usable and self.user not in usable:
            self.choose(usable[0])
        return super().reactivate(refresh)

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
        choice = choose_host_list(hosts, self.db.retrieve(self.HOSTS_KEY) or [], problem)
        if choice.warning:
            self.log_warning(choice.warning)
        if choice.fresh:
            # The downloader reads these for routing (cloud-only hosts) and chunk limits.
            self.offcloud_hosts = hosts
            self.db.store(self.HOSTS_KEY, choice.hosts)
            self.log_debug(f"{len(hosts.domains)} hosts, {len(hosts.cloud_only)} cloud only")
        return choice.hosts

    def parse_domains(self, names):
        # pyLoad keeps only names with a top-level domain; Offcloud's 2026 list may name a host
        # by a bare word that no pyLoad plugin has (docs/api.md L17). pyLoad builds
        # its pattern from these entries, so such a word goes in as a pattern of a host label
        # ("word." after "//" or a dot), never as a bare substring of any link.
        bare = [name.strip().lower() for name in names if self.BARE_HOST.match(name.strip())]
        domains = super().parse_domains([n for n in names if n.strip().lower() not in bare])
        return domains + [self.BARE_LABEL.format(re.escape(word)) for word in bare]
