"""pyLoad's plugin storage as the Offcloud plugins share it (offcloud_api/pyload/storage.py).

The one store (``PluginStore``) over pyLoad's storage table, the file-link notes (``FileLinks``),
the one ``stored_request_ids``, and every key format. Keys and values are what installed plugins
wrote before: a note written in the old literal format is read by the new code.
"""

from __future__ import annotations

import hashlib
import json
from base64 import b85decode, b85encode
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import FakePyloadDb
from pyload.plugins.helpers import DB

from offcloud_api.models import CloudFile
from offcloud_api.pyload.background import Follower
from offcloud_api.pyload.cloudroom import Created, CreatedJobs
from offcloud_api.pyload.qbit_torrents import ArrStore
from offcloud_api.pyload.resume import Keeper
from offcloud_api.pyload.storage import (
    ARR_STORAGE,
    DOWNLOADER,
    FOLDER_DECRYPTER,
    HOOK_STORAGE,
    HOSTS_KEY,
    IMPORT_BASELINE_KEY,
    TORRENT_DECRYPTER,
    FileLinks,
    PluginStore,
    arr_category_key,
    arr_torrent_key,
    bulk_done_key,
    bulk_done_prefix,
    bulk_key,
    created_key,
    decode_stored,
    encode_stored,
    file_link_key,
    follow_key,
    imported_key,
    ip_notice_key,
    job_storage_key,
    notice_key,
    resume_key,
    stored_request_ids,
    torrent_job_key,
)

JOB = "682fec68087e0a20ce1e7f95"
OTHER = "5f0c0ffee0c0ffee0c0ffee1"
KEY = "SimSoonKey000000000000000000004x"
CDN = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/aBc123SiGnEd/x9/Demo%20File.mkv"
CDN_FRESH = (
    "https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/frostyicebreath-sto/ZzFresh/x9/Demo%20File.mkv"
)
HASH = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"


def pyload_stored(value: object) -> str:
    """What pyLoad's ``DB.store`` writes: base85 of JSON."""
    return b85encode(json.dumps(value).encode()).decode()


def old_digest(url: str) -> str:
    """The link digest the keys have always used: sha256 of the stripped link, 32 hex digits."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:32]


class PyloadPlugin:
    """What pyLoad's own ``DB`` helper (``plugin.db``) needs of a plugin."""

    def __init__(self, db: FakePyloadDb, classname: str) -> None:
        self.classname = classname
        self.pyload = SimpleNamespace(db=db)


# --------------------------------------------------------------------------------------------
# the store


def test_plugin_storage_is_read_and_written_in_pyloads_encoding() -> None:
    db = FakePyloadDb()
    store = PluginStore(db, "OffcloudComHook")
    store.store("follow:1", {"link_id": 1, "name": "Ünïcode"})
    store.store("other", [1, 2])
    raw = db.rows["OffcloudComHook"]["follow:1"]
    assert json.loads(b85decode(raw)) == {"link_id": 1, "name": "Ünïcode"}
    assert store.retrieve("follow:1") == {"link_id": 1, "name": "Ünïcode"}
    assert store.retrieve("missing", "default") == "default"
    assert list(store.items("follow:")) == [("follow:1", {"link_id": 1, "name": "Ünïcode"})]
    assert sorted(map(str, store.values())) == ["[1, 2]", str({"link_id": 1, "name": "Ünïcode"})]
    assert list(PluginStore(db, "OffcloudCom").items()) == []  # another plugin's storage
    db.set_storage("OffcloudComHook", "plain", '{"request_id": "abc"}')  # plain JSON is read too
    assert store.retrieve("plain") == {"request_id": "abc"}
    store.delete("follow:1")
    assert store.retrieve("follow:1") is None
    assert "follow:1" not in db.rows["OffcloudComHook"]


