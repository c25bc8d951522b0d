"""What every command gets: the exit codes, the two errors of the command line, the parser
class and the :class:`Context` (arguments, output, and the API client on first use).

This is the base of the package: it imports no command module.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, TextIO
from urllib.parse import urlsplit

from ..client import OffcloudAPI
from ..config import ENV_API_URL, load_settings
from ..redact import redact
from ..retry import RetryPolicy
from .output import ProgressBar, json_text, printable

__all__ = [
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_AVAILABLE",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_TEMPORARY",
    "EXIT_USAGE",
    "PROG",
    "CommandError",
    "Context",
    "Handler",
    "Parser",
    "UsageError",
    "add_command",
    "global_options",
]

PROG = "offcloud"
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_TEMPORARY = 5
EXIT_NOT_AVAILABLE = 6
EXIT_INTERRUPTED = 130

#: How the command line pauses between polls and retries, and reads the time; tests swap them.
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.monotonic


class UsageError(Exception):
    """The command line is wrong: exit code 2."""


class CommandError(Exception):
    """A command cannot go on for a reason that is not an Offcloud error: exit code 1."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, printed by :func:`~.app.main`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[Parser]


class Context:
    """The parsed arguments, the output streams and, on first use, the API client."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        #: Texts to mask in anything printed; the key joins once it is read.
        self.secrets: list[str] = []
        self._client: Optional[OffcloudAPI] = None

    @property
    def client(self) -> OffcloudAPI:
        """The API client, made on first use so that commands without one need no key."""
        if self._client is None:
            settings = load_settings()
            key = settings.require_key()
            self.secrets.append(key)
            base_url = self.args.api_url or settings.api_url
            if base_url:
                self._warn_if_plain_http(base_url)
            retry = RetryPolicy.for_commands(sleep)
            self._client = OffcloudAPI(key, base_url=base_url, retry=retry)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def print(self, *lines: str) -> None:
        for line in lines:
            print(printable(line), file=self.out)

    def print_json(self, value: Any) -> None:
        print(json_text(value), file=self.out)

    def note(self, message: str) -> None:
        print(f"{PROG}: {printable(self.redact(message))}", file=self.err)

    def error(self, message: str) -> None:
        print(f"{PROG}: error: {printable(self.redact(message))}", file=self.err)

    def redact(self, text: str) -> str:
        return " ".join(redact(text, self.secrets).split())

    def progress(self, label: str) -> ProgressBar:
        return ProgressBar(label, self.err, clock=clock)

    def _warn_if_plain_http(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            self.note(f"warning: the API key goes unencrypted over http to {parts.hostname}")


Handler = Callable[[Context], int]


def add_command(
    subparsers: Subparsers, name: str, summary: str, run: Handler
) -> argparse.ArgumentParser:
    """Register a command that runs ``run``; a group adds its own subparsers to the result."""
    parser = subparsers.add_parser(
        name, help=summary, description=summary, parents=[global_options(subcommand=True)]
    )
    parser.set_defaults(run=run)
    return parser


def global_options(*, subcommand: bool) -> Parser:
    """Options valid before and after the command name.

    After it they default to SUPPRESS, so an option given before the command is not reset.
    """
    options = Parser(add_help=False)
    options.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if subcommand else False,
        help="print JSON for scripts instead of text",
    )
    options.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if subcommand else False,
        help="log what happens (requests, retries, polls) to stderr",
    )
    options.add_argument(
        "--api-url",
        metavar="URL",
        default=argparse.SUPPRESS if subcommand else None,
        help=f"the API's base URL (default: {ENV_API_URL}, the config file, Offcloud's)",
    )
    return options
