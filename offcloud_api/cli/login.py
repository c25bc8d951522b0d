"""The ``offcloud`` commands of credentials: ``login``, ``logout``, ``account``, ``pyload login``.

``offcloud login`` runs Offcloud's device flow (:mod:`offcloud_api.oauth`, docs/api.md
§1.4): it prints the page to open and the code to confirm there, waits with a progress line on
stderr, checks the token on ``account/info`` and stores it in the config file (written anew with
mode 0600, :func:`offcloud_api.config.write_token`). The token never goes through an argument, so
it is in neither the shell history nor the process list, and it is masked in every message.
``offcloud logout`` removes it; ``offcloud account`` also says which credential is in use (a key
from the environment, a key or a token from the file), never its value.

``offcloud pyload login`` runs the same flow and makes the token the password of the OffcloudCom
account of a pyLoad: in its ``accounts.cfg`` when it is stopped, through its web API when it runs
(:mod:`offcloud_api.install.login` says why both).

These commands are registered by :mod:`offcloud_api.cli` (``add_parsers``, ``add_pyload_login``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import urlsplit

from . import cli
from .cli import EXIT_ERROR, EXIT_OK, PROG, CommandError, Context, UsageError
from .client import OffcloudAPI
from .config import (
    ENV_API_KEY,
    Credential,
    Settings,
    load_settings,
    remove_token,
    write_token,
)
from .exceptions import TemporaryError
from .models import AccountInfo
from .oauth import DeviceCode, DeviceLogin, PollOutcome
from .retry import RetryPolicy

if TYPE_CHECKING:
    import argparse

    from .cli import Subparsers
    from .install.login import AccountsFile, PyloadWeb

__all__ = [
    "ENV_PYLOAD_API_KEY",
    "add_parsers",
    "add_pyload_login",
    "run_account",
    "run_login",
    "run_logout",
    "run_pyload_login",
]

#: A running pyLoad's API key, for ``offcloud pyload login --pyload-url`` (never an argument).
ENV_PYLOAD_API_KEY = "PYLOAD_API_KEY"
#: The pyLoad login when Offcloud names no e-mail and pyLoad has no OffcloudCom account yet.
DEFAULT_PYLOAD_LOGIN = "offcloud-login"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def add_parsers(subparsers: Subparsers) -> None:
    """``account``, ``login`` and ``logout``."""
    cli._add_command(
        subparsers,
        "account",
        "show the account behind the key, and which credential is in use",
        run_account,
    )
    cli._add_command(
        subparsers,
        "login",
        "log in by confirming a code on offcloud.com (no key to copy); the token is stored in "
        "the config file, readable by you only",
        run_login,
    )
    cli._add_command(
        subparsers,
        "logout",
        "remove the login token from the config file (an api_key there, or "
        f"{ENV_API_KEY}, is used again)",
        run_logout,
    )


def add_pyload_login(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``pyload login``: the action of the ``pyload`` group."""
    summary = (
        "log in by confirming a code on offcloud.com, and add (or update) the OffcloudCom "
        "account of a pyLoad with the token"
    )
    action: argparse.ArgumentParser = actions.add_parser(
        "login",
        help=summary,
        description=(
            f"{summary}. A stopped pyLoad gets the account in its settings/accounts.cfg, loaded "
            "when it starts; a running one gets it through its web API (--pyload-url, with one "
            f"of its API keys in {ENV_PYLOAD_API_KEY}), as it would overwrite the file."
        ),
        parents=[cli._global_options(subcommand=True)],
    )
    action.set_defaults(run=run_pyload_login)
    action.add_argument(
        "--userdir",
        type=Path,
        default=None,
        help="pyLoad's user folder, when pyLoad is stopped (default: ~/.pyload)",
    )
    action.add_argument(
        "--pyload-url",
        metavar="URL",
        help=(
            "the web address of a running pyLoad (e.g. http://127.0.0.1:8000); its API key is "
            f"read from {ENV_PYLOAD_API_KEY} (pyLoad: Settings, Users, Manage API Keys)"
        ),
    )
    action.add_argument(
        "--login",
        metavar="NAME",
        help=(
            "the pyLoad account's login (default: the only OffcloudCom account pyLoad has, "
            "else your Offcloud e-mail)"
        ),
    )


# --------------------------------------------------------------------------------------------
# the device flow, shared by both logins


