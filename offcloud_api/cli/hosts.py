"""``offcloud sites`` and ``offcloud proxies``: what Offcloud supports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .context import EXIT_OK, Context, add_command
from .output import format_table

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = ["add_proxies_parser", "add_sites_parser"]


def add_sites_parser(subparsers: Subparsers) -> None:
    add_command(subparsers, "sites", "list the hosts Offcloud supports", run_sites)


def run_sites(ctx: Context) -> int:
    sites = sorted(ctx.client.get_supported_sites(), key=lambda site: site.name.lower())
    if ctx.args.json:
        ctx.print_json(sites)
        return EXIT_OK
    rows = [
        [
            site.name,
            site.status.value,
            "cloud only" if site.cloud_only else "yes",
            "-" if site.max_chunks is None else str(site.max_chunks),
        ]
        for site in sites
    ]
    ctx.print(*format_table(["HOST", "STATUS", "INSTANT", "CHUNKS"], rows, right=[3]))
    return EXIT_OK


def add_proxies_parser(subparsers: Subparsers) -> None:
    add_command(subparsers, "proxies", "list the proxies for instant downloads", run_proxies)


def run_proxies(ctx: Context) -> int:
    proxies = ctx.client.get_proxies()
    if ctx.args.json:
        ctx.print_json(proxies)
    else:
        rows = [[proxy.id, proxy.region or "-", proxy.name or "-"] for proxy in proxies]
        ctx.print(*format_table(["ID", "REGION", "NAME"], rows))
    return EXIT_OK
