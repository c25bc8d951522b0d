"""``offcloud simulate``: the local Offcloud simulator."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from .context import EXIT_OK, CommandError, Context, add_command

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = ["DEFAULT_SIMULATOR_HOST", "DEFAULT_SIMULATOR_PORT", "add_simulate_parser"]

DEFAULT_SIMULATOR_HOST = "127.0.0.1"
DEFAULT_SIMULATOR_PORT = 8765


def add_simulate_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "simulate",
        "run a local Offcloud simulator (point --api-url or OFFCLOUD_API_URL at it)",
        run_simulate,
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_SIMULATOR_HOST,
        help=f"the address to listen on (default: {DEFAULT_SIMULATOR_HOST})",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_SIMULATOR_PORT,
        help=f"the port to listen on, 0 for any free one (default: {DEFAULT_SIMULATOR_PORT})",
    )
    parser.add_argument(
        "--scenario", type=Path, metavar="FILE", help="a scenario file for the simulator"
    )


def run_simulate(ctx: Context) -> int:
    try:
        # Imported here: the simulator is not needed (and may not be installed) for the rest.
        simulator = importlib.import_module("offcloud_api.simulator")
    except ImportError as exc:
        raise CommandError(f"the Offcloud simulator cannot be loaded: {exc}") from exc
    serve = getattr(simulator, "serve", None)
    if not callable(serve):
        raise CommandError("the Offcloud simulator module has no serve() function")
    code = serve(host=ctx.args.host, port=ctx.args.port, scenario=ctx.args.scenario)
    return code if isinstance(code, int) else EXIT_OK


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)
