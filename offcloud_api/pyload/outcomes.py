"""The one translation table from ``offcloud_api`` errors to pyLoad outcomes.

Plugins catch :class:`~offcloud_api.exceptions.OffcloudError` at their edge and hand it here; they
then do what the returned :class:`Outcome` says (``fail``, ``offline``, ``retry`` …). Keeping the
table out of the plugin files makes it testable without pyLoad. :func:`refused_download` does the
same for a file server that refuses a download with an HTTP status.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, NoReturn, Optional

from ..exceptions import (
    AuthError,
    CloudFullError,
    CloudJobError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HostUnavailableError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    RefusedError,
    TemporaryError,
    WaitAbortedError,
    WaitTimeoutError,
    error_from_response,
)
from ..redact import MASK, SENSITIVE_KEYS, mask_file_links, redact
from .cloudroom import full_attempts, full_message, room

__all__ = [
    "Action",
    "DownloadRetry",
    "Outcome",
    "apply_outcome",
    "file_server_error",
    "outcome_for",
    "refused_download",
    "temporary_wait",
]

#: Seconds pyLoad waits before trying again after a 429 that named no delay (or nonsense).
DEFAULT_RATE_LIMIT_WAIT = 60
#: The longest wait a 429 may impose on a link (a longer Retry-After is read as this).
MAX_RATE_LIMIT_WAIT = 3600
#: Temporary trouble (5xx, broken answers, no connection): the link's waits, one per retry of
#: it, short first and growing; a burst of errors costs seconds, a longer outage minutes.
TEMPORARY_WAITS = (2, 4, 8, 15, 30, 60)
TEMPORARY_ATTEMPTS = len(TEMPORARY_WAITS)
#: A host that answered Offcloud with an error of its own (5xx, 429): a few tries, then the text.
#: The downloader rests a host that keeps failing (offcloud_api.pyload.hostrest) before that.
REFUSED_ATTEMPTS = 4
#: A host that is disabled or over its quota today: short waits until the host rests.
HOST_ATTEMPTS = 4
#: Where :func:`apply_outcome` counts a link's retries after temporary trouble: on the plugin
#: object, which pyLoad keeps across its retries of a link (docs/pyload.md §2.4).
RETRY_COUNT_ATTRIBUTE = "offcloud_temporary_retries"
#: A busy file server (503) that named no time (Offcloud's file servers answer "Temporary error";
#: retry after 10-30 s, docs/api.md §4.1); the longest wait it may ask for; tries.
FILE_BUSY_WAIT = 10
FILE_BUSY_MAX_WAIT = 10 * 60
FILE_BUSY_ATTEMPTS = 5
#: Any other refusal of a file server (a 5xx without Retry-After, a 403 that a fresh link did
#: not cure): a few tries, 30 s apart.
FILE_ERROR_WAIT = 30
#: A file server's error answer is a small JSON object (docs/api.md §4.1): a larger body,
#: or one nested deeper than this, is no error of Offcloud's.
MAX_ERROR_BODY = 64 * 1024
MAX_ERROR_DEPTH = 16
#: Where Offcloud shows what holds an account back.
ACCOUNT_PAGE = "https://offcloud.com/#/account"

IP_ADVICE = (
    "Offcloud refuses this IP address: sign in at https://offcloud.com/#/account from this "
    "connection, open https://offcloud.com/api/login/check or the link in Offcloud's e-mail to "
    "confirm it; the link tries again by itself"
)
#: An IP Offcloud refuses (docs/api.md L24) is not the link's fault: it waits for the user to
#: confirm the IP. The downloader pauses the whole account instead (.ippause); a decrypter that
#: meets the legacy API's IP text tries again every 5 minutes for a day. pyLoad re-runs a
#: decrypter's retry recursively (docs/pyload.md §2.4), so its tries stay far below Python's
#: recursion limit.
IP_WAIT = 5 * 60
IP_ATTEMPTS = 24 * 12


class Action(str, Enum):
    """What the plugin does; names follow pyLoad's own plugin methods."""

    OFFLINE = "offline"  # the link is dead
    FAIL = "fail"  # a lasting problem; the message says what to do
    RETRY = "retry"  # try again after ``wait`` seconds, at most ``attempts`` times
    ACCOUNT_INVALID = "account_invalid"  # the key is bad: mark the account, then fail
    ABORT = "abort"  # the user stopped it
    USE_CLOUD = "use_cloud"  # the link must go through a cloud job instead


