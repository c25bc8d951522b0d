"""Where the command line's credential comes from, who may read it, and how a token is stored.

Issue 14 item 10: a config file other users can read is not a source of secrets, and the
settings' ``repr`` shows no credential. Issue 15: ``offcloud login`` keeps its token in the same
file, written with mode 0600, every other line kept.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from offcloud_api import config
from offcloud_api.config import (
    ConfigError,
    Credential,
    config_path,
    exposure,
    load_settings,
    remove_token,
    write_token,
)

KEY = "FILE-KEY-0123456789"
TOKEN = "ocat.T0ken-Value_~+/="
ENV_KEY = "ENV-KEY-9876543210"

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def private(tmp_path: Path) -> Path:
    """A folder only this user can enter (pytest's own base folder is 0700)."""
    return tmp_path


@pytest.fixture
def public() -> Iterator[Path]:
    """A folder everyone may enter, on a path everyone may enter (/tmp, /)."""
    folder = Path(tempfile.mkdtemp(prefix="offcloud-config-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write(path: Path, text: str, file_mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(file_mode)
    return path


def settings_for(path: Path, **env: str):
    return load_settings({"OFFCLOUD_CONFIG": str(path), **env})


# --------------------------------------------------------------------------------------------
# which credential


def test_the_environment_then_the_token_then_the_key(private):
    path = write(private / "c.ini", f"[offcloud]\napi_key = {KEY}\naccess_token = {TOKEN}\n")

    from_env = settings_for(path, OFFCLOUD_API_KEY=ENV_KEY)
    assert (from_env.api_key, from_env.source) == (ENV_KEY, Credential.ENVIRONMENT)
    assert from_env.describe() == "API key from OFFCLOUD_API_KEY"
    assert from_env.stored == {Credential.FILE_KEY, Credential.FILE_TOKEN}

    from_token = settings_for(path)
    assert (from_token.api_key, from_token.source) == (TOKEN, Credential.FILE_TOKEN)
    assert from_token.describe() == f"login token in {path} (from 'offcloud login')"

    write(path, f"[offcloud]\napi_key = '{KEY}'\n")
    from_key = settings_for(path)
    assert (from_key.api_key, from_key.source) == (KEY, Credential.FILE_KEY)
    assert from_key.describe() == f"API key in {path}"


def test_nothing_configured_says_how_to_log_in(private):
    settings = settings_for(private / "none.ini")
    assert (settings.api_key, settings.source, settings.describe()) == (None, None, "none")
    with pytest.raises(ConfigError, match="set OFFCLOUD_API_KEY, or log in with 'offcloud login'"):
        settings.require_key()


def test_repr_shows_no_credential(private):
    path = write(private / "c.ini", f"[offcloud]\naccess_token = {TOKEN}\napi_key = {KEY}\n")
    for settings in (settings_for(path), settings_for(path, OFFCLOUD_API_KEY=ENV_KEY)):
        for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
            assert TOKEN not in text
            assert KEY not in text
            assert ENV_KEY not in text
        assert "api_key='***'" in repr(settings)
    assert "api_key=None" in repr(settings_for(private / "none.ini"))


def test_the_default_path_is_xdg(tmp_path):
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "offcloud" / "config.ini"


# --------------------------------------------------------------------------------------------
# a file other users can read (issue 14, item 10)


@posix_only
def test_a_file_others_can_read_gives_no_credential(public):
    path = write(
        public / "c.ini",
        f"[offcloud]\napi_key = {KEY}\naccess_token = {TOKEN}\napi_url = http://127.0.0.1:1/api\n",
        0o644,
    )
    settings = settings_for(path)
    assert settings.api_key is None
    assert settings.source is None
    assert settings.api_url == "http://127.0.0.1:1/api"  # not a secret: still read
    assert settings.exposed is not None
    assert settings.stored == {Credential.FILE_KEY, Credential.FILE_TOKEN}
    with pytest.raises(ConfigError) as caught:
        settings.require_key()
    message = str(caught.value)
    assert "other users can read" in message
    assert f"chmod 600 {path}" in message
    assert KEY not in message
    assert TOKEN not in message
    # The environment's key still works, and is what is used.
    with_env = settings_for(path, OFFCLOUD_API_KEY=ENV_KEY)
    assert (with_env.api_key, with_env.source) == (ENV_KEY, Credential.ENVIRONMENT)


@posix_only
@pytest.mark.parametrize("file_mode", [0o604, 0o640, 0o660, 0o666])
def test_read_for_a_shared_group_or_everyone_is_exposed(public, monkeypatch, file_mode):
    monkeypatch.setattr(config, "_private_group", lambda gid, uid: False)
    path = write(public / "c.ini", f"[offcloud]\napi_key = {KEY}\n", file_mode)
    assert exposure(path) is not None
    assert settings_for(path).api_key is None


@posix_only
def test_a_user_private_group_is_not_other_users(public, monkeypatch):
    monkeypatch.setattr(config, "_private_group", lambda gid, uid: True)
    path = write(public / "c.ini", f"[offcloud]\napi_key = {KEY}\n", 0o640)
    assert exposure(path) is None
    assert settings_for(path).api_key == KEY


@posix_only
@pytest.mark.parametrize("file_mode", [0o600, 0o400, 0o700])
def test_a_file_of_the_owner_alone_is_read(public, file_mode):
    path = write(public / "c.ini", f"[offcloud]\napi_key = {KEY}\n", file_mode)
    assert exposure(path) is None
    assert settings_for(path).api_key == KEY


@posix_only
def test_a_folder_on_the_way_can_keep_others_out(public):
    inner = public / "home"
    path = write(inner / "c.ini", f"[offcloud]\napi_key = {KEY}\n", 0o644)
    inner.chmod(0o700)
    try:
        assert exposure(path) is None  # like a home of mode 0700
        assert settings_for(path).api_key == KEY
        inner.chmod(0o711)  # others may pass through: they can read it by its name
        assert exposure(path) is not None
    finally:
        inner.chmod(0o755)


@posix_only
def test_the_private_group_check_reads_the_user_database():
    uid, gid = os.getuid(), os.getgid()
    import grp  # noqa: PLC0415 - POSIX only
    import pwd  # noqa: PLC0415

    group = grp.getgrgid(gid)
    user = pwd.getpwuid(uid)
    expected = group.gr_name == user.pw_name and not [m for m in group.gr_mem if m != user.pw_name]
    assert config._private_group(gid, uid) is expected
    assert config._private_group(gid, 2**31 - 7) is False  # an unknown user


# --------------------------------------------------------------------------------------------
# storing the token


@posix_only
def test_write_token_makes_the_folder_and_the_file_private(private):
    path = private / "new" / "offcloud" / "config.ini"
    assert write_token(path, TOKEN) == path
    assert path.read_text(encoding="utf-8") == f"[offcloud]\naccess_token = {TOKEN}\n"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert settings_for(path).api_key == TOKEN
    assert [p.name for p in path.parent.iterdir()] == ["config.ini"]  # no temporary left


def test_write_token_keeps_every_other_line(private):
    original = (
        "# my settings\n"
        "[other]\n"
        "access_token = not-ours\n"
        "[offcloud]\n"
        f"api_key = {KEY}   ; the old key\n"
        "api_url = http://127.0.0.1:9/api\n"
        "\n"
        "[more]\n"
        "x = 1"
    )
    path = write(private / "c.ini", original)
    write_token(path, TOKEN)
    assert path.read_text(encoding="utf-8") == (
        "# my settings\n"
        "[other]\n"
        "access_token = not-ours\n"
        "[offcloud]\n"
        f"api_key = {KEY}   ; the old key\n"
        "api_url = http://127.0.0.1:9/api\n"
        f"access_token = {TOKEN}\n"
        "\n"
        "[more]\n"
        "x = 1"
    )
    assert remove_token(path) is True
    assert path.read_text(encoding="utf-8") == original


def test_write_token_replaces_the_old_token_and_its_continuation_lines(private):
    path = write(private / "c.ini", "[offcloud]\naccess_token = old\n    continued\napi_url = u\n")
    write_token(path, TOKEN)
    assert path.read_text(encoding="utf-8") == f"[offcloud]\naccess_token = {TOKEN}\napi_url = u\n"
    write_token(path, "second")
    assert settings_for(path).api_key == "second"


def test_write_token_adds_the_section_to_a_file_without_it(private):
    path = write(private / "c.ini", "[other]\nx = 1")
    write_token(path, TOKEN)
    assert path.read_text(encoding="utf-8") == (
        f"[other]\nx = 1\n\n[offcloud]\naccess_token = {TOKEN}\n"
    )


@posix_only
def test_write_token_makes_a_file_others_could_read_private(public):
    path = write(public / "c.ini", f"[offcloud]\napi_key = {KEY}\n", 0o644)
    assert settings_for(path).exposed
    write_token(path, TOKEN)
    assert mode(path) == 0o600
    settings = settings_for(path)
    assert (settings.exposed, settings.api_key) == (None, TOKEN)


@posix_only
def test_write_token_follows_a_symlink(private):
    target = write(private / "dotfiles" / "offcloud.ini", "[offcloud]\n")
    link = private / "config.ini"
    link.symlink_to(target)
    write_token(link, TOKEN)
    assert link.is_symlink()
    assert f"access_token = {TOKEN}" in target.read_text(encoding="utf-8")
    assert mode(target) == 0o600


def test_a_file_that_is_not_ini_is_never_rewritten(private):
    text = f"[offcloud\napi_key = {KEY}\n"
    path = write(private / "c.ini", text)
    with pytest.raises(ConfigError, match="not a valid INI file") as caught:
        write_token(path, TOKEN)
    assert KEY not in str(caught.value)
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(ConfigError, match="not a valid INI file"):
        settings_for(path)


@pytest.mark.parametrize("token", ["", "two words", "'quoted'", "line\nbreak", "x" * 5000])
def test_a_token_that_cannot_live_in_the_file_is_refused(private, token):
    path = private / "c.ini"
    with pytest.raises(ConfigError, match="cannot be stored"):
        write_token(path, token)
    assert not path.exists()


def test_remove_token_when_there_is_none(private):
    assert remove_token(private / "missing.ini") is False
    path = write(private / "c.ini", f"[offcloud]\napi_key = {KEY}\n")
    assert remove_token(path) is False
    assert path.read_text(encoding="utf-8") == f"[offcloud]\napi_key = {KEY}\n"


@posix_only
def test_remove_token_leaves_the_file_private(private):
    path = private / "c.ini"
    write_token(path, TOKEN)
    assert remove_token(path) is True
    assert mode(path) == 0o600
    assert settings_for(path).api_key is None


def test_an_unreadable_file_is_a_clear_error(private):
    path = private / "c.ini"
    path.write_bytes(b"[offcloud]\napi_key = \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        settings_for(path)
    with pytest.raises(ConfigError, match="not UTF-8"):
        write_token(path, TOKEN)


# --------------------------------------------------------------------------------------------
# edges: files that cannot be read, checked or written


def test_a_missing_file_is_exposed_to_nobody(private):
    assert exposure(private / "missing.ini") is None


def test_remove_token_from_a_file_that_cannot_be_read_is_a_clear_error(private):
    garbled = private / "garbled.ini"
    garbled.write_bytes(b"[offcloud]\naccess_token = \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"cannot read .*garbled.ini: not UTF-8 text"):
        remove_token(garbled)
    folder = private / "folder.ini"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"cannot read .*folder.ini: Is a directory"):
        remove_token(folder)


def test_a_token_that_would_still_be_read_after_removal_is_left_for_the_user(private):
    # [DEFAULT] feeds every section: removing the line under [offcloud] would not remove it.
    text = "[DEFAULT]\naccess_token = from-default\n[offcloud]\naccess_token = mine\n"
    path = write(private / "c.ini", text)
    with pytest.raises(ConfigError, match=r"cannot edit .* safely; edit its \[offcloud\]"):
        remove_token(path)
    assert path.read_text(encoding="utf-8") == text


def test_a_token_goes_under_the_sections_last_line_even_without_a_final_newline(private):
    path = write(private / "c.ini", f"[offcloud]\napi_key = {KEY}")
    write_token(path, TOKEN)
    assert path.read_text(encoding="utf-8") == (
        f"[offcloud]\napi_key = {KEY}\naccess_token = {TOKEN}\n"
    )


def test_a_folder_where_no_file_can_be_made_is_a_clear_error(private, monkeypatch):
    def no_space(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config.tempfile, "mkstemp", no_space)
    path = private / "c.ini"
    with pytest.raises(ConfigError, match=r"cannot write .*c.ini: No space left on device"):
        write_token(path, TOKEN)
    assert not path.exists()


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(private, monkeypatch):
    text = f"[offcloud]\napi_key = {KEY}\n"
    path = write(private / "c.ini", text)

    def refuse(self, target):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(ConfigError, match=r"cannot write .*c.ini: Read-only file system"):
        write_token(path, TOKEN)
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in private.iterdir()) == ["c.ini"]
