"""The ``offcloud`` program: the parser of every command, the exit code of every error, and
:func:`main`.

Every command is one ``add_<command>_parser(subparsers)`` function in :data:`COMMAND_PARSERS`,
from the module of its group; a new command (or a group with subcommands of its own) is one more
function there. The exit codes are listed in :mod:`offcloud_api.cli`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Optional

from .. import __version__
from ..config import ENV_API_KEY, ENV_API_URL, ENV_CONFIG, KEY_PAGE, ConfigError, load_settings
from ..exceptions import (
    AuthError,
    CloudFullError,
    FeatureNotAvailableError,
    FileOfflineError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    TemporaryError,
)
from ..redact import redact
from .cache import add_cache_parser
from .context import (
    EXIT_AUTH,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_AVAILABLE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_TEMPORARY,
    EXIT_USAGE,
    PROG,
    CommandError,
    Context,
    Handler,
    Parser,
    UsageError,
    global_options,
)
from .download import add_download_parser
from .hosts import add_proxies_parser, add_sites_parser
from .jobs import (
    add_add_parser,
    add_explore_parser,
    add_history_parser,
    add_remove_parser,
    add_retry_parser,
    add_status_parser,
    add_wait_parser,
)
from .login import add_credential_parsers
from .output import format_duration, printable
from .pyload import add_pyload_parser
from .simulate import add_simulate_parser

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = ["COMMAND_PARSERS", "build_parser", "describe", "exit_code_for", "main"]

log = logging.getLogger(__name__)

#: Where a user frees the cloud's storage (docs/api.md L23).
CLOUD_PAGE = "https://offcloud.com/#/cloud"

_KEY_HELP = f"""\
The API key is read from the {ENV_API_KEY} environment variable, else from the config file
${ENV_CONFIG}, else $XDG_CONFIG_HOME/offcloud/config.ini (~/.config/offcloud/config.ini):

    [offcloud]
    api_key = <your key from {KEY_PAGE}>
    api_url = <optional; also --api-url or {ENV_API_URL}>

There is deliberately no option for the key: command-line arguments end up in your shell
history and in the process list, where other users can read them.

exit codes: 0 ok, 1 error, 2 usage, 3 API key, 4 not found, 5 try again later,
6 feature not available or IP not confirmed, 130 interrupted"""


#: Each adds one command (or one group of commands) to the parser.
COMMAND_PARSERS: tuple[Callable[[Subparsers], None], ...] = (
    add_credential_parsers,
    add_sites_parser,
    add_add_parser,
    add_status_parser,
    add_wait_parser,
    add_explore_parser,
    add_download_parser,
    add_cache_parser,
    add_history_parser,
    add_remove_parser,
    add_retry_parser,
    add_proxies_parser,
    add_simulate_parser,
    add_pyload_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Use an Offcloud.com account from the command line.",
        epilog=_KEY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[global_options(subcommand=False)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    for add_parser in COMMAND_PARSERS:
        add_parser(subparsers)
    return parser


def exit_code_for(error: OffcloudError) -> int:
    """The exit code of a library error (the table in :mod:`offcloud_api.cli`)."""
    if isinstance(error, AuthError):
        return EXIT_AUTH
    if isinstance(error, (NotFoundError, FileOfflineError)):
        return EXIT_NOT_FOUND
    if isinstance(error, TemporaryError):
        return EXIT_TEMPORARY
    if isinstance(error, (FeatureNotAvailableError, CloudFullError, IPNotRegisteredError)):
        return EXIT_NOT_AVAILABLE
    return EXIT_ERROR


def describe(error: OffcloudError) -> str:
    """The one-line message for a library error."""
    message = error.message
    if isinstance(error, RateLimitError):
        if error.retry_after is not None:
            return f"{message}; Offcloud asks to retry after {format_duration(error.retry_after)}"
        return f"{message}; try again later"
    if isinstance(error, IPNotRegisteredError):
        return f"{message}; confirm this IP with the link Offcloud e-mailed you"
    if isinstance(error, CloudFullError):
        # docs/api.md L23: only removing jobs frees it; the CLI removes nothing on its own.
        return f"{message}; remove finished jobs (offcloud remove ID, or {CLOUD_PAGE})"
    return message


class _RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(name)s: %(message)s")
        self.secrets = secrets  # the caller's list: the key is added once read

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record), self.secrets)
        # Line by line: a traceback keeps its lines.
        return "\n".join(printable(line) for line in text.split("\n"))


@contextmanager
def _verbose_logging(ctx: Context) -> Iterator[None]:
    """With ``-v``, the library's DEBUG log on stderr (only its own loggers: urllib3 would log
    full URLs, and download URLs may carry secrets)."""
    if not ctx.args.verbose:
        yield
        return
    logger = logging.getLogger("offcloud_api")
    handler = logging.StreamHandler(ctx.err)
    handler.setFormatter(_RedactingFormatter(ctx.secrets))
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def _mask_configured_key(message: str) -> str:
    """Mask the configured key in a usage error: argparse echoes what was typed, key included."""
    try:
        key = load_settings().api_key
    except ConfigError:
        key = None
    return redact(message, (key,))


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line; return the exit code."""
    out, err = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"{PROG}: error: {printable(_mask_configured_key(str(exc)))}", file=err)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK

    ctx = Context(args, out, err)
    with _verbose_logging(ctx):
        try:
            run: Handler = args.run
            return run(ctx)
        except KeyboardInterrupt:
            ctx.error("interrupted")
            return EXIT_INTERRUPTED
        except UsageError as exc:
            ctx.error(str(exc))
            return EXIT_USAGE
        except ConfigError as exc:
            ctx.error(str(exc))
            return EXIT_AUTH
        except OffcloudError as exc:
            log.debug("%s failed: %r", args.command, exc)
            ctx.error(describe(exc))
            return exit_code_for(exc)
        except CommandError as exc:
            ctx.error(str(exc))
            return EXIT_ERROR
        finally:
            ctx.close()
