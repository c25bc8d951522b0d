"""What makes a hoster link wait, as the downloader plugin acts on it (a mixin of its class).

Two waits, both without an API call while they last:

* **The account pauses** while Offcloud refuses downloads from this IP (:mod:`.ippause` holds the
  book and the verdicts; this module is the plugin's side: noticing a refusal, waiting, the one
  probe per interval, the notice to the user).
* **A host rests** after Offcloud could not serve it a few times in a row (:mod:`.hostrest`).

And :meth:`HosterWaits._apply`, where an API error ends an attempt: it may pause the account or
rest the host before :func:`.outcomes.apply_outcome` does to the link what the error says.

The plugin class takes it through :class:`.hoster_routes.HosterSteps` (its first base); the
state it reads lives on the plugin (set in ``init``/``setup``, see plugins/downloaders/).
"""

from __future__ import annotations

import time
from typing import Any, NoReturn, Optional

from ..exceptions import (
    IPNotRegisteredError,
    OffcloudConnectionError,
    OffcloudError,
    ResponseTooLargeError,
)
from ..transport import Request
from .hostlist import host_of
from .hostrest import MAX_RESTS, Rest, counts_against_host, hostrest
from .ippause import (
    PROBE_MAX_BYTES,
    PROBE_RANGE,
    PROBE_SECONDS,
    Pause,
    Turn,
    Verdict,
    account_key,
    bare_refusal,
    ippause,
    probe_verdict,
    refusal_reason,
)
from .links import parse_file_url
from .outcomes import apply_outcome, outcome_for
from .plugin_glue import PluginGlue
from .transport import PyloadTransport

__all__ = ["HosterWaits"]


