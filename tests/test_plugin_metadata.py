"""pyLoad reads plugin metadata from the source text with regexes (docs/pyload.md §1.1).

These tests run pyLoad's own ``PluginManager.parse`` over our installed files, so a version that is
not a float, a ``]`` inside ``__config__`` or a quote inside ``__pattern__`` fails here instead of
crashing or silently disabling the plugin in a user's pyLoad.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from offcloud_api.install import installer
from offcloud_api.pyload.filters import FILTER_OPTIONS
from offcloud_api.pyload.links import FILE_URL_PATTERN
from offcloud_api.pyload.plugin_glue import DECRYPTER_FILTER_OPTIONS, DOWNLOADER_FILTER_OPTIONS

plugin_manager = pytest.importorskip("pyload.core.managers.plugin_manager")

FOLDERS = sorted({folder for folder, _ in installer.shipped_files()})


#: The shared base every plugin imports first (plugins/base/): pyLoad indexes it without a config.
BASES = {source.stem for folder, source in installer.shipped_files() if folder == "base"}


class _Config:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_config(self, name: str) -> None:
        # pyLoad drops the config of what it indexes as a base plugin: only our base may be one.
        if name not in BASES:
            raise AssertionError(f"pyLoad treated {name} as a base plugin")
        self.deleted.append(name)


@pytest.fixture(scope="module")
def manager(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """pyLoad's plugin manager on a user folder with our plugins installed (no core started)."""
    userdir = tmp_path_factory.mktemp("pyload-home")
    installer.install(userdir)
    found = plugin_manager.PluginManager.__new__(plugin_manager.PluginManager)
    found.pyload = SimpleNamespace(
        userdir=str(userdir), log=logging.getLogger("pyload-parse"), config=_Config()
    )
    found._ = lambda text: text
    return found


@pytest.fixture(scope="module")
def parsed(manager: Any) -> dict[str, tuple[dict, dict]]:
    # ``home`` is the index of pyLoad's own plugins; none of ours may be shadowed by one.
    return {
        folder: manager.parse(folder, pattern=True, home={"NotOurs": {"v": 0.0}})
        for folder in FOLDERS
    }


@pytest.fixture(scope="module")
def route(manager: Any) -> Callable[[str], str]:
    """The plugin pyLoad picks for a URL: its whole index (its own plugins, then ours appended),
    decrypters first, then downloaders, then containers, first match wins (pyload-ng.md §1.3).
    The multi-hoster's runtime additions to our downloader's pattern are left out."""
    index = [
        (name, entry["re"])
        for folder in ("decrypters", "downloaders", "containers")
        for name, entry in manager.parse(folder, pattern=True)[0].items()
    ]

    def plugin_for(url: str) -> str:
        return next((name for name, regex in index if regex.match(url)), "DefaultPlugin")

    return plugin_for


def test_every_shipped_file_is_indexed(parsed: dict[str, tuple[dict, dict]]) -> None:
    for folder, source in installer.shipped_files():
        plugins, configs = parsed[folder]
        assert source.stem in plugins, f"{folder}/{source.name} was not indexed"
        if folder == "base":
            assert plugins[source.stem]["user"], "pyLoad serves it from the user folder"
            assert source.stem not in configs
        else:
            assert source.stem in configs


