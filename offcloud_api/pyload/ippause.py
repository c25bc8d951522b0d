"""When Offcloud refuses downloads from this IP, the account pauses, for every link at once.

Offcloud binds file downloads to the IP the account signed in from: from another one a file link
answers ``{"error": "You are not authorized to download this file."}`` (docs/api.md L24; on the
2026 CDN the status is 401 or 403, or an HTML page). Only the user can fix that, on offcloud.com;
until then every retry, explore and new job of every link is wasted, and failing the links makes
the user restart them all by hand. So the account *pauses* (one level up from a resting host,
:mod:`.hostrest`):

- **What counts** (:func:`refusal_reason`): a file download refused with one of Offcloud's IP
  texts, in JSON, HTML or plain text, with any status; the legacy IP texts of the API. Inside
  pyLoad a refused download may reach the plugin as a bare ``403 Forbidden`` without its body
  (docs/pyload.md §4): such a 403 first gets one fresh link from Offcloud, as an expired link
  does; a fresh link refused with 401/403 again counts too (:func:`bare_refusal`). A plain expired
  link (403 once, the fresh link works) never pauses anything.
- **While it lasts** every link of the account waits (:meth:`IPPause.paused`), with a message the
  user can act on (:meth:`Pause.message`), and makes no API call.
- **One probe per interval** (:data:`PROBE_SECONDS`, the downloader's ``ip_check`` option): the
  first link to wake after :attr:`Pause.next_check` gets the turn (:meth:`IPPause.turn`) and asks
  for one byte (``Range: bytes=0-0``) of a refused file link, through pyLoad's network stack, so
  from the IP the downloads use. Its answer (:func:`probe_verdict`) goes back to
  :meth:`IPPause.probed`: accepted ends the pause and wakes every waiting link at once (each
  registered a waker, :meth:`IPPause.waiting`); refused waits another interval; a link that is
  gone lets the next link try its own download instead (which, refused, names a new probe link).
- **One notice** (:meth:`IPPause.notice_due`): once per pause, and again only after a download
  worked in between (:meth:`IPPause.served`).

One book per pyLoad process (:data:`ippause`), like :data:`.hostrest.hostrest`. Accounts are
keyed by :func:`account_key` (a digest, never the login or the key itself). The clock is wall
time, because a message names the time of day of the next check; it is injectable for the tests.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional, Union

from ..exceptions import is_ip_refusal_text
from .hostrest import clock_time_text, duration_text
from .partial import ChunkNote, note_partial

__all__ = [
    "ACCOUNT_PAGE",
    "LOGIN_CHECK_PAGE",
    "MAX_BODY_BYTES",
    "MAX_PAUSE_SECONDS",
    "PROBE_MAX_BYTES",
    "PROBE_RANGE",
    "PROBE_SECONDS",
    "IPPause",
    "Pause",
    "Turn",
    "Verdict",
    "account_key",
    "bare_refusal",
    "ippause",
    "probe_verdict",
    "refusal_reason",
    "refused_body",
]

log = logging.getLogger(__name__)

#: Seconds between two probes (the downloader's ``ip_check`` option).
PROBE_SECONDS = 60.0
#: The shortest interval the book accepts (a probe a second would be a storm of its own).
MIN_PROBE_SECONDS = 1.0
#: A pause this long ends the links' wait: they fail with :meth:`Pause.give_up`.
MAX_PAUSE_SECONDS = 7 * 24 * 3600.0
#: The probe's request: one byte (docs/api.md L11: Range works on file links).
PROBE_RANGE = "bytes=0-0"
#: The most a probe reads: a server that ignores the range sends the file, which is a yes.
PROBE_MAX_BYTES = 64 * 1024
#: The largest body read for an IP text (Offcloud's error answers are tiny).
MAX_BODY_BYTES = 64 * 1024
#: Where the user signs in or confirms the IP, and the page Offcloud pointed to (L24).
ACCOUNT_PAGE = "https://offcloud.com/#/account"
LOGIN_CHECK_PAGE = "https://offcloud.com/api/login/check"
#: Waiting links wake this long after a check is due, so the probe's answer is in by then.
WAKE_AFTER_CHECK = 2.0

Waker = Callable[[], None]
PathLike = Union[str, bytes, "os.PathLike[str]"]


def account_key(login: Optional[str]) -> str:
    """The book's key for the pyLoad login of an Offcloud account (a digest, not the login)."""
    text = (login or "").strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else "-"