def _device_login(ctx: Context, settings: Settings) -> tuple[str, Optional[AccountInfo]]:
    """Run the flow with its output; the token and, if Offcloud answered, the account."""
    base_url = ctx.args.api_url or settings.api_url
    with OffcloudAPI(None, base_url=base_url, retry=RetryPolicy.for_commands(cli.sleep)) as client:
        _warn_if_plain_http(ctx, client.site_url, "the login token")
        login = DeviceLogin.start(client, clock=cli.clock)
        ctx.secrets.append(login.code.device_code)
        _show_code(ctx, login.code)
        bar = ctx.progress("Waiting for you to confirm the code")
        bar.show(note=_poll_note(PollOutcome("pending", 0, login.interval, login.remaining)))
        try:
            token = login.wait(on_poll=lambda outcome: bar.show(note=_poll_note(outcome)))
        finally:
            bar.close()
        ctx.secrets.append(token)
        client.api_key = token
        try:
            return token, client.get_account_stats()
        except TemporaryError as exc:
            ctx.note(f"warning: the account could not be checked now ({exc.message})")
            return token, None


def _show_code(ctx: Context, code: DeviceCode) -> None:
    if ctx.args.json:
        _json_line(
            ctx,
            {
                "user_code": code.user_code,
                "verification_uri": code.verification_uri,
                "verification_uri_complete": code.verification_uri_complete,
                "expires_in": code.expires_in,
            },
        )
        return
    if code.verification_uri_complete:
        ctx.print(
            f"To log in, open this page and confirm the code {code.user_code}:",
            f"    {code.verification_uri_complete}",
            f"(or open {code.verification_uri} and enter the code there)",
        )
    else:
        ctx.print(
            f"To log in, open {code.verification_uri} and enter the code {code.user_code}",
        )
    ctx.out.flush()


def _poll_note(outcome: PollOutcome) -> str:
    left = f"{cli.format_duration(outcome.remaining)} left"
    if outcome.state == "slow_down":
        return f"{left}; Offcloud asked to poll every {outcome.interval:g} s"
    if outcome.state == "retrying":
        return f"{left}; Offcloud did not answer the last poll, asking again"
    if outcome.state == "confirmed":
        return "confirmed"
    return left


def _json_line(ctx: Context, value: Any) -> None:
    """One JSON document on one line (ASCII, so nothing in it acts on a terminal), flushed."""
    ctx.out.write(json.dumps(cli.to_json(value), sort_keys=True) + "\n")
    ctx.out.flush()


def _plan(info: Optional[AccountInfo]) -> str:
    if info is None:
        return "not checked"
    if info.is_premium and not info.is_expired:
        until = f" until {cli.format_when(info.expiration)}" if info.expiration else ""
        return f"premium{until}"
    if info.expiration is not None and info.is_expired:
        return f"premium expired on {cli.format_when(info.expiration)}"
    return "no premium"


def _who(info: Optional[AccountInfo]) -> str:
    if info is None:
        return "your account"
    return info.email or (f"user {info.user_id}" if info.user_id else "your account")


