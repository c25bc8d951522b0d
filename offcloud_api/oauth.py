"""Log in without copying a key: Offcloud's OAuth device flow (docs/api.md §1.4).

Since its 2026 API, Offcloud no longer takes an e-mail and a password (``/api/login`` and
``/api/key`` answer 404). A program asks for a device code instead, shows the user a URL and a
short code, and polls until the user has confirmed the code on offcloud.com (RFC 8628)::

    from offcloud_api import OffcloudAPI
    from offcloud_api.oauth import DeviceLogin

    with OffcloudAPI() as client:
        login = DeviceLogin.start(client)                # POST /oauth/device/code
        code = login.code
        print(f"Open {code.verification_uri} and enter {code.user_code}")
        client.api_key = login.wait(timeout=600)         # POST /oauth/token until confirmed

The access token works wherever an API key does (``Authorization: Bearer``); store it like a key.
:func:`device_login` is the same in one call. Every request goes through the client's
:meth:`~offcloud_api.client.OffcloudAPI._request` (its timeouts, byte cap, retries of a refused
connection or a short 429, logging of method and path only), to ``/oauth/...`` on the website root
(``https://offcloud.com``, or the root of the client's ``base_url``).

How the wait goes:

* a poll every ``interval`` seconds as Offcloud said (5 when it said nothing usable, and never
  more often than once a second); ``authorization_pending`` means ask again;
* ``slow_down`` adds 5 seconds to the interval, for this and every later poll (RFC 8628 §3.5);
* ``access_denied`` raises :class:`~offcloud_api.exceptions.DeviceLoginDeniedError`,
  ``expired_token`` (or the code's ``expires_in`` passing here first)
  :class:`~offcloud_api.exceptions.DeviceLoginExpiredError`, any other OAuth error
  :class:`~offcloud_api.exceptions.DeviceLoginError`;
* the caller's ``timeout`` raises :class:`~offcloud_api.exceptions.DeviceLoginTimeoutError`, and
  its ``should_abort`` hook (asked every 0.2 s while waiting)
  :class:`~offcloud_api.exceptions.DeviceLoginAbortedError`;
* a failed poll that may pass (a 5xx, a lost connection, a broken answer) is asked again at the
  next interval; only ``MAX_POLL_FAILURES`` of them in a row end the wait with that error.

Neither the access token nor the device code ever appears in a log line, an exception message or a
``repr``: the token is returned to the caller and nowhere else.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import urlsplit

from .exceptions import (
    DeviceLoginAbortedError,
    DeviceLoginDeniedError,
    DeviceLoginError,
    DeviceLoginExpiredError,
    DeviceLoginTimeoutError,
    InvalidResponseError,
    OffcloudError,
    RateLimitError,
    RouteNotFoundError,
    TemporaryError,
)
from .redact import redact

if TYPE_CHECKING:
    from .client import OffcloudAPI

__all__ = [
    "DEFAULT_INTERVAL",
    "DEVICE_CODE_PATH",
    "DEVICE_GRANT",
    "MAX_POLL_FAILURES",
    "MIN_INTERVAL",
    "SLOW_DOWN_STEP",
    "TOKEN_PATH",
    "DeviceCode",
    "DeviceLogin",
    "PollOutcome",
    "device_login",
]

log = logging.getLogger(__name__)

#: The two routes of the flow, on the website root (not under ``/api``).
DEVICE_CODE_PATH = "/oauth/device/code"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a route, not a secret
#: RFC 8628's grant type for the token request.
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: Seconds between polls when Offcloud names no usable interval (RFC 8628 §3.2).
DEFAULT_INTERVAL = 5.0
#: The shortest interval honoured, whatever the server says.
MIN_INTERVAL = 1.0
#: Seconds ``slow_down`` adds to the interval (RFC 8628 §3.5).
SLOW_DOWN_STEP = 5.0
#: Lifetime of a code whose answer names none (Offcloud's clients see 600).
DEFAULT_EXPIRES_IN = 600.0
#: Failed polls in a row (5xx, connection, broken answer) that end the wait.
MAX_POLL_FAILURES = 5
#: How often an abort hook is asked while waiting.
ABORT_CHECK_SECONDS = 0.2
#: An access token as RFC 6750 §2.1 allows it (``b64token``): safe in a header and a config file.
_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_OAUTH_ERROR = re.compile(r"^\s*([A-Za-z0-9_.-]+)")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_MAX_TEXT = 2048


@dataclass(frozen=True)
class DeviceCode:
    """What Offcloud answered to ``POST /oauth/device/code``: what the user needs, and the code
    the client polls with.

    ``verification_uri`` is where the user goes and types ``user_code``;
    ``verification_uri_complete`` (if Offcloud gave one) already holds the code. ``device_code``
    is the client's secret for polling: it is left out of ``repr``. ``interval`` and
    ``expires_in`` are seconds.
    """

    user_code: str
    verification_uri: str
    verification_uri_complete: Optional[str]
    interval: float
    expires_in: float
    device_code: str = field(repr=False)

    @classmethod
    def from_api(cls, payload: Any) -> DeviceCode:
        """Parse the answer; required fields strictly, ``interval`` and ``expires_in`` tolerantly.

        The texts shown to the user must be printable and the URLs ``http(s)``: an answer that
        could put control characters on a terminal or send the user to a ``javascript:`` URL is
        refused with :class:`~offcloud_api.exceptions.InvalidResponseError`.
        """
        if not isinstance(payload, dict):
            raise InvalidResponseError("the device code answer is not an object")
        device_code = payload.get("device_code")
        if not isinstance(device_code, str) or not device_code.strip():
            raise InvalidResponseError("the device code answer has no device_code")
        user_code = _shown_text(payload.get("user_code"), "user_code")
        uri = _web_url(payload.get("verification_uri") or payload.get("verification_url"))
        if uri is None:
            raise InvalidResponseError("the device code answer has no http(s) verification_uri")
        complete = _web_url(payload.get("verification_uri_complete"))
        return cls(
            user_code=user_code,
            verification_uri=uri,
            verification_uri_complete=complete,
            interval=_seconds(payload.get("interval"), DEFAULT_INTERVAL),
            expires_in=_seconds(payload.get("expires_in"), DEFAULT_EXPIRES_IN),
            device_code=device_code.strip(),
        )

    @property
    def open_url(self) -> str:
        """The URL to open: the complete one (code included) if there is one."""
        return self.verification_uri_complete or self.verification_uri


@dataclass(frozen=True)
class PollOutcome:
    """One poll as :meth:`DeviceLogin.wait` reports it to ``on_poll``.

    ``state`` is ``pending`` (not confirmed yet), ``slow_down`` (Offcloud asked for longer
    intervals), ``retrying`` (the poll failed in a way that may pass) or ``confirmed``.
    ``interval`` is the interval from now on, ``remaining`` the seconds the code has left.
    """

    state: str
    polls: int
    interval: float
    remaining: float


class DeviceLogin:
    """One device login: its :class:`DeviceCode`, the current interval and the polls made.

    Make one with :meth:`start`. ``clock`` (monotonic seconds) and ``sleep`` are for tests;
    ``sleep`` defaults to the client's retry policy's, as the client's other waits do.
    """

    def __init__(
        self,
        client: OffcloudAPI,
        code: DeviceCode,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Optional[Callable[[float], None]] = None,
    ) -> None:
        self.client = client
        self.code = code
        self._clock = clock
        self._sleep = sleep if sleep is not None else client.retry_policy.sleep
        self.interval = max(code.interval, MIN_INTERVAL)
        self.expires_at = clock() + code.expires_in
        self.polls = 0

    def __repr__(self) -> str:
        return f"DeviceLogin(user_code={self.code.user_code!r}, polls={self.polls})"

    @classmethod
    def start(
        cls,
        client: OffcloudAPI,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Optional[Callable[[float], None]] = None,
    ) -> DeviceLogin:
        """Ask Offcloud for a device code (``POST /oauth/device/code``).

        Raises :class:`~offcloud_api.exceptions.DeviceLoginError` when the server has no device
        flow (Offcloud's HTML 404: an API that predates it, or a simulator with it off), and the
        client's usual errors when Offcloud cannot be reached.
        """
        try:
            # The client's one choke point: its timeouts, byte cap, retries and logging.
            payload = client._request(
                "POST", DEVICE_CODE_PATH, json={}, idempotent=True, auth=False, on_site=True
            )
        except RouteNotFoundError as exc:
            raise DeviceLoginError(
                f"{client.site_url} has no device login ({exc.message}); copy your API key "
                "from https://offcloud.com/#/account instead",
                status=exc.status,
                method="POST",
                path=DEVICE_CODE_PATH,
            ) from None
        try:
            code = DeviceCode.from_api(payload)
        except InvalidResponseError as exc:
            raise InvalidResponseError(
                f"unexpected answer from POST {DEVICE_CODE_PATH}: {exc.message}",
                method="POST",
                path=DEVICE_CODE_PATH,
            ) from None
        log.debug(
            "device login started: poll every %.0f s, the code expires in %.0f s",
            code.interval,
            code.expires_in,
        )
        return cls(client, code, clock=clock, sleep=sleep)

    @property
    def remaining(self) -> float:
        """Seconds until the code expires (0 once it has)."""
        return max(0.0, self.expires_at - self._clock())

    def poll(self) -> Optional[str]:
        """Ask once (``POST /oauth/token``): the access token, or None while not confirmed.

        ``slow_down`` lengthens :attr:`interval` by 5 s and counts as not confirmed. Raises the
        ``DeviceLogin*`` error of a final answer, and the request's own error (a
        :class:`~offcloud_api.exceptions.TemporaryError`) when the poll itself failed.
        """
        self.polls += 1
        refusal: Optional[OffcloudError] = None
        try:
            payload = self.client._request(
                "POST",
                TOKEN_PATH,
                json={"grant_type": DEVICE_GRANT, "device_code": self.code.device_code},
                idempotent=False,  # a confirmed code may answer only once
                auth=False,
                on_site=True,
            )
        except TemporaryError as exc:
            self._scrub(exc)
            raise
        except OffcloudError as exc:  # read below, so no error raised here chains to it
            refusal = exc
        if refusal is not None:
            self._refused(refusal)
            return None
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not _TOKEN.match(token.strip()):
            # Never the answer itself in the message: it may hold a token of another shape.
            raise InvalidResponseError(
                f"POST {TOKEN_PATH} answered without a usable access_token",
                method="POST",
                path=TOKEN_PATH,
            )
        token_type = payload.get("token_type") if isinstance(payload, dict) else None
        if isinstance(token_type, str) and token_type.strip().lower() not in ("bearer", ""):
            raise DeviceLoginError(
                f"Offcloud issued a {_shown(token_type)!r} token; only Bearer tokens work",
                method="POST",
                path=TOKEN_PATH,
            )
        return token.strip()

    def _refused(self, exc: OffcloudError) -> None:
        """Read Offcloud's OAuth error: pending and slow_down return, the rest raise."""
        if isinstance(exc, RouteNotFoundError):
            raise DeviceLoginError(
                f"{self.client.site_url} has no device login ({exc.message})",
                status=exc.status,
                method="POST",
                path=TOKEN_PATH,
            )
        error = _oauth_error(exc.code)
        if error == "authorization_pending":
            return
        if error == "slow_down":
            self.interval += SLOW_DOWN_STEP
            log.debug("device login: asked to slow down; polling every %.0f s", self.interval)
            return
        common: dict[str, Any] = {
            "code": self._text(error) if error else None,
            "status": exc.status,
            "method": "POST",
            "path": TOKEN_PATH,
        }
        if error == "access_denied":
            raise DeviceLoginDeniedError(
                "the login was refused on Offcloud's page (access_denied)", **common
            )
        if error == "expired_token":
            raise DeviceLoginExpiredError(
                "the code expired before it was confirmed (expired_token); start a new login",
                **common,
            )
        what = self._text(exc.message)
        raise DeviceLoginError(f"Offcloud refused the device login: {what}", **common)

    def _text(self, text: str) -> str:
        """Offcloud's text, without the device code (a server may echo the request)."""
        return redact(text, (self.code.device_code,))

    def _scrub(self, exc: OffcloudError) -> None:
        """Mask the device code in an error the request layer raised, before it goes on."""
        exc.message = self._text(exc.message)
        exc.args = (exc.message,)
        if exc.code is not None:
            exc.code = self._text(exc.code)

    def wait(
        self,
        *,
        timeout: Optional[float] = None,
        should_abort: Optional[Callable[[], bool]] = None,
        on_poll: Optional[Callable[[PollOutcome], None]] = None,
    ) -> str:
        """Poll until the user confirms; return the access token.

        ``timeout`` (seconds from now, ``None``: until the code expires) raises
        :class:`~offcloud_api.exceptions.DeviceLoginTimeoutError`; ``should_abort`` is asked
        every 0.2 s and raises :class:`~offcloud_api.exceptions.DeviceLoginAbortedError` when
        true; ``on_poll`` hears of every poll (a :class:`PollOutcome`), for a progress line.
        """
        deadline = None if timeout is None else self._clock() + timeout
        failures = 0
        pause = self.interval
        while True:
            self._pause(pause, deadline, timeout, should_abort)
            pause = self.interval
            state = "pending"
            try:
                token = self.poll()
            except TemporaryError as exc:
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    raise
                log.debug("device login: poll failed (%s); asking again", self._text(exc.message))
                state, token = "retrying", None
                if isinstance(exc, RateLimitError) and exc.retry_after is not None:
                    pause = max(pause, exc.retry_after)
            else:
                failures = 0
                if token is None and self.interval > pause:
                    state, pause = "slow_down", self.interval
            if on_poll is not None:
                done = "confirmed" if token is not None else state
                on_poll(PollOutcome(done, self.polls, self.interval, self.remaining))
            if token is not None:
                log.debug("device login confirmed after %d polls", self.polls)
                return token

    def _pause(
        self,
        seconds: float,
        deadline: Optional[float],
        timeout: Optional[float],
        should_abort: Optional[Callable[[], bool]],
    ) -> None:
        """Sleep before the next poll; raise if the code expires or the deadline passes first."""
        _check_abort(should_abort)
        now = self._clock()
        wake = now + seconds
        stop: Optional[OffcloudError] = None
        if deadline is not None and deadline < wake:
            wake = deadline
            stop = DeviceLoginTimeoutError(
                f"no confirmation within {timeout:g} s; the code may still be valid"
            )
        if self.expires_at < wake:
            wake = self.expires_at
            stop = DeviceLoginExpiredError(
                "the code expired before it was confirmed; start a new login"
            )
        while True:
            left = wake - self._clock()
            if left <= 0:
                break
            self._sleep(left if should_abort is None else min(ABORT_CHECK_SECONDS, left))
            _check_abort(should_abort)
        if stop is not None:
            raise stop


