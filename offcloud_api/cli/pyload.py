"""``offcloud pyload``: install the plugins into a pyLoad, and log that pyLoad in.

``install``, ``uninstall`` and ``status`` drive :mod:`offcloud_api.install.installer`.
``pyload login`` runs the device flow of ``offcloud login`` (:mod:`offcloud_api.cli.login`) and
makes the token the password of the OffcloudCom account of a pyLoad: in its ``accounts.cfg`` when
it is stopped, through its web API when it runs (:mod:`offcloud_api.install.login` says why both).

The installer and the login into pyLoad are imported by the commands that use them, so the other
commands start without them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ..config import load_settings
from .context import (
    EXIT_ERROR,
    EXIT_OK,
    PROG,
    CommandError,
    Context,
    UsageError,
    add_command,
    global_options,
)
from .login import account_plan, device_login, json_line, warn_if_plain_http, who

if TYPE_CHECKING:
    import argparse

    from ..install.login import AccountsFile, PyloadWeb
    from .context import Subparsers

__all__ = ["DEFAULT_PYLOAD_LOGIN", "ENV_PYLOAD_API_KEY", "add_pyload_parser"]

#: A running pyLoad's API key, for ``offcloud pyload login --pyload-url`` (never an argument).
ENV_PYLOAD_API_KEY = "PYLOAD_API_KEY"
#: The pyLoad login when Offcloud names no e-mail and pyLoad has no OffcloudCom account yet.
DEFAULT_PYLOAD_LOGIN = "offcloud-login"


def add_pyload_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "pyload", "install the Offcloud plugins into a pyLoad", run_pyload_help
    )
    actions = parser.add_subparsers(
        title="actions", dest="pyload_action", metavar="ACTION", required=True
    )
    for name, summary, run in (
        (
            "install",
            "copy the plugins and a private copy of the library into pyLoad's user folder",
            run_pyload_install,
        ),
        ("uninstall", "remove exactly what install wrote", run_pyload_uninstall),
        (
            "status",
            "show the installed version and whether pyLoad has loaded it",
            run_pyload_status,
        ),
    ):
        action = actions.add_parser(
            name, help=summary, description=summary, parents=[global_options(subcommand=True)]
        )
        action.set_defaults(run=run)
        action.add_argument(
            "--userdir",
            type=Path,
            default=None,
            help="pyLoad's user folder (default: ~/.pyload; the linuxserver image mounts /config)",
        )
        action.add_argument(
            "--python",
            type=Path,
            default=None,
            help="the Python that runs pyLoad, to check it (default: the pyload command's)",
        )
        if name != "status":
            action.add_argument(
                "--force",
                action="store_true",
                help="also replace (install) or remove (uninstall) files changed since or not ours",
            )
    _add_pyload_login(actions)


def _add_pyload_login(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        parents=[global_options(subcommand=True)],
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


def run_pyload_help(ctx: Context) -> int:  # pragma: no cover - argparse requires an action
    raise CommandError("say install, uninstall or status")


def _pyload_paths(ctx: Context) -> tuple[Path, Path]:
    from ..install import installer  # noqa: PLC0415 - only this group needs it (start-up)

    userdir = (ctx.args.userdir or installer.default_userdir()).expanduser()
    python = ctx.args.python or installer.find_pyload_python()
    return userdir, python


def _report(ctx: Context, report: Any, python_check: Any = None) -> None:
    if ctx.args.json:
        value: dict[str, Any] = {
            "stamp": report.stamp,
            "installed_at": report.installed_at,
            "restart": report.restart,
            "notes": report.notes,
            "files": [
                {
                    "file": f"{f.folder}/{f.name}",
                    "state": f.state,
                    "version": f.version,
                    "path": str(f.target),
                }
                for f in report.files
            ],
        }
        if python_check is not None:
            value["python"] = {
                "path": str(python_check.python),
                "ok": python_check.ok,
                "detail": python_check.detail,
            }
        ctx.print_json(value)
        return
    plugins = [f for f in report.files if not f.folder.startswith("offcloud_lib")]
    library = [f for f in report.files if f.folder.startswith("offcloud_lib")]
    for f in plugins:
        version = f" {f.version}" if f.version else ""
        ctx.print(f"{f.state:<10} {f.folder}/{f.name}{version}  ({f.target})")
    if library:
        counts: dict[str, int] = {}
        for f in library:
            counts[f.state] = counts.get(f.state, 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        where = library[0].target.parents[len(Path(library[0].name).parts) - 1]
        ctx.print(f"library    {len(library)} files ({summary})  ({where})")
        for f in library:
            if f.state in ("foreign", "modified", "kept", "missing"):
                ctx.print(f"{f.state:<10} {f.folder}/{f.name}  ({f.target})")
    if report.stamp:
        when = f", {report.installed_at}" if report.installed_at else ""
        ctx.print(f"version    {report.stamp}{when}")
    for note in report.notes:
        ctx.print(f"note       {note}")
    if report.restart:
        ctx.print(f"pyLoad     {report.restart}")
    if python_check is not None:
        verdict = "can" if python_check.ok else "CANNOT"
        ctx.print(
            f"python     {python_check.python} {verdict} run the plugins ({python_check.detail})"
        )


def _installer_call(call: Callable[[], Any]) -> Any:
    from ..install.installer import InstallError  # noqa: PLC0415 - as above

    try:
        return call()
    except InstallError as exc:
        raise CommandError(str(exc)) from None


def run_pyload_install(ctx: Context) -> int:
    from ..install import installer  # noqa: PLC0415 - as above

    userdir, python = _pyload_paths(ctx)
    report = _installer_call(lambda: installer.install(userdir, force=ctx.args.force))
    check = installer.check_python(python, userdir) if ctx.args.python else None
    _report(ctx, report, check)
    if not ctx.args.json:
        changed = sum(f.state not in ("unchanged",) for f in report.files)
        ctx.print(
            f"{changed} file(s) written or removed under {userdir / 'plugins'}. Restart pyLoad, "
            "then add an account of type OffcloudCom with your API key as the password."
        )
    return EXIT_OK if check is None or check.ok else EXIT_ERROR


def run_pyload_uninstall(ctx: Context) -> int:
    from ..install import installer  # noqa: PLC0415 - as above

    userdir, _ = _pyload_paths(ctx)
    report = _installer_call(lambda: installer.uninstall(userdir, force=ctx.args.force))
    _report(ctx, report)
    if not ctx.args.json:
        ctx.print("Restart pyLoad to unload the plugins.")
    return EXIT_OK if not report.notes else EXIT_ERROR


def run_pyload_status(ctx: Context) -> int:
    from ..install import installer  # noqa: PLC0415 - as above

    userdir, python = _pyload_paths(ctx)
    report = _installer_call(lambda: installer.status(userdir))
    check = installer.check_python(python, userdir) if ctx.args.python else None
    _report(ctx, report, check)
    current = all(f.state == "current" for f in report.files) and not report.notes
    return EXIT_OK if current and (check is None or check.ok) else EXIT_ERROR


# --------------------------------------------------------------------------------------------
# offcloud pyload login


def run_pyload_login(ctx: Context) -> int:
    from ..install import login as pyload  # noqa: PLC0415 - only this command needs it

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

    token, info = device_login(ctx, settings)
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
        json_line(
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
        ctx.print(f"Logged in as {who(info)} ({account_plan(info)}).")
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
    from ..install import installer  # noqa: PLC0415 - as above
    from ..install import login as pyload  # noqa: PLC0415 - as above

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
    from ..install import login as pyload  # noqa: PLC0415 - as above

    key = os.environ.get(ENV_PYLOAD_API_KEY, "").strip()
    if not key:
        raise UsageError(
            f"--pyload-url needs an API key of that pyLoad in {ENV_PYLOAD_API_KEY} (pyLoad: "
            "Settings, Users, Manage API Keys); it is never taken from an argument"
        )
    ctx.secrets.append(key)
    try:
        web = pyload.PyloadWeb(ctx.args.pyload_url, key)
        warn_if_plain_http(ctx, web.url, "the login token")
        web.check()  # the address and the key work, before the user confirms anything
    except pyload.PyloadLoginError as exc:
        raise CommandError(str(exc)) from None
    return web
