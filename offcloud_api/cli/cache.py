"""``offcloud cache``: whether Offcloud holds torrents already."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..magnet import info_hash_of, is_magnet
from ..models import CacheResult
from .context import EXIT_OK, Context, UsageError, add_command

if TYPE_CHECKING:
    from .context import Subparsers

__all__ = ["add_cache_parser"]


def add_cache_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "cache", "check whether Offcloud holds torrents already", run_cache
    )
    parser.add_argument("items", metavar="MAGNET|HASH", nargs="+", help="magnet links or hashes")
    parser.add_argument(
        "--files",
        action="store_true",
        help="also list the files of cached torrents (one call per 100 instead of per 1,000)",
    )


def run_cache(ctx: Context) -> int:
    items: list[str] = ctx.args.items
    for item in items:
        if info_hash_of(item) is None:
            what = "a magnet link with a valid info-hash" if is_magnet(item) else "an info-hash"
            raise UsageError(f"not a magnet link or info-hash: {item!r} is not {what}")
    # Files only on request: without them, 1,000 hashes are one call (/cache answers hits only).
    results = ctx.client.cache_info(items, include_files=ctx.args.files)
    if ctx.args.json:
        ctx.print_json(results)
        return EXIT_OK
    for result in results:
        ctx.print(_cache_line(result))
        if ctx.args.files:
            ctx.print(*(f"    {file.path}" for file in result.files))
    return EXIT_OK


def _cache_line(result: CacheResult) -> str:
    """``yes``/``no``, the hash, and the number of files where they were asked for."""
    count = len(result.files)
    files = "-" if not count else f"{count} file{'s' if count != 1 else ''}"
    cached = "yes" if result.cached else "no"
    return f"{cached:<3}  {result.info_hash or '-':<40}  {files}"