def test_the_store_and_pyloads_own_db_helper_read_each_other() -> None:
    db = FakePyloadDb()
    theirs = DB(PyloadPlugin(db, DOWNLOADER))  # what a plugin's self.db is
    ours = PluginStore(db, DOWNLOADER)
    theirs.store("job:a", {"request_id": JOB, "retried": False})
    assert ours.retrieve("job:a") == {"request_id": JOB, "retried": False}
    ours.store("hosts:last_good", ["rapidgator", "nitroflare"])
    assert theirs.retrieve("hosts:last_good") == ["rapidgator", "nitroflare"]
    assert db.rows[DOWNLOADER]["hosts:last_good"] == encode_stored(["rapidgator", "nitroflare"])
    assert decode_stored(encode_stored({"ä": [1]})) == {"ä": [1]}


def test_has_sees_any_stored_value_even_an_unreadable_one() -> None:
    db = FakePyloadDb()
    store = PluginStore(db, DOWNLOADER)
    assert not store.has("created:x")
    db.set_storage(DOWNLOADER, "created:x", "not base85 at all ~~~")
    assert store.has("created:x")
    assert store.retrieve("created:x") is None


@pytest.mark.parametrize("raw", [None, 5, "{", b'{"a": 1}'])
def test_decode_stored_takes_what_a_storage_table_may_hold(raw: Any) -> None:
    expected = {None: None, 5: 5, "{": None, b'{"a": 1}': {"a": 1}}[raw]
    assert decode_stored(raw) == expected


# --------------------------------------------------------------------------------------------
# request ids: one function for the clean-up, the room-making, the import and the loop


def test_every_remembered_request_id_is_known() -> None:
    db = FakePyloadDb()
    one, two = PluginStore(db, "OffcloudCom"), PluginStore(db, TORRENT_DECRYPTER)
    one.store("job:a", {"request_id": "r1", "retried": True})
    one.store("file:x", {"request_id": "r2", "path": "a.bin"})
    two.store("job:b", {"request_id": "r3"})
    two.store("job:c", {"submitted_at": 5.0})  # an add whose answer is not in yet
    two.store("other", ["r4"])
    assert stored_request_ids([one, two]) == {"r1", "r2", "r3"}
    assert stored_request_ids([]) == set()


def test_request_ids_are_read_from_pyload_plugin_storage() -> None:
    db = FakePyloadDb()
    db.rows["X"] = {
        "job:1": pyload_stored({"request_id": JOB, "retried": False}),
        "job:2": pyload_stored({"jobs": [{"requestId": OTHER}], "request_id": None}),
        "plain": json.dumps({"request_id": "c" * 24}),
        "bytes": pyload_stored({"request_id": "d" * 24}).encode(),  # type: ignore[dict-item]
        "dict": {"request_id": "e" * 24},  # type: ignore[dict-item]
        "broken": "not json at all {",
        "empty": pyload_stored({"request_id": ""}),
    }
    assert stored_request_ids([PluginStore(db, "X")]) == {JOB, OTHER, "c" * 24, "d" * 24, "e" * 24}
    assert stored_request_ids([PluginStore(db, "Nothing")]) == set()


def test_a_request_id_nested_anywhere_in_a_value_counts() -> None:
    db = FakePyloadDb()
    store = PluginStore(db, HOOK_STORAGE)
    store.store("a", {"batch": {"jobs": [{"request_id": "n1"}, {"x": [{"requestId": "n2"}]}]}})
    store.store("b", [[{"request_id": "n3"}], "request_id"])
    store.store("c", {"request_id": 7, "requestId": ["n4"]})  # not strings: nothing
    store.store("d", "n5")
    assert stored_request_ids([store]) == {"n1", "n2", "n3"}


def test_keys_limit_the_values_read() -> None:
    db = FakePyloadDb()
    downloader, hook = PluginStore(db, DOWNLOADER), PluginStore(db, HOOK_STORAGE)
    downloader.store("job:a", {"request_id": "a"})
    downloader.store("job:b", {"request_id": "b"})
    hook.store("job:a", {"request_id": "h"})
    assert stored_request_ids([downloader], keys={"job:a"}) == {"a"}
    assert stored_request_ids([downloader, hook], keys={"job:a", "gone"}) == {"a", "h"}
    assert stored_request_ids([downloader], keys=()) == set()