@dataclass(frozen=True)
class Outcome:
    action: Action
    message: str
    wait: int = 0
    attempts: int = 0


def temporary_wait(retry: int) -> int:
    """Seconds a link waits before its ``retry``-th try (1: the first) after temporary trouble."""
    return TEMPORARY_WAITS[min(max(retry, 1), len(TEMPORARY_WAITS)) - 1]


def outcome_for(
    error: OffcloudError,
    *,
    kept_job: Optional[str] = None,
    retry: int = 1,
    full_wait: Optional[float] = None,
) -> Outcome:
    """What a pyLoad plugin should do about ``error``; messages are for the user to read.

    ``kept_job`` is the request id of the cloud job the link was following: a failure that
    leaves the job alone (a rejected key, say) then says that restarting the link resumes it.
    ``retry`` counts the link's retries after temporary trouble, this one included: the wait
    grows with it (:func:`temporary_wait`). ``full_wait`` is the seconds between tries while the
    cloud is full (default: the clean-up addon's ``full_wait``, :mod:`.cloudroom`).
    """
    if isinstance(error, CloudFullError):
        # Not a failure: the link waits for room, a long while in all (docs/api.md L23).
        wait = room.wait_seconds if full_wait is None else full_wait
        return Outcome(
            Action.RETRY,
            full_message(wait),
            wait=max(1, round(wait)),
            attempts=full_attempts(wait),
        )
    outcome = _outcome(error, retry)
    if (
        kept_job
        and outcome.action in (Action.FAIL, Action.ACCOUNT_INVALID)
        and not isinstance(error, (CloudJobError, WaitTimeoutError, NotFoundError))
    ):
        note = f"Your Offcloud job {kept_job} is kept; restart the link once this is fixed"
        outcome = replace(outcome, message=f"{outcome.message}. {note}")
    return outcome


def _outcome(error: OffcloudError, retry: int) -> Outcome:
    text = error.message
    if isinstance(error, WaitAbortedError):
        return Outcome(Action.ABORT, "Stopped by the user")
    if isinstance(error, (CloudOnlyError, EndpointRemovedError)) and _is_instant(error):
        return Outcome(Action.USE_CLOUD, f"Instant download not possible ({text}); using cloud")
    if isinstance(error, FileOfflineError):
        return Outcome(Action.OFFLINE, f"File offline: {text}")
    if isinstance(error, AuthError):
        return Outcome(
            Action.ACCOUNT_INVALID,
            "Offcloud rejected the API key: paste the key from https://offcloud.com/#/account "
            "as the password of the Offcloud account in pyLoad",
        )
    if isinstance(error, IPNotRegisteredError):
        return Outcome(Action.RETRY, f"{IP_ADVICE} ({text})", IP_WAIT, IP_ATTEMPTS)
    if isinstance(error, FeatureNotAvailableError):
        if error.feature is None:
            # "User is not allowed this operation.": the account, not a missing add-on.
            return Outcome(
                Action.FAIL,
                f"Offcloud refused this for your account ({error.code or text}): check "
                f"{ACCOUNT_PAGE} for an unpaid plan, a lock or an IP to confirm",
            )
        return Outcome(
            Action.FAIL,
            f"Your Offcloud plan lacks the '{error.feature}' add-on this link needs "
            f"(buy it at https://offcloud.com/#/pricing)",
        )
    if isinstance(error, RateLimitError):
        return Outcome(
            Action.RETRY,
            "Offcloud asks to slow down (HTTP 429)",
            wait=max(
                1, round(_sane(error.retry_after, DEFAULT_RATE_LIMIT_WAIT, MAX_RATE_LIMIT_WAIT))
            ),
            attempts=10,
        )
    if isinstance(error, RefusedError):
        # 2026: Offcloud's add answers a bare text, e.g. "Error parsing url - HTTP code: 503"
        # (docs/api.md L6): the host answered Offcloud with that status. A busy or
        # failing host may recover; anything else is said as Offcloud said it.
        upstream = error.upstream_status
        message = f"Offcloud could not fetch the link from its host: {error.code or text}"
        if upstream is None or upstream == 429 or upstream >= 500:
            return Outcome(Action.RETRY, message, temporary_wait(retry), REFUSED_ATTEMPTS)
        return Outcome(Action.FAIL, message)
    if isinstance(error, HostUnavailableError):
        message = f"Host unavailable at Offcloud: {text}"
        return Outcome(Action.RETRY, message, temporary_wait(retry), HOST_ATTEMPTS)
    if isinstance(error, TemporaryError):
        return Outcome(
            Action.RETRY,
            f"Offcloud is not answering properly: {text}",
            temporary_wait(retry),
            TEMPORARY_ATTEMPTS,
        )
    if isinstance(error, WaitTimeoutError):
        return Outcome(
            Action.FAIL,
            f"{text}; the job stays in your Offcloud cloud and restarting the link resumes it",
        )
    if isinstance(error, CloudJobError):
        return Outcome(Action.FAIL, f"Offcloud could not fetch the file: {text}")
    if isinstance(error, NotFoundError):
        return Outcome(Action.FAIL, f"Offcloud does not know this job or route: {text}")
    return Outcome(Action.FAIL, f"Offcloud error: {text}")


