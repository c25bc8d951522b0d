"""The one translation table from ``offcloud_api`` errors to pyLoad outcomes.

Plugins catch :class:`~offcloud_api.exceptions.OffcloudError` at their edge and hand it here; they
then do what the returned :class:`Outcome` says (``fail``, ``offline``, ``retry`` …). Keeping the
table out of the plugin files makes it testable without pyLoad. :func:`refused_download` does the
same for a file server that refuses a download with an HTTP status.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, NoReturn, Optional

from ..exceptions import (
    AuthError,
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
)

__all__ = [
    "Action",
    "DownloadRetry",
    "Outcome",
    "apply_outcome",
    "outcome_for",
    "refused_download",
]

#: Seconds pyLoad waits before trying again after a 429 that named no delay.
DEFAULT_RATE_LIMIT_WAIT = 60
#: Temporary trouble (5xx, broken answers, no connection): waits grow per attempt.
TEMPORARY_WAIT = 30
TEMPORARY_ATTEMPTS = 5
#: A host that answered Offcloud with an error of its own (5xx, 429): a few tries, then the text.
REFUSED_ATTEMPTS = 3
#: A host that is disabled or over its quota today.
HOST_WAIT = 15 * 60
HOST_ATTEMPTS = 3
#: A busy file server (503) that named no time (Offcloud's file servers answer "Temporary error";
#: retry after 10-30 s, docs/offcloud-api.md §4.1); the longest wait it may ask for; tries.
FILE_BUSY_WAIT = 10
FILE_BUSY_MAX_WAIT = 10 * 60
FILE_BUSY_ATTEMPTS = 5
#: Where Offcloud shows what holds an account back.
ACCOUNT_PAGE = "https://offcloud.com/#/account"

IP_ADVICE = (
    "Offcloud wants this IP address confirmed: open the link in the e-mail Offcloud sent you "
    "(or visit https://offcloud.com/#/account while on this connection), then restart the link"
)


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


def outcome_for(error: OffcloudError, *, kept_job: Optional[str] = None) -> Outcome:
    """What a pyLoad plugin should do about ``error``; messages are for the user to read.

    ``kept_job`` is the request id of the cloud job the link was following: a failure that
    leaves the job alone (a rejected key, say) then says that restarting the link resumes it.
    """
    outcome = _outcome(error)
    if (
        kept_job
        and outcome.action in (Action.FAIL, Action.ACCOUNT_INVALID)
        and not isinstance(error, (CloudJobError, WaitTimeoutError, NotFoundError))
    ):
        note = f"Your Offcloud job {kept_job} is kept; restart the link once this is fixed"
        outcome = replace(outcome, message=f"{outcome.message}. {note}")
    return outcome


def _outcome(error: OffcloudError) -> Outcome:
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
        return Outcome(Action.FAIL, f"{IP_ADVICE} ({text})")
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
        wait = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_WAIT
        return Outcome(
            Action.RETRY,
            "Offcloud asks to slow down (HTTP 429)",
            wait=max(1, round(wait)),
            attempts=10,
        )
    if isinstance(error, RefusedError):
        # 2026: Offcloud's add answers a bare text, e.g. "Error parsing url - HTTP code: 503"
        # (docs/offcloud-api.md §00 L6): the host answered Offcloud with that status. A busy or
        # failing host may recover; anything else is said as Offcloud said it.
        upstream = error.upstream_status
        message = f"Offcloud could not fetch the link from its host: {error.code or text}"
        if upstream is None or upstream == 429 or upstream >= 500:
            return Outcome(Action.RETRY, message, TEMPORARY_WAIT, REFUSED_ATTEMPTS)
        return Outcome(Action.FAIL, message)
    if isinstance(error, HostUnavailableError):
        message = f"Host unavailable at Offcloud: {text}"
        return Outcome(Action.RETRY, message, HOST_WAIT, HOST_ATTEMPTS)
    if isinstance(error, TemporaryError):
        return Outcome(
            Action.RETRY,
            f"Offcloud is not answering properly: {text}",
            TEMPORARY_WAIT,
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
        wait = FILE_BUSY_WAIT
        if retry_after is not None:
            wait = min(FILE_BUSY_MAX_WAIT, max(1, math.ceil(retry_after)))
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
        f"The file server answered HTTP {status}; trying again in {TEMPORARY_WAIT} s",
        wait=TEMPORARY_WAIT,
        attempts=3,
        give_up=f"The file server answered HTTP {status} three times; restart the link later",
    )


def _is_instant(error: OffcloudError) -> bool:
    if isinstance(error, CloudOnlyError):
        return True
    return isinstance(error, EndpointRemovedError) and error.feature == "instant"


def apply_outcome(plugin: Any, error: OffcloudError, *, kept_job: Optional[str] = None) -> NoReturn:
    """Do to a pyLoad downloader or decrypter what :func:`outcome_for` says; never returns.

    Every pyLoad call used here raises (``Abort``, ``Fail``, ``Retry``); the final ``fail`` also
    covers ``USE_CLOUD``, which only the downloader's instant route acts on before it gets here.
    """
    outcome = outcome_for(error, kept_job=kept_job)
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
        plugin.retry(outcome.attempts, outcome.wait, outcome.message, outcome.message)
    plugin.fail(outcome.message)
    raise AssertionError("pyLoad's fail() returned")  # pragma: no cover - fail() always raises
