"""The one redaction helper (docs/api.md §1.2, §7.4)."""

from __future__ import annotations

import pytest

from offcloud_api.redact import MASK, SENSITIVE_KEYS, redact, redact_mapping, strip_query

KEY = "SECRET-KEY-123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"bad key {KEY}", "bad key ***"),
        (f"{KEY}{KEY}", "******"),
        ("https://x/y?key=abc123&page=2", "https://x/y?key=***&page=2"),
        ("https://x/y?apikey=abc&apiKey=def", "https://x/y?apikey=***&apiKey=***"),
        ("https://x/y?token=t0k#frag", "https://x/y?token=***#frag"),
        ("access_token=zz api_key=yy password=pw", "access_token=*** api_key=*** password=***"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
        ('{"h": "bearer xyz"}', '{"h": "bearer ***"}'),
        ("monkey=banana", "monkey=banana"),  # only whole parameter names
        ("nothing secret", "nothing secret"),
    ],
    ids=["secret", "twice", "key", "apikey", "token", "names", "bearer", "bearer-lower",
         "word-boundary", "clean"],
)  # fmt: skip
def test_redact(text, expected):
    assert redact(text, (KEY,)) == expected


def test_redact_ignores_empty_secrets():
    assert redact("abc", (None, "")) == "abc"


def test_redact_mapping_recurses():
    data = {
        "Authorization": f"Bearer {KEY}",
        "apiKey": KEY,
        "nested": {"password": "pw", "note": f"key is {KEY}", "n": 3},
        "items": [f"url?key={KEY}", {"token": "t"}, 5, None],
        "plain": "ok",
    }
    assert redact_mapping(data, (KEY,)) == {
        "Authorization": MASK,
        "apiKey": MASK,
        "nested": {"password": MASK, "note": "key is ***", "n": 3},
        "items": ["url?key=***", {"token": MASK}, 5, None],
        "plain": "ok",
    }
    assert data["apiKey"] == KEY  # a copy: the input is untouched


def test_sensitive_keys_cover_the_credentials():
    assert {"key", "apikey", "authorization", "password", "token"} <= SENSITIVE_KEYS


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://offcloud.com/api/cloud?key=abc#x", "https://offcloud.com/api/cloud"),
        ("https://offcloud.com/api/cloud", "https://offcloud.com/api/cloud"),
        ("http://127.0.0.1:8765/a/b/?x=1", "http://127.0.0.1:8765/a/b/"),
    ],
    ids=["query-and-fragment", "clean", "port"],
)
def test_strip_query(url, expected):
    assert strip_query(url) == expected