def _text_of(body: bytes) -> str:
    return body[:MAX_BODY_BYTES].decode("utf-8", "replace")


def refusal_reason(body: bytes, status: int = 200) -> Optional[str]:
    """Offcloud's IP text in a file server's answer (JSON, HTML or plain), or ``None``.

    A 2xx answer counts only when the whole body is small (an error in place of the file); an
    error status counts whatever its size, read up to :data:`MAX_BODY_BYTES`.
    """
    stripped = body.strip()
    if not stripped or (200 <= status < 300 and len(stripped) > MAX_BODY_BYTES):
        return None
    text = _text_of(stripped)
    if not is_ip_refusal_text(text):
        return None
    return _reason_in(text)


_IP_SENTENCES = (
    "You are not authorized to download this file.",
    "IP address needs to be registered.",
    "Unregistered IP address detected.",
)


def _reason_in(text: str) -> str:
    """Offcloud's sentence as it reads, without the page or JSON around it."""
    lowered = text.lower()
    for sentence in _IP_SENTENCES:
        if sentence.lower().rstrip(".") in lowered:
            return sentence
    return "Offcloud refuses this IP"  # pragma: no cover - is_ip_refusal_text matched one


def bare_refusal(status: int, *, fresh_link: bool) -> Optional[str]:
    """The reason a refusal without a readable body pauses the account, or ``None``.

    Only a 401 or 403 on a link Offcloud handed out moments ago (``fresh_link``: this attempt
    explored the job again after the first refusal) counts: a link that merely expired works
    again once fresh, and any other status says something else.
    """
    if fresh_link and status in (401, 403):
        return f"HTTP {status} on a fresh file link"
    return None


def refused_body(filename: PathLike, before: Mapping[str, ChunkNote]) -> bytes:
    """What a refused download wrote into its chunk files: the error answer's body.

    pyLoad writes a refused download's body into the chunk file and hands the plugin a
    ``BadHeader`` without it (docs/pyload.md §4). ``before`` is
    :func:`~offcloud_api.pyload.partial.note_partial` from before the attempt; what a chunk file
    gained since is read back (up to :data:`MAX_BODY_BYTES`), before the downloader takes it out
    again. Empty when nothing small was written.
    """
    for path, now in note_partial(filename).items():
        old = before.get(path)
        start = 0
        if old is not None and now.size >= old.size and now.head.startswith(old.head):
            start = old.size
        grown = now.size - start
        if grown <= 0 or grown > MAX_BODY_BYTES:
            continue
        try:
            with Path(path).open("rb") as fp:
                fp.seek(start)
                return fp.read(grown)
        except OSError as exc:
            log.debug("could not read %s: %s", path, exc)
    return b""


class Verdict(str, enum.Enum):
    """What a probe found out."""

    ACCEPTED = "accepted"  # the file server serves this IP again
    REFUSED = "refused"  # still refused
    GONE = "gone"  # the probe link itself no longer works (expired, removed): no answer
    UNKNOWN = "unknown"  # no answer, or one that says nothing (5xx, 429): ask again later


def probe_verdict(status: int, body: bytes = b"") -> Verdict:
    """What the answer to a one-byte probe says about the IP.

    206 (or a 200 with the file, or 416: the server read the range) is a yes, unless the body is
    Offcloud's IP text; 401 and 403 are a no, with or without a body; 404 and 410 say the probe
    link is gone; anything else is no answer.
    """
    if refusal_reason(body, status) is not None or status in (401, 403):
        return Verdict.REFUSED
    if 200 <= status < 300 or status == 416:
        return Verdict.ACCEPTED
    if status in (404, 410):
        return Verdict.GONE
    return Verdict.UNKNOWN