@dataclass(frozen=True)
class DownloadRetry:
    """What the downloader does when a file server refuses a download with an HTTP status.

    It waits ``wait`` seconds and tries again, at most ``attempts`` times, then fails with
    ``give_up``. ``from_start`` drops the part already downloaded (the server will not resume
    it); ``one_connection`` downloads with a single connection from then on.
    """

    message: str
    wait: int
    attempts: int
    give_up: str
    from_start: bool = False
    one_connection: bool = False


def refused_download(
    status: int, retry_after: Optional[float] = None, *, headers_lost: bool = False
) -> DownloadRetry:
    """How to go on after a file server answered ``status`` (``retry_after``: its header).

    ``headers_lost``: the refusal came from a download on several connections, whose answers
    pyLoad reads without their headers (it parses them only for a chunk without a range), so a
    ``Retry-After`` the server sent is unknown. A busy server is then asked again after a second on
    one connection, whose refusal carries the wait it names.
    """
    if status == 416:
        return DownloadRetry(
            "The file server cannot resume this file (HTTP 416); downloading it again from the "
            "start",
            wait=1,
            attempts=2,
            give_up="The file server refuses even a fresh download of this file (HTTP 416)",
            from_start=True,
            one_connection=True,
        )
    if status in (429, 503) and retry_after is None and headers_lost:
        return DownloadRetry(
            f"File server busy (HTTP {status}); asking again in 1 s on one connection to learn "
            "how long it wants us to wait",
            wait=1,
            attempts=FILE_BUSY_ATTEMPTS,
            give_up=(
                f"The file server was still busy (HTTP {status}) after {FILE_BUSY_ATTEMPTS} "
                "tries; restart the link later"
            ),
            one_connection=True,
        )
    if status in (429, 503):
        wait = max(1, math.ceil(_sane(retry_after, FILE_BUSY_WAIT, FILE_BUSY_MAX_WAIT)))
        return DownloadRetry(
            f"File server busy (HTTP {status}); trying again in {wait} s",
            wait=wait,
            attempts=FILE_BUSY_ATTEMPTS,
            give_up=(
                f"The file server was still busy (HTTP {status}) after {FILE_BUSY_ATTEMPTS} "
                "tries; restart the link later"
            ),
            one_connection=True,
        )
    return DownloadRetry(
        f"The file server answered HTTP {status}; trying again in {FILE_ERROR_WAIT} s",
        wait=FILE_ERROR_WAIT,
        attempts=3,
        give_up=f"The file server answered HTTP {status} three times; restart the link later",
    )


