"""Faults that are wrong in one way each: the error says what is wrong (no server needed)."""

from __future__ import annotations

import pytest

from offcloud_api.simulator import Fault, FaultError


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "rate_limit", "count": 0}, "count must be at least 1 (or null for no limit)"),
        ({"kind": "rate_limit", "skip": -1}, "skip and delay cannot be negative"),
        ({"kind": "rate_limit", "delay": -1}, "skip and delay cannot be negative"),
        ({"kind": "link_offline"}, "link_offline needs link"),
        ({"kind": "link_error", "link": "https://a.test/x"}, "link_error needs message"),
        ({"kind": "job_error"}, "job_error needs link or request_id"),
        ({"kind": "delay"}, "delay needs delay (seconds)"),
        ({"kind": "link_error", "link": "https://a.test/x", "message": "m", "route": "x"},
         "route must be instant or cloud"),
        ({"kind": "rate_limit", "colour": "red"}, "unknown fault field(s) colour"),
        ({"count": 1}, "a fault needs kind"),
        ({"kind": 5}, "a fault needs kind"),
        ({"kind": "rate_limit", "count": "many"}, "bad number in fault"),
        ({"kind": "rate_limit", "retry_after": [1]}, "bad number in fault"),
    ],
)  # fmt: skip
def test_each_wrong_fault_says_what_is_wrong(data, message):
    with pytest.raises(FaultError) as raised:
        Fault.from_dict(data)
    assert message in str(raised.value)


def test_numbers_as_text_and_a_numeric_seed_are_read():
    fault = Fault.from_dict(
        {
            "kind": "random",
            "shares": {"html_500": 0.5},
            "count": "2",
            "retry_after": "1.5",
            "seed": 7,
        }
    )
    assert (fault.count, fault.retry_after, fault.seed) == (2, 1.5, "7")


def test_a_file_fault_with_a_path_applies_to_api_calls_only_when_it_is_an_api_fault():
    api_fault = Fault.from_dict({"kind": "server_error"})
    assert api_fault.applies_to("api", "/api/cloud", False)
    assert not api_fault.applies_to("file", "/cloud/download/x", False)
    scoped = Fault.from_dict({"kind": "server_error", "path": "/cloud/download"})
    assert scoped.applies_to("file", "/cloud/download/x", False)