# --------------------------------------------------------------------------------------------
# file links


def test_file_link_notes_live_in_the_downloader_storage_in_pyload_encoding() -> None:
    db = FakePyloadDb()
    store = FileLinks(db)
    file = CloudFile(name="Demo File.mkv", url=CDN, path="Demo.Release/Demo File.mkv")
    store.remember(JOB, [file])
    raw = db.rows["OffcloudCom"][file_link_key(CDN)]
    # pyLoad's DB helper: base85 of JSON (pyload.plugins.helpers.DB), so self.db reads it too.
    assert json.loads(b85decode(raw.encode())) == {
        "request_id": JOB,
        "path": "Demo.Release/Demo File.mkv",
    }
    assert store.lookup(CDN) == {"request_id": JOB, "path": "Demo.Release/Demo File.mkv"}
    assert store.lookup(CDN_FRESH) is None
    assert store.job_of(CDN) == JOB  # what the addons hand the clean-up as its JobLookup
    assert store.job_of(CDN_FRESH) is None
    assert file_link_key(CDN) != job_storage_key(CDN)  # a file link is no job to follow
    store.forget(CDN)
    assert store.lookup(CDN) is None


def test_a_broken_note_reads_as_none() -> None:
    db = FakePyloadDb()
    db.set_storage("OffcloudCom", file_link_key(CDN), "not base85 at all ~~~")
    assert FileLinks(db).lookup(CDN) is None
    db.set_storage("OffcloudCom", file_link_key(CDN), b85encode(b'{"path": "x"}').decode())
    assert FileLinks(db).lookup(CDN) is None  # no job in it


def test_file_link_notes_of_removed_jobs_are_forgotten() -> None:
    db = FakePyloadDb()
    store = FileLinks(db)
    gone = SimpleNamespace(url="https://cdn.test/gone", path="g", name="g")
    kept = SimpleNamespace(url="https://cdn.test/kept", path="k", name="k")
    nameless = SimpleNamespace(url="https://cdn.test/nameless", path=None, name="n.bin")
    store.remember("old", [gone, nameless])
    store.remember("live", [kept])
    assert store.lookup(nameless.url) == {"request_id": "old", "path": "n.bin"}
    db.set_storage("OffcloudCom", "job:x", encode_stored({"request_id": "old"}))
    store.forget_jobs(["old"])
    assert store.job_of(gone.url) is None
    assert store.job_of(nameless.url) is None
    assert store.job_of(kept.url) == "live"
    assert "job:x" in db.rows["OffcloudCom"]  # only file-link notes go


# --------------------------------------------------------------------------------------------
# every key, as installed plugins wrote it


def test_the_shared_storages_are_the_plugins_class_names() -> None:
    assert (DOWNLOADER, TORRENT_DECRYPTER, FOLDER_DECRYPTER) == (
        "OffcloudCom",
        "OffcloudComTorrent",
        "OffcloudComFolder",
    )
    assert (HOOK_STORAGE, ARR_STORAGE) == ("OffcloudComHook", "OffcloudComArr")