def test_the_shared_base_is_one_pyload_serves_to_our_plugins(
    manager: Any, parsed: dict[str, tuple[dict, dict]]
) -> None:
    """``from ..base.offcloud_bootstrap import ...`` in a plugin asks pyLoad's import redirector
    for ``pyload.plugins.base.offcloud_bootstrap``: it answers with the file in the user folder
    when the index has it as a user plugin (a name starting with ``_`` is never indexed)."""
    assert {"offcloud_bootstrap"} == BASES
    assert manager.pyload.config.deleted == ["offcloud_bootstrap"]
    core = SimpleNamespace(
        userdir=manager.pyload.userdir,
        log=logging.getLogger("pyload-parse"),
        _=lambda text: text,
        plugin_manager=SimpleNamespace(plugins={"base": parsed["base"][0]}),
    )
    redirector = plugin_manager.ImportRedirector.__new__(plugin_manager.ImportRedirector)
    redirector.pyload = core
    redirector.redirect_path = str(Path(manager.pyload.userdir) / "plugins")
    spec = redirector.find_spec("pyload.plugins.base.offcloud_bootstrap", None)
    assert spec is not None
    assert spec.origin == str(Path(manager.pyload.userdir) / "plugins/base/offcloud_bootstrap.py")
    for path in [
        *Path(__file__).parents[1].glob("plugins/*/*.py"),
        *Path(__file__).parents[1].glob("hooks/*.py"),
    ]:
        if path.parent.name != "base":
            text = path.read_text(encoding="utf-8")
            assert "from ..base.offcloud_bootstrap import UNUSABLE, unusable\n" in text, path
            assert "sys.path" not in text, f"{path.name}: the bootstrap has one home"


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
        if folder == "base":
            continue  # no config: see test_every_shipped_file_is_indexed
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
    # A MultiAccount finds its downloader by its own class name (docs/pyload.md §1.1).
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


FOLDER_JOB = "0896d1afc0082e232c9b10a6"


@pytest.mark.parametrize(
    ("url", "plugin"),
    [
        # magnets and .torrent links: ours, ahead of pyLoad's TORRENT container
        (
            "magnet:?xt=urn:btih:3bb71a0a14b2292203a8d3eded8b8d3c259c0603&dn=Demo",
            "OffcloudComTorrent",
        ),
        ("magnet:?xt=urn:btih:HOB7DPJ7YS5RDGJXKGX5TLE6OSZUDRG5", "OffcloudComTorrent"),
        ("https://tracker.example/get/Demo.Release.torrent", "OffcloudComTorrent"),
        ("http://tracker.example/dl.php/Demo.torrent?passkey=abc", "OffcloudComTorrent"),
        ("file:///home/me/.cache/pyload/tmp_Demo%20Upload.torrent", "OffcloudComTorrent"),
        # what /api/upload_container adds: a bare path, the container's; it then makes the
        # file:// link above, which is ours
        ("/home/me/.cache/pyload/upload/tmp_Demo.Upload.torrent", "TORRENT"),
        ("/home/me/.cache/pyload/upload/tmp_Demo.magnet", "TORRENT"),
        # an Offcloud file that happens to be a .torrent is a download like any other
        (f"https://de-3.offcloud.com/cloud/download/{FOLDER_JOB}/2/Demo.torrent", "OffcloudCom"),
        # a job's folder link (no file part) is the folder decrypter's; its files the downloader's
        (f"https://de-3.offcloud.com/cloud/download/{FOLDER_JOB}", "OffcloudComFolder"),
        (f"https://de-3.offcloud.com/cloud/download/{FOLDER_JOB}/", "OffcloudComFolder"),
        (f"https://offcloud.com/cloud/download/{FOLDER_JOB}", "OffcloudComFolder"),
        (f"https://de-3.offcloud.com/cloud/download/{FOLDER_JOB}/1/part1.bin", "OffcloudCom"),
        (f"https://fr-1.offcloud.com/cloud/download/{FOLDER_JOB}/old-single.bin", "OffcloudCom"),
        # other services keep their own plugins
        ("https://mega.nz/folder/AbCdEfGh#KeyKeyKey", "MegaCoNzFolder"),
        ("https://rapidgator.net/folder/12345/Demo.html", "RapidgatorNetFolder"),
        ("https://rapidgator.net/file/abc123/demo.bin.html", "RapidgatorNet"),
        ("https://example.com/release.torrent.html", "TORRENT"),
    ],
)
def test_links_go_to_the_plugin_meant_for_them(
    route: Callable[[str], str], url: str, plugin: str
) -> None:
    assert route(url) == plugin


