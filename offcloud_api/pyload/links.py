"""What an Offcloud link says of itself: file links (legacy servers and the 2026 CDN) and cloud
folder links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import unquote, urlsplit

#: Offcloud's file links: the legacy file servers
#: (``https://<server>.offcloud.com/cloud/download/<requestId>/…``) and, since 2026, the CDN that
#: explore answers with (``https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/<store>-sto/…/<name>``,
#: docs/api.md L11; the node and the store vary, so the domain is matched).
FILE_URL_PATTERN = (
    r"https?://(?:[\w.-]+\.offcloud\.com/cloud/download/\w+/|(?:[\w-]+\.)*energycdn\.com/).+"
)


_FILE_URL = re.compile(
    r"https?://(?P<server>[\w-]+)\.offcloud\.com/cloud/download/(?P<request_id>\w+)/(?P<rest>.+)"
)


_CDN_URL = re.compile(r"https?://(?P<host>(?:[\w-]+\.)*energycdn\.com)(?::\d+)?/(?P<path>\S+)")


@dataclass(frozen=True)
class FileUrl:
    """What an Offcloud file link says of itself; ``request_id`` is ``None`` for a CDN link."""

    server: str
    request_id: Optional[str]
    name: str


def parse_file_url(url: str) -> Optional[FileUrl]:
    """Server, request id (where the URL has one) and file name of an Offcloud file link."""
    match = _FILE_URL.match(url)
    if match is not None:
        server, request_id = match.group("server"), match.group("request_id")
    else:
        cdn = _CDN_URL.match(url)
        if cdn is None:
            return None
        server, request_id = cdn.group("host").lower(), None
    last = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    return FileUrl(server, request_id, unquote(last))


_FOLDER_URL = re.compile(
    r"https?://(?:[\w-]+\.)?offcloud\.com/cloud/download/(?P<request_id>\w+)/?(?:[?#].*)?$"
)


def folder_request_id(url: str) -> Optional[str]:
    """The request id of an Offcloud request-folder link (no file part), or ``None``."""
    match = _FOLDER_URL.match(url.strip())
    return match.group("request_id") if match else None