def device_login(
    client: OffcloudAPI,
    on_code: Callable[[DeviceCode], None],
    *,
    timeout: Optional[float] = None,
    should_abort: Optional[Callable[[], bool]] = None,
    on_poll: Optional[Callable[[PollOutcome], None]] = None,
) -> str:
    """Run a whole device login: start it, hand ``on_code`` the code to show, wait; the token.

    The arguments are :meth:`DeviceLogin.wait`'s. Set the token as the client's ``api_key`` (or
    store it where a key would go) to use it.
    """
    login = DeviceLogin.start(client)
    on_code(login.code)
    return login.wait(timeout=timeout, should_abort=should_abort, on_poll=on_poll)


def _check_abort(should_abort: Optional[Callable[[], bool]]) -> None:
    if should_abort is not None and should_abort():
        raise DeviceLoginAbortedError("the device login was stopped")


def _oauth_error(code: Optional[str]) -> Optional[str]:
    """The OAuth error name at the start of an error's ``code`` (``"slow_down: ..."``)."""
    match = _OAUTH_ERROR.match(code or "")
    return match.group(1).lower() if match else None


def _seconds(value: Any, default: float) -> float:
    """A positive, finite number of seconds (a number or a numeric string), else ``default``."""
    if isinstance(value, bool):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and number > 0 else default


def _shown_text(value: Any, name: str) -> str:
    """A short text for the user's screen: printable, no control characters or spaces."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidResponseError(f"the device code answer has no {name}")
    text = value.strip()
    if len(text) > 64 or _CONTROL.search(text):
        raise InvalidResponseError(f"the device code answer's {name} is not a short printable code")
    return text


def _web_url(value: Any) -> Optional[str]:
    """``value`` if it is an http(s) URL without spaces or control characters, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_TEXT or _CONTROL.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


def _shown(text: str) -> str:
    return _CONTROL.sub("?", text)[:40]
