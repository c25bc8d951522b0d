"""What reading a .torrent costs, before and after a change: time (best of 3) and peak memory.

Not a test (pytest does not collect it): the figures of issue 14, item 5. Four 0.5-5 MB shapes,
each measured in a fresh process with ``parse_torrent`` of the commit ``BEFORE`` (default
``HEAD``) and of the working tree, and with the event thread's reader (``torrent_query``)::

    .venv/bin/python bench/torrent_cost.py [BEFORE]

Memory is tracemalloc's peak during one read (the file's bytes, read before, not counted;
``torrent_query`` reads them itself).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offcloud_api.torrent import Encodable, bencode  # noqa: E402

PROBE = textwrap.dedent(
    """
    import sys, time, tracemalloc
    from pathlib import Path
    sys.path[:0] = [sys.argv[3], sys.argv[4]]
    from old_torrent import parse_torrent as before
    from offcloud_api.torrent import parse_torrent as after
    from offcloud_api.pyload.intake import torrent_query
    path = Path(sys.argv[1])
    read = {
        "before": before,
        "after": after,
        "brief": lambda data: after(data, list_files=False),
        "query": lambda data: torrent_query(path.as_uri(), str(path.parent)),
    }[sys.argv[2]]
    data = path.read_bytes()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        read(data)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    read(data)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    print(f"{best:6.2f} s  peak {peak:6.1f} MB")
    """
)
LABELS = {
    "before": "before: parse_torrent",
    "after": "after: parse_torrent",
    "brief": "after: parse_torrent(list_files=False)",
    "query": "after: torrent_query (event thread)",
}


def many_files() -> bytes:
    files: list[Encodable] = [
        {
            "length": 1000 + i,
            "path": [f"Season {i % 20:02d}", f"dir{i // 100:04d}", f"f{i:06d}.mkv"],
        }
        for i in range(80_000)
    ]
    info: dict[str | bytes, Encodable] = {
        "name": "Big",
        "piece length": 2**18,
        "pieces": os.urandom(20_000),
        "files": files,
    }
    return bencode({"announce": "udp://t.example:80", "info": info})


def big_pieces() -> bytes:
    info: dict[str | bytes, Encodable] = {
        "name": "Big.mkv",
        "length": 250_000 * 2**22,
        "piece length": 2**22,
    }
    info["pieces"] = os.urandom(20 * 250_000)
    return bencode({"announce": "udp://t.example:80", "info": info})


def empty_dicts() -> bytes:
    info = bencode({"name": "x", "length": 1, "piece length": 16384, "pieces": b"\0" * 20})
    return b"d4:info" + info + b"4:junkl" + b"de" * 2_500_000 + b"ee"


def trackers() -> bytes:
    listed: list[Encodable] = [f"udp://t{i}.example:80" for i in range(20_000)]
    info: dict[str | bytes, Encodable] = {
        "name": "a",
        "length": 1,
        "piece length": 16384,
        "pieces": b"\0" * 20,
    }
    return bencode({"announce-list": [listed], "info": info})


SHAPES: dict[str, Callable[[], bytes]] = {
    "80 000 files": many_files,
    "5 MB of pieces": big_pieces,
    "2.5 M empty dicts": empty_dicts,
    "20 000 trackers": trackers,
}


def main(before: str) -> None:
    work = Path(tempfile.mkdtemp())
    old = subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "show", f"{before}:offcloud_api/torrent.py"],  # noqa: S607
        capture_output=True,
        check=True,
        text=True,
        cwd=ROOT,
    ).stdout
    (work / "old_torrent.py").write_text(
        old.replace("from .magnet import", "from offcloud_api.magnet import"), encoding="utf-8"
    )
    torrent = work / "tmp_cost.torrent"  # where and how pyLoad's TORRENT container saves one
    for name, make in SHAPES.items():
        data = make()
        torrent.write_bytes(data)
        for version, label in LABELS.items():
            probe = [sys.executable, "-c", PROBE, str(torrent), version, str(work), str(ROOT)]
            out = subprocess.run(  # noqa: S603 - this Python with our own probe
                probe, capture_output=True, text=True, timeout=900, check=False
            )
            result = out.stdout.strip() or out.stderr.strip()[-200:]
            sys.stdout.write(f"{name:18} {len(data) / 1e6:4.1f} MB  {label:39} {result}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "HEAD")
