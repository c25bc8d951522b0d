"""``offcloud pyload login`` end to end: no key copied, a real pyLoad, a file with its sha256.

The simulator runs the live profile with its device flow on; the test plays the user, reading the
code the command prints and confirming it through the simulator's control API (what the user does
on offcloud.com/activate). First pyLoad is stopped, so the command writes the account into its
``accounts.cfg``; pyLoad then starts with it, shows it valid and premium, and a hoster link comes
through Offcloud with the right sha256. Then, with pyLoad running, the same command logs in again
through pyLoad's web API, and pyLoad takes the new token at once. The tokens appear in no output,
log, URL or process argument; on disk only in ``accounts.cfg`` (mode 0600).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest

pytest.importorskip("pyload")

import requests

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus, PyloadProcess
from offcloud_api.harness.stack import PLUGIN, PROBE_URL
from offcloud_api.simulator import Simulator, expected_sha256, file_sha256, load_scenario

pytestmark = pytest.mark.e2e

LINK = "https://rapidgator.net/file/abc123/demo.bin"
EMAIL = "demo@offcloud-sim.test"
_CODE_LINE = re.compile(r"confirm the code (?P<code>[A-Z0-9]{4}-[A-Z0-9]{4}):")


def _login(sim: Simulator, argv: list[str], env: dict[str, str]) -> tuple[list[str], str, str]:
    """Run ``offcloud <argv>`` and confirm the code it prints, as the user would.

    Returns the command's arguments, its stdout and its stderr.
    """
    command = [sys.executable, "-m", "offcloud_api.cli", *argv]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = _CODE_LINE.search(first)
        assert match, first
        answer = requests.post(
            f"{sim.url}/_sim/oauth",
            json={"action": "approve", "user_code": match.group("code")},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, f"{first}{out}\n{err}"
    return command, first + out, err


def _account(pl: PyloadProcess) -> Optional[dict[str, Any]]:
    for entry in pl.get_accounts(refresh=False):
        if entry.get("type") == PLUGIN and entry.get("login") == EMAIL:
            return entry
    return None


def test_pyload_login_gives_a_premium_account_and_a_link_arrives(tmp_path: Path) -> None:
    started = time.monotonic()
    scenario = load_scenario(
        {
            "extends": "default",
            "api": {"oauth": True},
            # The user acts only through the control API; polls once a second.
            "oauth": {"decision": "none", "interval": 1},
            "clock": {"speedup": 20},
        }
    )
    with Simulator(scenario) as sim:
        pl = PyloadProcess(tmp_path / "pl", proxy=("127.0.0.1", sim.port), ssl_verify=False)
        try:
            pl.prepare()
            installing = [sys.executable, "-m", "offcloud_api.cli", "pyload", "install"]
            install = subprocess.run(
                [*installing, "--userdir", str(pl.userdir)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert install.returncode == 0, install.stdout + install.stderr
            env = {
                key: value
                for key, value in os.environ.items()
                if key not in ("OFFCLOUD_API_KEY", "PYLOAD_API_KEY")
            }
            env.update(
                OFFCLOUD_API_URL=sim.api_url,
                OFFCLOUD_CONFIG=str(tmp_path / "offcloud.ini"),
                PYTHONUNBUFFERED="1",
            )

            # 1. pyLoad stopped: the account goes into its accounts.cfg.
            argv, out, err = _login(sim, ["pyload", "login", "--userdir", str(pl.userdir)], env)
            (first,) = sim.state.access_tokens
            accounts = pl.userdir / "settings" / "accounts.cfg"
            assert f"\n{PLUGIN}:\n\n\t{EMAIL}:{first}\n" in accounts.read_text(encoding="utf-8")
            assert accounts.stat().st_mode & 0o077 == 0
            assert f"Added the {PLUGIN} account '{EMAIL}'" in out

            # 2. pyLoad starts with it: valid and premium, the multi-hoster on, a link arrives.
            pl.start()
            pl.wait_until(lambda p: bool((_account(p) or {}).get("premium")), timeout=30)
            account = _account(pl)
            assert account is not None
            assert (account["valid"], account["premium"], account["trafficleft"]) == (
                True,
                True,
                -1,
            )
            pl.wait_for_plugin(PROBE_URL, PLUGIN, timeout=30)
            pl.add_package("login", [LINK])
            pl.wait_until(
                lambda p: all(f["status"] in FINAL_STATUSES for f in p.files()), timeout=60
            )
            (link,) = pl.files()
            assert link["status"] == LinkStatus.FINISHED, pl.describe_files()
            spec = next(item for item in sim.scenario.links if item.url == LINK).files[0]
            assert file_sha256(pl.package_folder("login") / spec.name) == expected_sha256(spec)
            # pyLoad reached Offcloud with the token, as the Bearer credential only.
            user_calls = [c for c in sim.calls if c.kind == "api" and c.user_id]
            assert user_calls
            assert {c.key_location for c in user_calls} == {"bearer"}

            # 3. pyLoad running: the same command, through its API; the account updated at once.
            env["PYLOAD_API_KEY"] = pl.api_key or ""
            _, again_out, again_err = _login(
                sim, ["pyload", "login", "--pyload-url", pl.web_url], env
            )
            (second,) = set(sim.state.access_tokens) - {first}
            assert f"Updated the {PLUGIN} account '{EMAIL}' of pyLoad at {pl.web_url}: " in (
                again_out
            )
            assert "valid, premium." in again_out
            assert f"\t{EMAIL}:{second}\n" in accounts.read_text(encoding="utf-8")
            account = _account(pl)
            assert account is not None
            assert (account["valid"], account["premium"]) == (True, True)

            # 4. The tokens: in no output, argument, log, URL or database; on disk only there.
            pl.stop()
            log = pl.log_text()
            for token in (first, second):
                for text in (out, err, again_out, again_err, log, json.dumps(argv)):
                    assert token not in text
                for call in sim.calls:
                    assert token not in f"{call.host}{call.path}"
                    assert token not in call.body_summary
                assert token.encode() not in pl.database_bytes()
                hits = pl.files_containing(token.encode())
                assert hits in ([], [accounts]), hits
            assert pl.files_containing(second.encode()) == [accounts]
        finally:
            pl.stop()
    assert time.monotonic() - started < 90  # about 20 s on a quiet machine
