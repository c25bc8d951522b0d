"""The downloader's file check: no endless wait/restart for text files, Offcloud errors caught.

pyLoad's generic ``check_download`` rule "Html error" matches any text file that starts with
three digits and a space, and answers with a 60 s wait and a restart, for ever
(docs/pyload-ng.md §2.3). Our plugin replaces the check; these tests call the real plugin class
on real files, with only the pyLoad objects it touches stood in.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from pyload.core.network.exceptions import Fail
from pyload.plugins.base.simple_downloader import SimpleDownloader

from offcloud_api.control import installer

SOURCE = next(p for f, p in installer.shipped_files() if f == "downloaders")


def _plugin_class() -> Any:
    spec = importlib.util.spec_from_file_location("pyload.plugins.downloaders.OffcloudCom", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OffcloudCom


class _DB:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def retrieve(self, key: str, default: Any = None) -> Any:
        return default

    def delete(self, key: str) -> None:
        self.deleted.append(key)


def _plugin(downloaded: Path) -> Any:
    plugin = object.__new__(_plugin_class())
    plugin._last_download = str(downloaded)
    plugin.pyfile = SimpleNamespace(url="https://rapidgator.net/file/abc", error="")
    plugin.db = _DB()
    plugin.config = SimpleNamespace(get=lambda name, default=None: default)
    plugin.log_warning = plugin.log_info = plugin.log_debug = lambda *args, **kwargs: None
    plugin._ = lambda text: text
    plugin.remove = lambda path, try_trash=True: Path(path).unlink()
    return plugin


def test_a_text_file_starting_with_digits_passes(tmp_path: Path) -> None:
    text = b"123 hello, a perfectly good text file\n"
    generic_rule = dict(SimpleDownloader.FILE_ERRORS)["Html error"]
    assert re.search(generic_rule, text), "pyLoad's own rule would wait and restart for ever"
    downloaded = tmp_path / "notes.txt"
    downloaded.write_bytes(text)
    _plugin(downloaded).check_download()
    assert downloaded.read_bytes() == text


def test_an_offcloud_ip_error_body_fails_with_the_instruction(tmp_path: Path) -> None:
    downloaded = tmp_path / "movie.mkv"
    downloaded.write_text(json.dumps({"error": "You are not authorized to download this file."}))
    with pytest.raises(Fail, match="confirmed"):
        _plugin(downloaded).check_download()
    assert not downloaded.exists(), "the error body must not stay as the file"


def test_a_small_json_file_that_is_no_offcloud_error_passes(tmp_path: Path) -> None:
    downloaded = tmp_path / "data.json"
    downloaded.write_text(json.dumps({"name": "real data", "values": [1, 2, 3]}))
    _plugin(downloaded).check_download()
    assert downloaded.exists()