@pytest.mark.parametrize(
    "url",
    [
        "https://offcloud.com/#/cloud",  # the web UI's dashboard names no job
        f"https://offcloud.com/api/cloud/explore/{FOLDER_JOB}",
        f"https://evil.example/x.offcloud.com/cloud/download/{FOLDER_JOB}",
        f"https://offcloud.com.evil.example/cloud/download/{FOLDER_JOB}",
        f"https://de-3.offcloud.com/cloud/list/{FOLDER_JOB}",
        "https://tracker.example/get/Demo.Release.torrent.html",
        "ftp://tracker.example/Demo.torrent",
        "magnet:xt=urn:btih:3bb71a0a14b2292203a8d3eded8b8d3c259c0603",
    ],
)
def test_our_decrypters_leave_other_links_alone(
    parsed: dict[str, tuple[dict, dict]], url: str
) -> None:
    decrypters = parsed["decrypters"][0]
    assert not decrypters["OffcloudComTorrent"]["re"].match(url)
    assert not decrypters["OffcloudComFolder"]["re"].match(url)


def _code_of(source: Path) -> str:
    """A plugin file's text and that of the library classes it builds its class on: the glue
    (offcloud_api.pyload.plugin_glue, hoster_*) reads options for the plugin."""
    text = source.read_text(encoding="utf-8")
    parts = [text]
    imports = re.findall(r"^\s*from (offcloud_api[\w.]*) import (\([^)]*\)|.*)$", text, re.M)
    for module_name, names in imports:
        module = importlib.import_module(module_name)
        for name in re.findall(r"\w+", names):
            value = getattr(module, name, None)
            if isinstance(value, type):
                parts.extend(
                    inspect.getsource(sys.modules[cls.__module__])
                    for cls in value.__mro__
                    if cls.__module__.startswith("offcloud_api.")
                )
    return "\n".join(parts)


#: Options pyLoad's own base classes read (MultiDownloader, BaseHoster), not our code.
READ_BY_PYLOAD = {"use_premium", "fallback", "revert_failed", "max_wait"}


@pytest.mark.parametrize("folder", ["downloaders", "decrypters"])
def test_every_option_is_read_and_documented(
    parsed: dict[str, tuple[dict, dict]], folder: str
) -> None:
    reference = Path(__file__).parents[1] / "docs" / "configuration.md"
    documented = reference.read_text(encoding="utf-8")
    for name, config in parsed[folder][1].items():
        source = next(p for f, p in installer.shipped_files() if p.stem == name and f == folder)
        text = _code_of(source)
        for option in (o for o in config if o != "desc"):
            through_filter = (
                option in FILTER_OPTIONS and "FileFilter.from_config(self.config.get)" in text
            )
            if option not in READ_BY_PYLOAD and not through_filter:
                assert f'config.get("{option}"' in text, f"{name}.{option} is never read"
            assert f"`{option}`" in documented, f"{name}.{option} is not in {reference.name}"


def test_downloader_pattern_is_the_library_file_link_pattern(
    parsed: dict[str, tuple[dict, dict]],
) -> None:
    # pyLoad reads __pattern__ with a regex, so the plugin repeats the library's literal: one
    # pattern all the same (parse_file_url, the decrypters' CDN links, the clean-up addon).
    assert parsed["downloaders"][0]["OffcloudCom"]["pattern"] == FILE_URL_PATTERN


@pytest.mark.parametrize(
    ("folder", "rows"),
    [("downloaders", DOWNLOADER_FILTER_OPTIONS), ("decrypters", DECRYPTER_FILTER_OPTIONS)],
)
def test_filter_options_are_the_librarys_rows(
    parsed: dict[str, tuple[dict, dict]], folder: str, rows: tuple[tuple[Any, ...], ...]
) -> None:
    # __config__ stays a literal in each file (pyLoad parses it with a regex); its file selection
    # rows are the ones offcloud_api.pyload.plugin_glue names, in the same order.
    names = [name for name, *_ in rows]
    assert set(names) == set(FILTER_OPTIONS)
    ours = [source.stem for f, source in installer.shipped_files() if f == folder]
    checked = 0
    for name in ours:
        config = parsed[folder][1][name]
        if "include" not in config:
            continue
        assert [option for option in config if option in FILTER_OPTIONS] == names, name
        for option, kind, description, default in rows:
            assert config[option] == (kind, description, default), f"{name}.{option}"
        checked += 1
    assert checked, f"no {folder} plugin of ours has the file selection options"
