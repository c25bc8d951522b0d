"""How long a link waits after trouble at Offcloud (issue 14, items 2 and 11).

A wait a server asks for is honoured within sane bounds, never as ``inf`` (pyLoad's ``round()``
raised ``OverflowError``) or as years; a burst of transient errors costs seconds, with waits that
grow per retry of the link, not a fixed 30 s each.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from offcloud_api.exceptions import (
    HostUnavailableError,
    InvalidResponseError,
    OffcloudConnectionError,
    OffcloudError,
    RateLimitError,
    RefusedError,
    ServerError,
    TemporaryError,
)
from offcloud_api.pyload.outcomes import (
    MAX_RATE_LIMIT_WAIT,
    TEMPORARY_WAITS,
    Action,
    apply_outcome,
    outcome_for,
    refused_download,
    temporary_wait,
)

# ---------------------------------------------------------------------------------------------
# item 2: the waits a server names


@pytest.mark.parametrize("asked", [math.inf, -math.inf, math.nan, -5.0])
def test_a_rate_limit_with_a_nonsense_wait_uses_the_default(asked: float) -> None:
    outcome = outcome_for(RateLimitError("slow", retry_after=asked))
    assert outcome.action is Action.RETRY
    assert outcome.wait == 60


@pytest.mark.parametrize("asked", [1e12, 1e300, 86_400.0 * 365])
def test_a_rate_limit_never_waits_years(asked: float) -> None:
    outcome = outcome_for(RateLimitError("slow", retry_after=asked))
    assert outcome.wait == MAX_RATE_LIMIT_WAIT == 3600


@pytest.mark.parametrize("asked", [math.inf, math.nan, -1.0, 1e300])
@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_file_server_with_a_nonsense_wait_gets_a_bounded_one(
    status: int, asked: float
) -> None:
    then = refused_download(status, retry_after=asked)
    assert 1 <= then.wait <= 600
    assert f"trying again in {then.wait} s" in then.message


# ---------------------------------------------------------------------------------------------
# item 11: short, growing waits after transient trouble


def test_temporary_waits_are_short_growing_and_capped() -> None:
    waits = [temporary_wait(n) for n in range(1, 12)]
    assert waits[0] <= 3
    assert waits == sorted(waits)
    assert max(waits) <= 60
    assert waits[: len(TEMPORARY_WAITS)] == list(TEMPORARY_WAITS)
    assert sum(waits[:3]) <= 15  # three transient failures in a row cost seconds, not 90 s
    assert temporary_wait(0) == temporary_wait(1)


@pytest.mark.parametrize(
    "error",
    [
        ServerError("HTTP 500 with an HTML error page", status=500),
        ServerError("HTTP 502", status=502),
        ServerError("HTTP 503", status=503),
        OffcloudConnectionError("connection reset"),
        InvalidResponseError("broken JSON"),
        TemporaryError("Temporary error"),
        HostUnavailableError("The supported site is temporarily disabled."),
        RefusedError("Error parsing url - HTTP code: 503", upstream_status=503),
    ],
    ids=lambda error: type(error).__name__ + str(getattr(error, "status", "") or ""),
)
def test_transient_trouble_retries_soon_then_later(error: OffcloudError) -> None:
    first = outcome_for(error, retry=1)
    third = outcome_for(error, retry=3)
    assert first.action is Action.RETRY
    assert first.wait <= 3
    assert first.wait < third.wait <= 60
    assert first.attempts >= 3


class RetryCalledError(Exception):
    pass


class FakePlugin:
    def __init__(self) -> None:
        self.waits: list[int] = []
        self.pyfile = SimpleNamespace(error="")
        self.account = None

    def log_warning(self, text: str) -> None:
        pass

    def retry(self, attempts: int, wait: int, msg: str, msgfail: str) -> None:
        self.waits.append(wait)
        raise RetryCalledError

    def fail(self, msg: str) -> None:
        raise AssertionError(msg)


def test_a_link_waits_longer_each_time_the_trouble_comes_back() -> None:
    # pyLoad keeps the plugin object across its retries of a link: the count lives there.
    plugin = FakePlugin()
    for _ in range(4):
        with pytest.raises(RetryCalledError):
            apply_outcome(plugin, ServerError("HTTP 500", status=500))
    assert plugin.waits == [temporary_wait(n) for n in range(1, 5)]
    assert plugin.waits[0] < 30
    other = FakePlugin()  # another link starts from the shortest wait
    with pytest.raises(RetryCalledError):
        apply_outcome(other, OffcloudConnectionError("reset"))
    assert other.waits == [temporary_wait(1)]


def test_a_rate_limit_keeps_its_own_wait_and_does_not_count() -> None:
    plugin = FakePlugin()
    with pytest.raises(RetryCalledError):
        apply_outcome(plugin, RateLimitError("slow", retry_after=7))
    with pytest.raises(RetryCalledError):
        apply_outcome(plugin, ServerError("HTTP 500", status=500))
    assert plugin.waits == [7, temporary_wait(1)]
