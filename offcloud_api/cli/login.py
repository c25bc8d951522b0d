"""The ``offcloud`` commands of credentials: ``login``, ``logout`` and ``account``.

``offcloud login`` runs Offcloud's device flow (:mod:`offcloud_api.oauth`, docs/api.md
§1.4): it prints the page to open and the code to confirm there, waits with a progress line on
stderr, checks the token on ``account/info`` and stores it in the config file (written anew with
mode 0600, :func:`offcloud_api.config.write_token`). The token never goes through an argument, so
it is in neither the shell history nor the process list, and it is masked in every message.
``offcloud logout`` removes it; ``offcloud account`` also says which credential is in use (a key
from the environment, a key or a token from the file), never its value.

``offcloud pyload login`` (:mod:`offcloud_api.cli.pyload`) runs the same flow,
:func:`device_login`, and makes the token the password of a pyLoad's OffcloudCom account.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

from ..client import OffcloudAPI
from ..config import (
    ENV_API_KEY,
    Credential,
    Settings,
    load_settings,
    remove_token,
    write_token,
)
from ..exceptions import TemporaryError
from ..models import AccountInfo
from ..oauth import DeviceCode, DeviceLogin, PollOutcome
from ..retry import RetryPolicy
from . import context
from .context import EXIT_OK, PROG, Context, add_command
from .output import format_duration, format_fields, format_when, to_json, yes_no

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = [
    "account_plan",
    "add_credential_parsers",
    "device_login",
    "json_line",
    "run_account",
    "run_login",
    "run_logout",
    "warn_if_plain_http",
    "who",
]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def add_credential_parsers(subparsers: Subparsers) -> None:
    """``account``, ``login`` and ``logout``."""
    add_command(
        subparsers,
        "account",
        "show the account behind the key, and which credential is in use",
        run_account,
    )
    add_command(
        subparsers,
        "login",
        "log in by confirming a code on offcloud.com (no key to copy); the token is stored in "
        "the config file, readable by you only",
        run_login,
    )
    add_command(
        subparsers,
        "logout",
        "remove the login token from the config file (an api_key there, or "
        f"{ENV_API_KEY}, is used again)",
        run_logout,
    )


# --------------------------------------------------------------------------------------------
# the device flow, shared by both logins


def device_login(ctx: Context, settings: Settings) -> tuple[str, Optional[AccountInfo]]:
    """Run the flow with its output; the token and, if Offcloud answered, the account."""
    base_url = ctx.args.api_url or settings.api_url
    with OffcloudAPI(
        None, base_url=base_url, retry=RetryPolicy.for_commands(context.sleep)
    ) as client:
        warn_if_plain_http(ctx, client.site_url, "the login token")
        login = DeviceLogin.start(client, clock=context.clock)
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
        json_line(
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
    left = f"{format_duration(outcome.remaining)} left"
    if outcome.state == "slow_down":
        return f"{left}; Offcloud asked to poll every {outcome.interval:g} s"
    if outcome.state == "retrying":
        return f"{left}; Offcloud did not answer the last poll, asking again"
    if outcome.state == "confirmed":
        return "confirmed"
    return left


def json_line(ctx: Context, value: Any) -> None:
    """One JSON document on one line (ASCII, so nothing in it acts on a terminal), flushed."""
    ctx.out.write(json.dumps(to_json(value), sort_keys=True) + "\n")
    ctx.out.flush()


def account_plan(info: Optional[AccountInfo]) -> str:
    if info is None:
        return "not checked"
    if info.is_premium and not info.is_expired:
        until = f" until {format_when(info.expiration)}" if info.expiration else ""
        return f"premium{until}"
    if info.expiration is not None and info.is_expired:
        return f"premium expired on {format_when(info.expiration)}"
    return "no premium"


def who(info: Optional[AccountInfo]) -> str:
    if info is None:
        return "your account"
    return info.email or (f"user {info.user_id}" if info.user_id else "your account")


def warn_if_plain_http(ctx: Context, url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        ctx.note(f"warning: {what} goes unencrypted over http to {parts.hostname}")


# --------------------------------------------------------------------------------------------
# offcloud login / logout / account


def run_login(ctx: Context) -> int:
    settings = load_settings()
    token, info = device_login(ctx, settings)
    path = write_token(settings.path, token)
    now = load_settings()
    if ctx.args.json:
        json_line(
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
            f"Logged in as {who(info)} ({account_plan(info)}).",
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
        ctx.print_json({**to_json(account), "credential": credential})
    else:
        fields = [*_account_fields(account), ("Credential", settings.describe())]
        ctx.print(*format_fields(fields))
    return EXIT_OK


def _account_fields(account: AccountInfo) -> list[tuple[str, Optional[str]]]:
    expires = None
    if account.expiration is not None:
        expires = format_when(account.expiration) + (" (expired)" if account.is_expired else "")
    limits = None
    if account.limits:
        limits = ", ".join(
            f"{name} {'unlimited' if value is None else value}"
            for name, value in sorted(account.limits.items())
        )
    return [
        ("Premium", yes_no(account.is_premium)),
        ("Can download", yes_no(account.can_download)),
        ("Expires", expires),
        ("User id", account.user_id),
        ("E-mail", account.email),
        ("Limits", limits),
        ("API", account.api_generation),
    ]