def test_every_key_keeps_its_format() -> None:
    link = " https://rapidgator.net/file/abc/x.bin "
    assert job_storage_key(link) == "job:" + old_digest(link)
    assert job_storage_key(link) == job_storage_key(link.strip())
    assert torrent_job_key(HASH) == "job:" + old_digest("btih:" + HASH)
    assert torrent_job_key(HASH.upper()) == torrent_job_key(HASH)
    assert file_link_key(CDN) == "file:" + old_digest(CDN)
    assert created_key(JOB) == f"created:{JOB}"
    assert follow_key(7) == "follow:7"
    assert resume_key(7) == "resume:7"
    assert IMPORT_BASELINE_KEY == "import:baseline"
    assert imported_key(JOB) == f"imported:{JOB}"
    assert bulk_key("b1") == "bulk:b1"
    assert bulk_done_key("b1", HASH) == f"bulkdone:b1:{HASH}"
    assert bulk_done_key("b1", HASH).startswith(bulk_done_prefix("b1"))
    assert HOSTS_KEY == "hosts:last_good"
    assert ip_notice_key("0123abcd") == "notices:ip:0123abcd"
    assert arr_torrent_key(HASH.upper()) == f"arr:t:{HASH}"
    assert arr_category_key("tv") == "arr:c:tv"


def test_notices_are_kept_by_the_offcloud_user_so_two_logins_share_them() -> None:
    assert notice_key(OTHER, KEY) == notice_key(OTHER, "AnotherKey000000000000000000000")
    assert notice_key(OTHER, KEY) == f"notices:user:{OTHER}"


def test_without_a_user_id_the_notice_key_is_a_digest_never_the_key() -> None:
    key = notice_key(None, KEY)
    assert KEY not in key
    assert key == "notices:key:" + hashlib.sha256(KEY.encode()).hexdigest()[:16]
    assert key == notice_key(None, f" {KEY} ")  # the password field as typed, spaces and all
    assert key != notice_key(None, "AnotherKey000000000000000000000")


def test_notes_written_before_the_change_are_read() -> None:
    """Rows as plugins of an earlier version wrote them (literal keys, pyLoad's DB helper)."""
    db = FakePyloadDb()
    downloader = DB(PyloadPlugin(db, "OffcloudCom"))
    downloader.store("file:" + old_digest(CDN), {"request_id": JOB, "path": "a/b.mkv"})
    downloader.store(f"created:{JOB}", {"at": 12.5, "done": False})
    downloader.store(f"created:{OTHER}", {"at": 3, "done": True})
    hook = DB(PyloadPlugin(db, "OffcloudComHook"))
    hook.store("follow:4", {"link_id": 4, "plugin": "OffcloudComTorrent", "storage_key": "k",
                            "name": "n", "request_id": OTHER})  # fmt: skip
    hook.store("resume:9", {"link_id": 9, "plugin": "OffcloudCom", "name": "r"})
    arr = DB(PyloadPlugin(db, "OffcloudComArr"))
    arr.store("arr:c:tv", {"folder": "tv"})
    arr.store(f"arr:t:{HASH}", {"info_hash": HASH, "name": "n", "link": "magnet:", "added_on": 1})

    assert FileLinks(db).lookup(CDN) == {"request_id": JOB, "path": "a/b.mkv"}
    assert sorted(CreatedJobs(db).entries(), key=lambda c: c.at) == [
        Created(request_id=OTHER, at=3.0, done=True),
        Created(request_id=JOB, at=12.5, done=False),
    ]
    CreatedJobs(db).mark_done(JOB)
    assert downloader.retrieve(f"created:{JOB}") == {"at": 12.5, "done": True}
    hook_store = PluginStore(db, HOOK_STORAGE)
    follower = Follower(
        SimpleNamespace(),  # type: ignore[arg-type]
        hook_store,
        lambda: None,
        plugin_store=lambda plugin: PluginStore(db, plugin),
    )
    assert [(e.link_id, e.request_id) for e in follower.snapshot()] == [(4, OTHER)]
    keeper = Keeper(hook_store, SimpleNamespace())  # type: ignore[arg-type]
    assert list(keeper.noted()) == [9]
    bridge = ArrStore(PluginStore(db, ARR_STORAGE))
    assert bridge.categories() == {"tv": "tv"}
    assert [record.info_hash for record in bridge.torrents()] == [HASH]
    assert stored_request_ids([PluginStore(db, DOWNLOADER), PluginStore(db, HOOK_STORAGE)]) == {
        JOB,
        OTHER,
    }
