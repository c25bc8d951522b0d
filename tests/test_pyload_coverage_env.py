"""pyLoad started by the runner measures itself when ./run test asks (issue 20, item 4).

``OFFCLOUD_PYLOAD_COVERAGE`` names a coverage.py configuration; the runner hands it to pyLoad
as ``COVERAGE_PROCESS_START`` (coverage.py's own start-up hook reads it), in pyLoad's environment
only, so the test process is not measured twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from offcloud_api.harness.runner import PYLOAD_COVERAGE_ENV, PyloadProcess


def _process(tmp_path: Path) -> PyloadProcess:
    return PyloadProcess(tmp_path / "pyload", python=Path(sys.executable), web_port=1)


def test_the_configuration_named_reaches_pyload_as_coverage_process_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COVERAGE_PROCESS_START", raising=False)
    monkeypatch.setenv(PYLOAD_COVERAGE_ENV, "/somewhere/coverage-pyload.ini")
    env = _process(tmp_path)._child_env()
    assert env["COVERAGE_PROCESS_START"] == "/somewhere/coverage-pyload.ini"


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_without_it_pyload_is_not_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    monkeypatch.delenv("COVERAGE_PROCESS_START", raising=False)
    if value is None:
        monkeypatch.delenv(PYLOAD_COVERAGE_ENV, raising=False)
    else:
        monkeypatch.setenv(PYLOAD_COVERAGE_ENV, value)
    assert "COVERAGE_PROCESS_START" not in _process(tmp_path)._child_env()