class HosterWaits(PluginGlue):
    """The account's IP pause and a host's rest, as a hoster link waits them out."""

    # What this attempt (setup) and this link (init) learned; set by the plugin class.
    multi_dl: bool
    link: Any
    _ip_turn: bool  # this attempt tries its download to learn whether the IP is back
    _rest_shown: bool  # the link shows that its host rests (or the account pauses)
    _refusal_body: bytes  # what a refused download wrote into its chunk files
    _link_refreshed: bool  # an expired file link is resolved again once per attempt
    _cloud_job: Optional[str]  # the request id of the cloud job this attempt follows

    # -------------------------------------------------------------------------------------------
    # errors

    def _apply(self, exc: OffcloudError) -> NoReturn:
        """End the attempt as ``exc`` says (offcloud_api.pyload.outcomes); first the account
        pauses (an API call answered Offcloud's IP text) or the host rests, if they do."""
        if isinstance(exc, IPNotRegisteredError):
            # An API call answered Offcloud's IP text (legacy): the account pauses.
            self._ip_refused(None, refusal_reason(exc.message.encode(), 400) or exc.message)
        if counts_against_host(exc) and parse_file_url(self.pyfile.url) is None:
            rest = hostrest.failed(
                host_of(self.pyfile.url), exc.code or exc.message, rest_seconds=self._rest_seconds()
            )
            if rest is not None:
                self.log_warning(outcome_for(exc).message)
                self._rest(rest)
        apply_outcome(self, exc, kept_job=self._cloud_job)

    # -------------------------------------------------------------------------------------------
    # a host rests (offcloud_api.pyload.hostrest)

    def _rest_seconds(self) -> float:
        return max(0.0, float(self.config.get("host_rest", 10.0) or 0)) * 60

    def _wait_while_host_rests(self, pyfile: Any) -> None:
        """A link of a host that rests waits, without an API call (offcloud_api.pyload.hostrest)."""
        rest = hostrest.resting(host_of(pyfile.url))
        if rest is not None:
            self._rest(rest)
        if getattr(self, "_rest_shown", False):
            self._rest_shown = False
            pyfile.error = ""

    def _rest(self, rest: Rest) -> NoReturn:
        message = rest.message()
        # pyLoad runs an overridden hoster's links under that hoster's plugin name: while this
        # one is not multi_dl, pyLoad starts no other (they stay queued, no API call, no slot).
        # Links of other hosts run under our own name, and go on.
        self._show_wait(message, multi_dl=self.pyfile.pluginname == self.classname)
        self.log_warning(message)
        self.retry(MAX_RESTS, rest.wait_seconds(hostrest.now()), message, rest.give_up())

    def _show_wait(self, message: str, multi_dl: bool) -> None:
        self.pyfile.error = message  # shown in the queue beside the countdown
        self._rest_shown = True
        self.multi_dl = multi_dl

    # -------------------------------------------------------------------------------------------
    # Offcloud refuses this IP: the account pauses (offcloud_api.pyload.ippause)

    def _ip_key(self) -> str:
        return account_key(self.account.user if self.account else None)

    def _ip_check_seconds(self) -> float:
        try:
            return max(1.0, float(self.config.get("ip_check", PROBE_SECONDS) or PROBE_SECONDS))
        except (TypeError, ValueError):
            return PROBE_SECONDS

    def _wait_while_ip_refused(self) -> None:
        """While Offcloud refuses this IP, the link waits without an API call. The first link
        to wake when a check is due asks one byte of a refused link (or, with none, tries its
        own download); the answer ends the pause for every link, or waits another interval."""
        if self._ip_turn:
            return
        key = self._ip_key()
        pause = ippause.paused(key)
        if pause is not None:
            if pause.expired(ippause.now()):
                self.fail(pause.give_up())
            turn, url = ippause.turn(key, self.pyfile.id)
            if turn is Turn.PROBE and url is not None:
                verdict = self._probe(url)
                self.log_info(
                    self._(
                        "Asked whether Offcloud accepts downloads from this IP again: {}"
                    ).format(verdict.value)
                )
                pause = ippause.probed(key, verdict)
            elif turn is Turn.TRY:
                self._ip_turn = True
                self.log_info(
                    self._("Trying this link to learn whether Offcloud accepts this IP again")
                )
                pause = None
            if pause is not None:
                self._ip_wait(key, pause)
        if getattr(self, "_rest_shown", False):
            self._rest_shown = False
            self.pyfile.error = ""

    def _ip_wait(self, key: str, pause: Pause) -> None:
        # Woken at once when the pause ends (pyLoad's wait loop reads wait_until every 2 s).
        pyfile = self.pyfile
        ippause.waiting(key, pyfile.id, lambda: setattr(pyfile, "wait_until", time.time()))
        if ippause.paused(key) is None:
            return  # it ended in between
        message = pause.message()
        # The whole account waits: no other link of this plugin name starts meanwhile (they stay
        # queued: no slot, no API call); setup() of the next attempt lets them go again.
        self._show_wait(message, multi_dl=False)
        # attempts=0: pyLoad counts no limit; the pause's own length is the limit.
        self.retry(0, pause.wait_seconds(ippause.now()), message, pause.give_up())

    def _ip_refused(self, url: Optional[str], reason: str) -> NoReturn:
        """Offcloud refuses this IP: the account pauses, the user hears of it once."""
        key = self._ip_key()
        pause = ippause.refused(key, url=url, reason=reason, interval=self._ip_check_seconds())
        self._ip_turn = False
        self.log_warning(pause.message())
        account = self.account
        if account is not None and hasattr(account, "notify_ip_refused"):
            user = account.user
            if ippause.notice_due(key, said_before=lambda: bool(account.ip_notice_given(user))):
                account.notify_ip_refused(user, pause.message())
        self._ip_wait(key, pause)
        # The pause ended while this link noted it: the link starts over at once.
        self.retry(5, 1, self._("Offcloud accepts downloads from this IP again"))

    def _ip_refusal(self, url: str, exc: Any) -> None:
        """The account pauses when a file server's refusal (pyLoad's ``BadHeader``) says
        Offcloud refuses this IP: its text (read back from the chunk files, where pyLoad leaves
        it), a 401/403 while the account pauses already (no explore), or a 401/403 on a fresh
        link."""
        content = exc.content if isinstance(exc.content, bytes) else str(exc.content).encode()
        reason = refusal_reason(self._refusal_body or content, exc.code)
        if reason is None and exc.code in (401, 403):
            if ippause.paused(self._ip_key()) is not None:
                reason = ""
            else:
                reason = bare_refusal(exc.code, fresh_link=self._link_refreshed)
        if reason is not None:
            self._ip_refused(url, reason)

    def _probe(self, url: str) -> Verdict:
        """One byte of a refused file link, through pyLoad's network stack (the downloads' IP)."""
        transport = PyloadTransport(self)
        try:
            answer = transport.send(
                Request(
                    "GET",
                    url,
                    timeout=(30.0, 30.0),
                    headers={"Range": PROBE_RANGE},
                    max_bytes=PROBE_MAX_BYTES,
                )
            )
        except ResponseTooLargeError:
            return Verdict.ACCEPTED  # the server ignored the range and sent the file
        except OffcloudConnectionError as exc:
            self.log_debug("The IP check got no answer", exc.message)
            return Verdict.UNKNOWN
        finally:
            transport.close()
        return probe_verdict(answer.status, answer.content)

    def _ip_served(self, since: Optional[float]) -> None:
        """A download worked: any pause of the account is over, and a later one is news."""
        if ippause.served(self._ip_key(), since=since):
            forget = getattr(self.account, "ip_accepted", None)
            if forget is not None:
                forget(self.account.user)
