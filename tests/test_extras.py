"""The extras of setup.cfg: ``pip install -e .[test]`` brings everything the tests need.

Without pyLoad the end-to-end tests skip, so a ``[test]`` install that lacked it looked green
while testing none of the plugins (issue 14, item 13).
"""

from __future__ import annotations

import configparser
from pathlib import Path

from offcloud_api.pyload.compat import NEWEST_TESTED, OLDEST_SUPPORTED

SETUP_CFG = Path(__file__).parents[1] / "setup.cfg"


def _extras() -> dict[str, list[str]]:
    config = configparser.ConfigParser()
    config.read(SETUP_CFG, encoding="utf-8")
    section = config["options.extras_require"]
    return {
        name: [line.strip() for line in section[name].splitlines() if line.strip()]
        for name in section
    }


def test_the_pyload_extra_is_the_supported_range() -> None:
    assert _extras()["pyload"] == [f"pyload-ng>={OLDEST_SUPPORTED},<={NEWEST_TESTED}"]


def test_the_test_extra_brings_pyload_and_the_simulators_needs() -> None:
    extras = _extras()
    for needed in extras["pyload"] + extras["simulator"]:
        assert needed in extras["test"]
    assert set(extras["test"]) <= set(extras["dev"])