@dataclass(frozen=True)
class Pause:
    """The account's pause as it stands: since ``started``, the next probe due at ``next_check``.

    ``reason`` is Offcloud's own text (or what the downloader saw); ``interval`` the seconds
    between probes.
    """

    started: float
    next_check: float
    reason: str = ""
    interval: float = PROBE_SECONDS
    clock_time: Callable[[float], str] = clock_time_text

    def wait_seconds(self, now: float) -> int:
        """Whole seconds a link waits from ``now``: just past the next check, at least 1."""
        return max(1, math.ceil(self.next_check + WAKE_AFTER_CHECK - now))

    def expired(self, now: float) -> bool:
        """Whether the pause has lasted :data:`MAX_PAUSE_SECONDS`: the links give up."""
        return now - self.started >= MAX_PAUSE_SECONDS

    def message(self) -> str:
        """What a waiting link shows: what happened, what to do, that it goes on by itself."""
        why = f" ({self.reason})" if self.reason else ""
        return (
            f"Offcloud refuses downloads from this IP address{why}: sign in at {ACCOUNT_PAGE} "
            f"from this connection or open {LOGIN_CHECK_PAGE} to confirm the IP; downloads "
            f"resume by themselves (checked every {duration_text(self.interval)}, next at "
            f"{self.clock_time(self.next_check)})"
        )

    def give_up(self) -> str:
        """What a link fails with after :data:`MAX_PAUSE_SECONDS` of refusals."""
        return (
            f"Offcloud refused downloads from this IP address for "
            f"{duration_text(MAX_PAUSE_SECONDS)}: confirm the IP at {ACCOUNT_PAGE}, then restart "
            "the link"
        )


class Turn(str, enum.Enum):
    """What a link that wakes in a pause does (:meth:`IPPause.turn`)."""

    WAIT = "wait"  # wait on: no check is due, or another link is checking
    PROBE = "probe"  # ask for one byte of the probe link, then report (:meth:`IPPause.probed`)
    TRY = "try"  # no probe link: try this link's own download, once (it reports itself)


@dataclass
class _Account:
    pause: Optional[Pause] = None
    probe_url: Optional[str] = None
    #: A link has the turn (probing, or trying its own download) until then.
    busy_until: float = 0.0
    waiters: dict[object, Waker] = field(default_factory=dict)
    #: The notice was given and no download worked since; ``None``: not known in this process.
    noticed: Optional[bool] = None


