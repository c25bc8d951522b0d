"""pyLoad reads plugin metadata from the source text with regexes (docs/pyload-ng.md §1.1).

These tests run pyLoad's own ``PluginManager.parse`` over our installed files, so a version that is
not a float, a ``]`` inside ``__config__`` or a quote inside ``__pattern__`` fails here instead of
crashing or silently disabling the plugin in a user's pyLoad.
"""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import pytest

from offcloud_api.pyload import installer

plugin_manager = pytest.importorskip("pyload.core.managers.plugin_manager")

FOLDERS = sorted({folder for folder, _ in installer.shipped_files()})


class _Config:
    def delete_config(self, name: str) -> None:
        raise AssertionError(f"pyLoad treated {name} as a base plugin")


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, dict]]:
    userdir = tmp_path_factory.mktemp("pyload-home")
    installer.install(userdir)
    manager = plugin_manager.PluginManager.__new__(plugin_manager.PluginManager)
    manager.pyload = SimpleNamespace(
        userdir=str(userdir), log=logging.getLogger("pyload-parse"), config=_Config()
    )
    manager._ = lambda text: text
    # ``home`` is the index of pyLoad's own plugins; none of ours may be shadowed by one.
    return {
        folder: manager.parse(folder, pattern=True, home={"NotOurs": {"v": 0.0}})
        for folder in FOLDERS
    }


def test_every_shipped_file_is_indexed(parsed: dict[str, tuple[dict, dict]]) -> None:
    for folder, source in installer.shipped_files():
        plugins, configs = parsed[folder]
        assert source.stem in plugins, f"{folder}/{source.name} was not indexed"
        assert source.stem in configs


def test_versions_are_floats_like_pyload_wants(parsed: dict[str, tuple[dict, dict]]) -> None:
    for folder, source in installer.shipped_files():
        version = parsed[folder][0][source.stem]["v"]
        assert isinstance(version, float)
        assert version > 0
        text = source.read_text(encoding="utf-8")
        assert re.search(r'__version__ = "\d+\.\d\d"', text), "keep versions as M.mm"


def test_patterns_compile_and_are_not_truncated(parsed: dict[str, tuple[dict, dict]]) -> None:
    for folder in ("downloaders", "decrypters"):
        if folder not in parsed:
            continue
        for name, entry in parsed[folder][0].items():
            source = next(p for f, p in installer.shipped_files() if p.stem == name and f == folder)
            declared = re.search(r"__pattern__ = r\"(.*)\"", source.read_text(encoding="utf-8"))
            assert declared is not None
            assert entry["pattern"] == declared.group(1), "a quote truncated the pattern"
            assert entry["re"].pattern == entry["pattern"]


def test_config_is_read_whole(parsed: dict[str, tuple[dict, dict]]) -> None:
    for folder, source in installer.shipped_files():
        config = parsed[folder][1][source.stem]
        text = source.read_text(encoding="utf-8")
        declared = re.findall(r'^\s+\("(\w+)",', text, re.MULTILINE)
        options = [name for name in config if name != "desc"]
        assert set(declared) <= set(options) | {"enabled"}, "a ] cut the config short"
        assert config["desc"], "the description was lost"
        for option in options:
            kind = config[option][0]
            assert kind in {"bool", "int", "float", "str", "password", "file", "folder"} or (
                ";" in kind
            ), f"{source.stem}.{option} has type {kind!r}"


def test_account_and_downloader_share_the_name(parsed: dict[str, tuple[dict, dict]]) -> None:
    # A MultiAccount finds its downloader by its own class name (docs/pyload-ng.md §1.1).
    assert "OffcloudCom" in parsed["accounts"][0]
    assert "OffcloudCom" in parsed["downloaders"][0]


@pytest.mark.parametrize(
    ("url", "matches"),
    [
        ("https://de-3.offcloud.com/cloud/download/5713129db40677dd57001377/yahei_mono.ttf", True),
        (
            "https://de-3.offcloud.com/cloud/download/682fec68087e0a20ce1e7f95/1/Show%20-%2001.mkv",
            True,
        ),
        ("http://fr-1.offcloud.com/cloud/download/abc/0/a.bin", True),
        ("https://offcloud.com/cloud/download/682fec68087e0a20ce1e7f95", False),
        ("https://offcloud.com/api/cloud/explore/682fec68087e0a20ce1e7f95", False),
        ("https://rapidgator.net/file/abc123/demo.bin.html", False),
        ("https://evil.example/x.offcloud.com/cloud/download/a/b", False),
        ("magnet:?xt=urn:btih:08ada5a7a6183aae1e09d831df6748d566095a10", False),
    ],
)
def test_downloader_pattern_takes_offcloud_file_urls_only(
    parsed: dict[str, tuple[dict, dict]], url: str, matches: bool
) -> None:
    assert bool(parsed["downloaders"][0]["OffcloudCom"]["re"].match(url)) is matches
