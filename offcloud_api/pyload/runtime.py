"""What a running pyLoad tells the installer: which install of the plugins it has loaded.

``offcloud pyload status`` compares the stamp it installed with the one pyLoad loaded, so it can
say when pyLoad must be restarted. The account plugin calls :func:`note_loaded` when pyLoad
imports it (once per pyLoad start); the note goes into the library copy's folder, which the
installer made (``<userdir>/plugins/offcloud_lib/loaded.json``), and only there.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import offcloud_api

__all__ = ["LIBRARY_FOLDER", "installed_stamp", "library_folder", "note_loaded"]

log = logging.getLogger(__name__)

#: The library copy beside the plugins (offcloud_api.install.installer.LIBRARY_FOLDER).
LIBRARY_FOLDER = "offcloud_lib"


def library_folder(plugin_file: str) -> Path:
    """``<userdir>/plugins/offcloud_lib`` for a plugin file in ``<userdir>/plugins/<type>/``."""
    return Path(plugin_file).resolve().parent.parent / LIBRARY_FOLDER


def installed_stamp(folder: Path) -> Optional[str]:
    """The stamp of the install whose manifest is in ``folder``, if there is one."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stamp = manifest.get("stamp") if isinstance(manifest, dict) else None
    return stamp if isinstance(stamp, str) else None


def note_loaded(plugin_file: str) -> Optional[dict[str, Any]]:
    """Record that this process loaded the install beside ``plugin_file``; the note, or None.

    Nothing is written where there is no install of ours (no manifest), or through a symlink.
    """
    folder = library_folder(plugin_file)
    stamp = installed_stamp(folder)
    target = folder / "loaded.json"
    if stamp is None or folder.is_symlink() or target.is_symlink():
        return None
    note = {
        "stamp": stamp,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "library": str(Path(offcloud_api.__file__).resolve().parent),
    }
    try:
        fd, temporary = tempfile.mkstemp(prefix=".loaded.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(note, out)
        Path(temporary).replace(target)
    except OSError:
        log.debug("could not note the loaded install in %s", folder, exc_info=True)
        return None
    return note