class IPPause:
    """The pause of each account, its probe link and turn, and the links that wait on it.

    ``clock`` gives wall-clock seconds; ``clock_time`` formats one for the messages. Safe to use
    from several pyLoad threads at once; wakers are called outside the lock.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        clock_time: Callable[[float], str] = clock_time_text,
    ) -> None:
        self._clock = clock
        self._clock_time = clock_time
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}

    def now(self) -> float:
        return self._clock()

    def paused(self, account: str) -> Optional[Pause]:
        """The account's pause, or ``None`` when its links may call Offcloud and download."""
        with self._lock:
            state = self._accounts.get(account)
            return state.pause if state is not None else None

    def refused(
        self,
        account: str,
        *,
        url: Optional[str] = None,
        reason: str = "",
        interval: float = PROBE_SECONDS,
    ) -> Pause:
        """Note a refusal; the pause it starts, or the one it joins.

        ``url`` is the refused file link (the probe asks it next), ``None`` for an API answer.
        A refusal in a pause also ends a link's turn: the next check is an interval away.
        """
        interval = max(MIN_PROBE_SECONDS, float(interval))
        now = self._clock()
        with self._lock:
            state = self._accounts.setdefault(account, _Account())
            if url:
                state.probe_url = url
            state.busy_until = 0.0
            reason = " ".join(reason.split())
            if state.pause is None:
                state.pause = Pause(
                    started=now,
                    next_check=now + interval,
                    reason=reason,
                    interval=interval,
                    clock_time=self._clock_time,
                )
            else:
                # A link whose turn it was (its check was due) was refused: the next check is an
                # interval away; a link that joins leaves the check where it is.
                due = state.pause.next_check <= now
                state.pause = replace(
                    state.pause,
                    next_check=now + interval if due else state.pause.next_check,
                    reason=state.pause.reason or reason,
                    interval=interval,
                )
            return state.pause

    def turn(self, account: str, link: object) -> tuple[Turn, Optional[str]]:
        """What ``link`` does now that it woke: its :class:`Turn`, and the link to probe.

        The first link to wake after the check is due gets the turn; until it reports (or an
        interval passes: it may have been stopped), the others wait.
        """
        now = self._clock()
        with self._lock:
            state = self._accounts.get(account)
            if state is None or state.pause is None:
                return Turn.TRY, None
            pause = state.pause
            if now < pause.next_check or now < state.busy_until:
                return Turn.WAIT, None
            state.busy_until = now + pause.interval
            state.waiters.pop(link, None)
            if state.probe_url:
                return Turn.PROBE, state.probe_url
            return Turn.TRY, None

    def probed(self, account: str, verdict: Verdict) -> Optional[Pause]:
        """The probe's answer: ``None`` when the pause is over (every waiting link is woken),
        else the pause with its next check."""
        now = self._clock()
        wakers: list[Waker] = []
        with self._lock:
            state = self._accounts.get(account)
            if state is None or state.pause is None:
                return None
            if verdict is Verdict.ACCEPTED:
                wakers = self._end(state)
                pause = None
            else:
                if verdict is Verdict.GONE:
                    state.probe_url = None  # the next link to wake tries its own download
                state.busy_until = 0.0
                state.pause = pause = replace(state.pause, next_check=now + state.pause.interval)
        _wake(wakers)
        return pause

    def served(self, account: str, *, since: Optional[float] = None) -> bool:
        """A download of the account worked (``since``: when it started); ends any pause.

        A download that started before the pause began says nothing about the IP now, and
        leaves it. Returns True when a notice given before may be stored and is now void: the
        caller forgets it, so the next refusal is told again.
        """
        wakers: list[Waker] = []
        with self._lock:
            state = self._accounts.setdefault(account, _Account())
            if state.pause is not None:
                if since is not None and since < state.pause.started:
                    return False
                wakers = self._end(state)
            forget = state.noticed is not False
            state.noticed = False
        _wake(wakers)
        return forget

    def notice_due(self, account: str, *, said_before: Callable[[], bool] = lambda: False) -> bool:
        """Whether the user is to be told of this pause now: once, until a download works.

        ``said_before`` asks whether the account remembers a notice from before this process
        (pyLoad restarted in a pause), which counts as given; it is asked once per process.
        """
        with self._lock:
            state = self._accounts.setdefault(account, _Account())
            if state.noticed is None:
                state.noticed = bool(said_before())
            if state.noticed:
                return False
            state.noticed = True
            return True

    def waiting(self, account: str, link: object, wake: Waker) -> None:
        """``link`` waits in the pause; ``wake`` ends its wait when the pause ends."""
        with self._lock:
            state = self._accounts.get(account)
            if state is not None and state.pause is not None:
                state.waiters[link] = wake
                return
        wake()  # the pause ended in between

    def clear(self) -> None:
        """Forget every account (tests; a new pyLoad process starts with none)."""
        with self._lock:
            self._accounts.clear()

    def _end(self, state: _Account) -> list[Waker]:
        state.pause = None
        state.probe_url = None
        state.busy_until = 0.0
        wakers = list(state.waiters.values())
        state.waiters.clear()
        return wakers


def _wake(wakers: list[Waker]) -> None:
    for wake in wakers:
        _wake_one(wake)


def _wake_one(wake: Waker) -> None:
    try:
        wake()
    except Exception:  # one link gone must not keep the others waiting
        log.debug("waking a link failed", exc_info=True)


#: The one book of a pyLoad process (every plugin imports the same module).
ippause = IPPause()
