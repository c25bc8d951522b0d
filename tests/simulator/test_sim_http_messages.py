"""How the simulator reads a request's body and a Range header (no server needed)."""

from __future__ import annotations

import pytest

from offcloud_api.simulator.http_messages import ApiRequest, parse_range


def _request(body: bytes, content_type: str = "", target: str = "/api/x") -> ApiRequest:
    headers = {"content-type": content_type} if content_type else {}
    return ApiRequest.parse(
        method="POST",
        host="offcloud.com",
        target=target,
        headers=headers,
        body=body,
        via="direct",
        base_url="http://127.0.0.1:1",
    )


def test_a_json_type_with_a_broken_body_is_read_as_a_form():
    request = _request(b"{url=https://a.test/x", "application/json")
    assert request.body_kind == "form"
    assert request.json_value is None
    assert request.param("{url") == "https://a.test/x"


def test_a_json_array_is_json_but_has_no_fields():
    request = _request(b'["a", "b"]', "application/json")
    assert (request.body_kind, request.json_value, request.fields) == ("json", ["a", "b"], {})


def test_a_multipart_body_is_not_read_as_a_form():
    request = _request(b"--x\r\nurl=1\r\n--x--", "multipart/form-data; boundary=x")
    assert (request.body_kind, request.fields) == (None, {})


def test_params_skip_empty_values_and_take_the_first_of_a_list():
    request = _request(
        b'{"url": "  ", "requestId": ["id1", "id2"], "flag": true, "n": 5, "ids": "one"}',
        "application/json",
        target="/api/x?url=from-query",
    )
    assert request.param("url") == "from-query"  # blank in the body: the query's
    assert request.param("requestId") == "id1"
    assert request.param("flag") is None  # a boolean is no parameter value
    assert request.param("n") == "5"
    assert request.param_list("ids") == ["one"]
    assert request.param_list("requestId") == ["id1", "id2"]
    assert request.param_list("missing") == []


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-4", 10, (0, 5)),
        ("bytes=5-", 10, (5, 10)),
        ("bytes=-3", 10, (7, 10)),
        ("bytes=-30", 10, (0, 10)),
        ("bytes=-0", 10, "unsatisfiable"),
        ("bytes=-5", 0, "unsatisfiable"),
        ("bytes=10-", 10, "unsatisfiable"),
        ("bytes=4-2", 10, None),
        ("bytes=-", 10, None),
        ("bytes=0-1,3-4", 10, None),
        ("items=0-1", 10, None),
    ],
)
def test_range_headers(header, size, expected):
    assert parse_range(header, size) == expected
