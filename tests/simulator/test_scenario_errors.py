"""Scenario documents that are wrong in one way each: the error names the field and the fault.

Also the values the builders accept in each shape (sizes, dates, limits, extends chains), read
back from the built :class:`Scenario`.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from offcloud_api.simulator import Scenario, ScenarioError, load_scenario
from offcloud_api.simulator.scenario_fields import (
    Section,
    date_value,
    datetime_value,
    parse_size,
)

KEY = "A" * 32
OTHER_KEY = "B" * 32
HASH = "0123456789abcdef0123456789abcdef01234567"
JOB_ID = "0123456789abcdef01234567"
FILE = {"name": "a.bin", "size": 1}
ACCOUNT = {"key": KEY, "email": "me@example.com"}


def _job(**extra):
    return {"request_id": JOB_ID, "file": FILE, **extra}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        # top level
        ({"seed": "   "}, "scenario.seed: expected a non-empty string, got '   '"),
        ({"description": 5}, "scenario.description: expected a string, got 5"),
        ({"servers": ["Bad_Host"]}, "scenario.servers: 'Bad_Host' is not a host label"),
        ({"servers": "de-3"}, "scenario.servers: expected a list of strings"),
        ({"servers": [""]}, "scenario.servers: expected a list of strings"),
        ({"links": {"url": "x"}}, "scenario.links: expected a list, got"),
        ({"faults": ["boom"]}, "scenario.faults[0]: expected an object"),
        ({"clock": {"speedup": 0}}, "scenario.clock.speedup: expected a number >= 1e-06, got 0"),
        ({"clock": {"speedup": True}}, "scenario.clock.speedup: expected a number"),
        ({"clock": {"speedup": "fast"}}, "scenario.clock.speedup: expected a number"),
        ({"clock": []}, "scenario.clock: expected an object, got list"),
        # api
        ({"api": {"profile": "future"}}, "scenario.api.profile: expected one of 'live'"),
        ({"api": {"modern": "yes"}}, "scenario.api.modern: expected true or false, got 'yes'"),
        ({"api": {"error_status": 2.5}}, "scenario.api.error_status: expected an integer"),
        ({"api": {"error_status": True}}, "scenario.api.error_status: expected an integer"),
        ({"api": {"modern": False, "legacy": True}}, "the live profile is the 2026 API"),
        ({"api": {"file_index_base": 2}}, "scenario.api.file_index_base: expected 0 or 1"),
        (
            {"api": {"cloud_full_status": 99}},
            "scenario.api.cloud_full_status: expected an HTTP status, got 99",
        ),
        (
            {"api": {"cloud_full_status": 600}},
            "scenario.api.cloud_full_status: expected an HTTP status, got 600",
        ),
        # accounts
        ({"accounts": [ACCOUNT, {"key": KEY}]}, "two accounts have the same key"),
        ({"accounts": [{}]}, "scenario.accounts[0].key: required"),
        (
            {"accounts": [{"key": KEY, "expiration_date": "soon"}]},
            "scenario.accounts[0].expiration_date: expected a date YYYY-MM-DD, got 'soon'",
        ),
        (
            {"accounts": [{"key": KEY, "expiration_date": 20260101}]},
            "expected a date YYYY-MM-DD, got 20260101",
        ),
        (
            {"accounts": [{"key": KEY, "limits": {"links": True}}]},
            "scenario.accounts[0].limits: expected an object of numbers or strings",
        ),
        (
            {"accounts": [{"key": KEY, "limits": [1]}]},
            "scenario.accounts[0].limits: expected an object of numbers or strings",
        ),
        (
            {"accounts": [{"key": KEY, "storage_bytes": -1}]},
            "scenario.accounts[0].storage_bytes: expected a size in bytes",
        ),
        # sites
        (
            {"sites": [{"name": "x", "max_chunks": "many"}]},
            "scenario.sites[0].max_chunks: expected an integer or \"unlimited\", got 'many'",
        ),
        (
            {"sites": [{"name": "x", "max_chunks": False}]},
            "scenario.sites[0].max_chunks: expected an integer",
        ),
        # links and files
        (
            {"links": [{"url": "https://x.test/a", "file": {"size": 1}}]},
            "scenario.links[0].file: a file needs a path or a name",
        ),
        (
            {"links": [{"url": "https://x.test/a", "file": {"path": "//", "size": 1}}]},
            "a file needs a path or a name",
        ),
        (
            {"links": [{"url": "https://x.test/a", "file": {"name": "a"}}]},
            "scenario.links[0].file.size: required",
        ),
        (
            {
                "links": [
                    {
                        "url": "https://x.test/a",
                        "files": [FILE, {"name": "b", "size": 1}],
                        "kind": "file",
                    }
                ]
            },
            "scenario.links[0]: kind 'file' takes exactly one file",
        ),
        (
            {
                "links": [
                    {"url": "https://x.test/a", "file": FILE},
                    {"url": "https://x.test/a", "file": FILE},
                ]
            },
            "scenario.links: 'https://x.test/a' appears twice",
        ),
        (
            {"links": [{"url": "https://x.test/a", "file": FILE, "error_route": "tcp"}]},
            "scenario.links[0].error_route: expected one of 'instant', 'cloud', got 'tcp'",
        ),
        (
            {"links": [{"url": "https://x.test/a", "file": FILE, "instant": 1}]},
            "scenario.links[0].instant: expected true or false, got 1",
        ),
        (
            {"links": [{"url": "https://x.test/a", "file": FILE, "queued": -1}]},
            "scenario.links[0].queued: expected a number >= 0, got -1",
        ),
        # torrents
        ({"torrents": [{"name": "t", "file": FILE}]}, "scenario.torrents[0]: needs info_hash"),
        (
            {"torrents": [{"info_hash": "zz", "name": "t", "file": FILE}]},
            "scenario.torrents[0]: needs info_hash (40 hex) or magnet",
        ),
        ({"torrents": [{"info_hash": HASH, "name": "t"}]}, "a torrent needs files"),
        (
            {
                "torrents": [
                    {"info_hash": HASH, "name": "t", "file": FILE},
                    {"magnet": f"magnet:?xt=urn:btih:{HASH}", "name": "u", "file": FILE},
                ]
            },
            f"scenario.torrents: '{HASH}' appears twice",
        ),
        # jobs
        ({"jobs": [_job()]}, "scenario.jobs[0]: a job needs an account, and there is none"),
        (
            {"accounts": [ACCOUNT], "jobs": [_job(account="nobody@example.com")]},
            "scenario.jobs[0].account: no account with key or email 'nobody@example.com'",
        ),
        (
            {"accounts": [ACCOUNT], "jobs": [{"request_id": JOB_ID}]},
            "scenario.jobs[0]: a job needs files",
        ),
        (
            {"accounts": [ACCOUNT], "jobs": [_job(), _job()]},
            f"scenario.jobs: '{JOB_ID}' appears twice",
        ),
        (
            {"accounts": [ACCOUNT], "jobs": [_job(created_on="yesterday")]},
            "scenario.jobs[0].created_on: expected an ISO-8601 time, got 'yesterday'",
        ),
        (
            {"accounts": [ACCOUNT], "jobs": [_job(created_on=0)]},
            "scenario.jobs[0].created_on: expected an ISO-8601 time, got 0",
        ),
        (
            {"accounts": [ACCOUNT], "jobs": [_job(status="lost")]},
            "scenario.jobs[0].status: expected one of",
        ),
        # direct files
        (
            {"direct_files": [{"url": "ftp://t.test/a", "size": 1}]},
            "scenario.direct_files[0].url: expected http(s)://host/path, got 'ftp://t.test/a'",
        ),
        (
            {"direct_files": [{"url": "https://cdn.offcloud.com/a", "size": 1}]},
            "scenario.direct_files[0].url: offcloud.com hosts are the simulator's own",
        ),
        (
            {"direct_files": [{"url": "https://offcloud.com/a", "size": 1}]},
            "offcloud.com hosts are the simulator's own",
        ),
        # proxies, remote accounts
        ({"proxies": [{"id": "p1"}]}, "scenario.proxies[0].name: required"),
        ({"remote_accounts": [{}]}, "scenario.remote_accounts[0].remote_option_id: required"),
        # oauth
        (
            {"accounts": [ACCOUNT], "oauth": {"account": "other@example.com"}},
            "scenario.oauth.account: no account 'other@example.com'",
        ),
        ({"oauth": {"slow_down_polls": [0]}}, "scenario.oauth.slow_down_polls: expected a list"),
        ({"oauth": {"slow_down_polls": [True]}}, "scenario.oauth.slow_down_polls"),
        ({"oauth": {"slow_down_polls": 3}}, "got 3"),
        ({"oauth": {"pending_polls": -1}}, "scenario.oauth.pending_polls: expected 0 or more"),
        ({"oauth": {"interval": 0}}, "scenario.oauth: interval and expires_in must be more"),
        ({"oauth": {"expires_in": 0}}, "scenario.oauth: interval and expires_in must be more"),
        ({"oauth": {"decision": "maybe"}}, "scenario.oauth.decision: expected one of"),
        # extends
        ({"extends": "default", "api": {"profile": "nope"}}, "scenario.api.profile"),
    ],
)
def test_each_wrong_document_names_its_field(document, message):
    with pytest.raises(ScenarioError) as raised:
        load_scenario(document)
    assert message in str(raised.value)


def test_a_missing_required_choice_lists_the_choices():
    section = Section({}, "here", ("pick",))
    with pytest.raises(ScenarioError, match=r"here.pick: required \(one of a, b\)"):
        section.choice("pick", ("a", "b"), None)
    assert section.opt_choice("pick", ("a", "b")) is None
    assert Section({"pick": "b"}, "here", ("pick",)).opt_choice("pick", ("a", "b")) == "b"


def test_section_reads_optional_values_as_none_or_their_type():
    section = Section({"n": 2, "f": False, "t": " x "}, "s", ("n", "f", "t", "absent"))
    assert section.opt_number("n") == 2.0
    assert section.opt_number("absent") is None
    assert section.opt_flag("f") is False
    assert section.opt_flag("absent") is None
    assert section.text("t") == "x"
    assert section.limit("absent", "unlimited") == "unlimited"
    assert section.integer("absent", 7) == 7
    with pytest.raises(ScenarioError, match=r"s\.t: expected true or false, got ' x '"):
        section.opt_flag("t")


@pytest.mark.parametrize("value", [-1, True, "4 XB", "lots", None, 1.5])
def test_sizes_that_are_not_sizes_are_refused(value):
    with pytest.raises(ScenarioError, match=r"where: expected a size in bytes"):
        parse_size(value, "where")


def test_dates_and_times_in_their_accepted_shapes():
    assert date_value(" 2026-03-04T10:00:00Z", "d") == date(2026, 3, 4)
    naive = datetime_value("2026-03-04T10:00:00", "t")
    assert naive == datetime(2026, 3, 4, 10, tzinfo=timezone.utc)
    zulu = datetime_value("2026-03-04T10:00:00Z", "t")
    assert zulu.utcoffset() == timedelta(0)
    shifted = datetime_value("2026-03-04T12:00:00+02:00", "t")
    assert shifted == zulu


def test_accepted_values_are_built_as_written():
    scenario = load_scenario(
        {
            "servers": ["fr-1", "de-3"],
            "api": {"cloud_full_status": 507, "file_index_base": 0},
            "accounts": [
                {"key": KEY, "expires_in_days": 3, "limits": {"links": 5, "cloud": "unlimited"}},
                {"key": OTHER_KEY, "expiration_date": "2027-01-02", "storage_bytes": "1 GiB"},
            ],
            "sites": [{"name": "host.test", "max_chunks": "unlimited", "max_chunks_global": 4}],
            "torrents": [
                {"magnet": f"magnet:?xt=urn:btih:{HASH.upper()}", "name": "T", "file": FILE}
            ],
            "jobs": [
                _job(account=OTHER_KEY, created_on="2026-01-01T00:00:00Z"),
                {"request_id": "f" * 24, "files": [{"path": "dir/a", "size": 2}], "server": "x-1"},
            ],
            "proxies": [{"id": "p1", "name": "Proxy"}],
            "remote_accounts": [{"remote_option_id": "r1"}],
            "oauth": {"account": KEY, "slow_down_polls": [3, 1, 3]},
        }
    )
    first, second = scenario.accounts
    today = datetime.now(timezone.utc).date()
    assert first.expiration_date in (today + timedelta(days=3), today + timedelta(days=4))
    assert first.limits == {"links": 5, "cloud": "unlimited"}
    assert (second.expiration_date, second.storage_bytes) == (date(2027, 1, 2), 1 << 30)
    assert scenario.api.cloud_full_status == 507
    assert scenario.api.file_index_base == 0
    site = scenario.sites[0]
    assert (site.max_chunks, site.max_chunks_global, site.hosts) == ("unlimited", 4, ("host.test",))
    assert scenario.torrent("t").info_hash == HASH
    single, folder = scenario.jobs
    assert (single.account, single.server, single.is_directory) == (OTHER_KEY, "fr-1", False)
    assert single.created_on == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert (folder.account, folder.server, folder.is_directory, folder.name) == (
        KEY,
        "x-1",
        True,
        "dir",
    )
    proxy = scenario.proxies[0]
    assert (proxy.id, proxy.name, proxy.region) == ("p1", "Proxy", "eu")
    remote = scenario.remote_accounts[0]
    assert (remote.account_id, remote.type, remote.path) == ("r1", "gdrive", "/")
    assert scenario.oauth.slow_down_polls == (1, 3)


def test_lookups_of_unknown_names_raise_key_error():
    scenario = Scenario(name="empty")
    for lookup in (scenario.link, scenario.torrent, scenario.job, scenario.direct_file):
        with pytest.raises(KeyError):
            lookup("nothing")
    with pytest.raises(KeyError):
        scenario.account("nobody@example.com")


def test_json_text_is_read_as_a_scenario():
    assert load_scenario('  {"name": "from-text"}').name == "from-text"
    with pytest.raises(ValueError):
        load_scenario("{not json")


def test_files_that_are_not_json_objects_are_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    with pytest.raises(ScenarioError, match=r"broken.json: not valid JSON"):
        load_scenario(broken)
    listed = tmp_path / "listed.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ScenarioError, match=r"listed.json: expected a JSON object at the top"):
        load_scenario(str(listed))


def test_a_yaml_file_without_pyyaml_says_to_use_json(tmp_path, monkeypatch):
    path = tmp_path / "s.yml"
    path.write_text("name: x\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ScenarioError, match=r"s.yml: YAML scenarios need PyYAML; use JSON"):
        load_scenario(path)


def test_extends_chains_resolve_relative_paths_and_stop_when_too_deep(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.json").write_text(json.dumps({"name": "base", "seed": "s1"}))
    (tmp_path / "mid.json").write_text(json.dumps({"extends": "sub/base.json", "name": "mid"}))
    absolute = tmp_path / "top.json"
    absolute.write_text(json.dumps({"extends": str(tmp_path / "mid.json")}))
    scenario = load_scenario(absolute)
    assert (scenario.name, scenario.seed) == ("mid", "s1")

    loop = tmp_path / "loop.json"
    loop.write_text(json.dumps({"extends": "loop.json"}))
    with pytest.raises(ScenarioError, match="extends: chain too deep"):
        load_scenario(loop)


def test_list_merge_replaces_by_identity_and_appends_the_rest(tmp_path):
    base = tmp_path / "base.json"
    base.write_text(
        json.dumps({"links": [{"url": "https://x.test/a", "file": FILE}, "not-an-object-is-kept"]})
    )
    with pytest.raises(ScenarioError, match=r"scenario.links\[1\]: expected an object"):
        load_scenario(
            {
                "extends": str(base),
                "links": [
                    {"url": "https://x.test/a", "file": {"name": "new.bin", "size": 2}},
                    "also-not-an-object",
                ],
            }
        )
    base.write_text(json.dumps({"links": [{"url": "https://x.test/a", "file": FILE}]}))
    scenario = load_scenario(
        {
            "extends": str(base),
            "links": [
                {"url": "https://x.test/a", "file": {"name": "new.bin", "size": 2}},
                {"url": "https://x.test/b", "file": FILE},
            ],
        }
    )
    assert [(link.url, link.name) for link in scenario.links] == [
        ("https://x.test/a", "new.bin"),
        ("https://x.test/b", "a.bin"),
    ]