def _warn_if_plain_http(ctx: Context, url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        ctx.note(f"warning: {what} goes unencrypted over http to {parts.hostname}")


# --------------------------------------------------------------------------------------------
# offcloud login / logout / account


def run_login(ctx: Context) -> int:
    settings = load_settings()
    token, info = _device_login(ctx, settings)
    path = write_token(settings.path, token)
    now = load_settings()
    if ctx.args.json:
        _json_line(
            ctx,
            {
                "logged_in": True,
                "config": path,
                "credential": now.source.value if now.source else None,
                "account": info,
            },
        )
    else:
        ctx.print(
            f"Logged in as {_who(info)} ({_plan(info)}).",
            f"The login token is stored in {path}, readable by you only; "
            f"'{PROG} logout' removes it.",
        )
    if now.source is Credential.ENVIRONMENT:
        ctx.note(f"note: {ENV_API_KEY} is set, and is used instead of the token while it is set")
    elif Credential.FILE_KEY in now.stored:
        ctx.note(f"note: the api_key in {path} stays; the token is used before it")
    if settings.exposed and Credential.FILE_KEY in settings.stored:
        ctx.note(
            f"warning: other users could read {path} until now, api_key included; the file is "
            "yours alone now, but consider making a new key on Offcloud's account page"
        )
    return EXIT_OK


def run_logout(ctx: Context) -> int:
    settings = load_settings()
    removed = remove_token(settings.path)
    now = load_settings()
    if ctx.args.json:
        ctx.print_json(
            {
                "removed": removed,
                "config": settings.path,
                "credential": now.source.value if now.source else None,
            }
        )
        return EXIT_OK
    if removed:
        ctx.print(f"Removed the login token from {settings.path}.")
    else:
        ctx.print(f"There is no login token in {settings.path}; nothing to remove.")
    if now.source is not None:
        ctx.print(f"In use now: {now.describe()}.")
    else:
        ctx.print(f"No credential is configured now; '{PROG} login' logs in again.")
    return EXIT_OK


def run_account(ctx: Context) -> int:
    settings = load_settings()
    if settings.exposed and settings.api_key:
        ctx.note(f"warning: {settings.exposed}")
    account = ctx.client.get_account_stats()
    credential = {
        "source": settings.source.value if settings.source else None,
        "config": settings.path,
    }
    if ctx.args.json:
        ctx.print_json({**cli.to_json(account), "credential": credential})
    else:
        fields = [*cli._account_fields(account), ("Credential", settings.describe())]
        ctx.print(*cli.format_fields(fields))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# offcloud pyload login


def run_pyload_login(ctx: Context) -> int:
    from .install import login as pyload  # noqa: PLC0415 - only this command needs it

    settings = load_settings()
    target: Union[PyloadWeb, AccountsFile] = (
        _web_target(ctx) if ctx.args.pyload_url else _file_target(ctx)
    )
    try:
        existing = target.logins()
    except pyload.PyloadLoginError as exc:
        raise CommandError(str(exc)) from None
    name: Optional[str] = ctx.args.login
    valid: Optional[bool] = None  # pyLoad's verdict, when it is running
    premium: Optional[bool] = None
    if name is None and len(existing) > 1:
        raise UsageError(
            f"pyLoad has {len(existing)} OffcloudCom accounts ({', '.join(existing)}): "
            "say which to log in with --login NAME"
        )
    if name is None and existing:
        name = existing[0]

    token, info = _device_login(ctx, settings)
    if name is None:
        name = (info.email if info is not None else None) or DEFAULT_PYLOAD_LOGIN
    try:
        if isinstance(target, pyload.PyloadWeb):
            target.secrets.append(token)
            entry = target.set_account(name, token)
            added, where = name not in existing, target.url
            valid, premium = bool(entry.get("valid")), bool(entry.get("premium"))
        else:
            added, where = target.set_account(name, token), str(target.path)
    except pyload.PyloadLoginError as exc:
        raise CommandError(str(exc)) from None

    if ctx.args.json:
        _json_line(
            ctx,
            {
                "pyload": {
                    "login": name,
                    "added": added,
                    "via": "api" if valid is not None else "file",
                    "where": where,
                    "valid": valid,
                    "premium": premium,
                },
                "account": info,
            },
        )
    else:
        verb = "Added" if added else "Updated"
        ctx.print(f"Logged in as {_who(info)} ({_plan(info)}).")
        if valid is None:
            ctx.print(
                f"{verb} the OffcloudCom account '{name}' in {where}; "
                "pyLoad loads it when it starts."
            )
        else:
            state = "valid" if valid else "NOT valid"
            plan = ", premium" if premium else ", no premium" if valid else ""
            ctx.print(
                f"{verb} the OffcloudCom account '{name}' of pyLoad at {where}: {state}{plan}."
            )
    return EXIT_OK if valid is not False else EXIT_ERROR


def _file_target(ctx: Context) -> AccountsFile:
    from .install import installer  # noqa: PLC0415
    from .install import login as pyload  # noqa: PLC0415

    userdir = (ctx.args.userdir or installer.default_userdir()).expanduser()
    if not pyload.plugins_installed(userdir):
        raise CommandError(
            f"the Offcloud plugins are not installed in {userdir}: run "
            f"'{PROG} pyload install --userdir {userdir}' first (pyLoad drops accounts of "
            "plugins it does not have)"
        )
    pid = pyload.running_pid(userdir)
    if pid is not None:
        raise CommandError(
            f"pyLoad (pid {pid}) is running on {userdir}: it keeps its accounts in memory and "
            "would overwrite accounts.cfg. Stop it and run this again, or give its web address "
            f"with --pyload-url and one of its API keys in {ENV_PYLOAD_API_KEY}"
        )
    return pyload.AccountsFile(userdir)


def _web_target(ctx: Context) -> PyloadWeb:
    from .install import login as pyload  # noqa: PLC0415

    key = os.environ.get(ENV_PYLOAD_API_KEY, "").strip()
    if not key:
        raise UsageError(
            f"--pyload-url needs an API key of that pyLoad in {ENV_PYLOAD_API_KEY} (pyLoad: "
            "Settings, Users, Manage API Keys); it is never taken from an argument"
        )
    ctx.secrets.append(key)
    try:
        web = pyload.PyloadWeb(ctx.args.pyload_url, key)
        _warn_if_plain_http(ctx, web.url, "the login token")
        web.check()  # the address and the key work, before the user confirms anything
    except pyload.PyloadLoginError as exc:
        raise CommandError(str(exc)) from None
    return web
