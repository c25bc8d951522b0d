"""The call log's body summaries and the file helpers, without a server."""

from __future__ import annotations

import pytest

from offcloud_api.simulator.calllog import SUMMARY_LIMIT, CallLog, summarize_body
from offcloud_api.simulator.files import (
    FileSpec,
    expected_sha256,
    file_sha256,
    iter_content,
)

SECRET = "SECRET-KEY-123"


def test_a_broken_json_body_is_summarized_as_a_form_with_the_secret_masked():
    summary = summarize_body(b'{"url=x&key=' + SECRET.encode(), "application/json", [SECRET])
    assert SECRET not in summary
    assert summary.startswith("{")


def test_a_long_body_is_cut_with_an_ellipsis():
    summary = summarize_body(b"x" * (SUMMARY_LIMIT * 2), "text/plain", [])
    assert len(summary) == SUMMARY_LIMIT
    assert summary.endswith("…")


def test_an_empty_body_has_no_summary_and_a_new_log_is_empty():
    assert summarize_body(b"", "application/json", [SECRET]) == ""
    assert len(CallLog()) == 0


def test_a_file_on_disk_has_the_hash_of_the_content_it_was_made_from(tmp_path):
    spec = FileSpec("a.bin", 3 << 20, "seed-1")
    path = tmp_path / "a.bin"
    with path.open("wb") as out:
        for piece in iter_content(spec.seed, spec.size):
            out.write(piece)
    assert file_sha256(path) == expected_sha256(spec) == expected_sha256("seed-1", 3 << 20)
    with pytest.raises(ValueError, match="needs the size"):
        expected_sha256("seed-1")