def _sane(value: Optional[float], default: int, cap: int) -> float:
    """A wait a server named, at most ``cap`` seconds; ``default`` when it named none or nonsense.

    ``Retry-After`` is checked where it is read (:func:`offcloud_api.retry.parse_retry_after`);
    this is the last guard before pyLoad's integer waits (``round(inf)`` raised OverflowError).
    """
    if value is None or not math.isfinite(value) or value < 0:
        return float(default)
    return min(float(cap), value)


def file_server_error(
    body: bytes, status: int = 200, *, secrets: Iterable[Optional[str]] = ()
) -> Optional[OffcloudError]:
    """The Offcloud error a file server's answer stands for, or ``None`` if it is none.

    Offcloud's file servers report errors as small JSON objects, with a 200 (in place of the
    file) or an error status (docs/api.md §4.1). Anything else is no such error: a body
    that is not a JSON object, larger than :data:`MAX_ERROR_BODY`, or nested deeper than
    :data:`MAX_ERROR_DEPTH` (parsing or printing that would hit Python's recursion limit). Every
    text is redacted first (``secrets``, the account's key; credential-looking values; signed
    file links), so no message built from it can carry them to a link or to pyLoad's log.
    """
    stripped = body.strip()
    if not stripped.startswith(b"{") or len(stripped) > MAX_ERROR_BODY:
        return None
    try:
        payload = json.loads(stripped.decode("utf-8", "replace"))
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        return None
    if not isinstance(payload, dict) or _deeper_than(payload, MAX_ERROR_DEPTH):
        return None
    cleaned = _redacted(payload, tuple(secret for secret in secrets if secret))
    return error_from_response(status=status, payload=cleaned, method="GET", path="/cloud/download")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests deeper than ``limit`` levels (without recursing itself)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with secrets masked in every text and under every sensitive name."""
    if isinstance(value, str):
        return mask_file_links(redact(value, secrets))
    if isinstance(value, list):
        return [_redacted(item, secrets) for item in value]
    if isinstance(value, dict):
        return {
            _redacted(str(name), secrets): MASK
            if str(name).lower() in SENSITIVE_KEYS
            else _redacted(item, secrets)
            for name, item in value.items()
        }
    return value


def _is_instant(error: OffcloudError) -> bool:
    if isinstance(error, CloudOnlyError):
        return True
    return isinstance(error, EndpointRemovedError) and error.feature == "instant"


def apply_outcome(
    plugin: Any,
    error: OffcloudError,
    *,
    kept_job: Optional[str] = None,
    full_wait: Optional[float] = None,
) -> NoReturn:
    """Do to a pyLoad downloader or decrypter what :func:`outcome_for` says; never returns.

    Every pyLoad call used here raises (``Abort``, ``Fail``, ``Retry``); the final ``fail`` also
    covers ``USE_CLOUD``, which only the downloader's instant route acts on before it gets here.
    """
    retry = int(getattr(plugin, RETRY_COUNT_ATTRIBUTE, 0) or 0) + 1
    outcome = outcome_for(error, kept_job=kept_job, retry=retry, full_wait=full_wait)
    plugin.log_warning(outcome.message)
    if outcome.action is Action.ABORT:
        plugin.abort()
    if outcome.action is Action.OFFLINE:
        plugin.pyfile.error = outcome.message
        plugin.offline()
    if outcome.action is Action.ACCOUNT_INVALID and plugin.account:
        # The account reuses Offcloud's answers for a while; a rejected key must be asked again.
        forget = getattr(plugin.account, "forget_account_info", None)
        if forget is not None:
            forget()
        plugin.account.relogin()
    if outcome.action is Action.RETRY:
        if isinstance(error, CloudFullError):
            plugin.pyfile.error = outcome.message  # shown in the queue beside the countdown
        elif not isinstance(error, RateLimitError):  # a 429 names its own wait
            setattr(plugin, RETRY_COUNT_ATTRIBUTE, retry)
        plugin.retry(outcome.attempts, outcome.wait, outcome.message, outcome.message)
    plugin.fail(outcome.message)
    raise AssertionError("pyLoad's fail() returned")  # pragma: no cover - fail() always raises
