"""The simulator's HTTP messages: a parsed request, a reply, and the canned pages and files.

:class:`ApiRequest` reads a JSON or form body and finds the API key wherever a client put it;
:class:`Reply` is what a route answers (a body, or a range of a generated file); the builders
below make the error pages each server sends (Express, Offcloud, Symfony, a download server)
and file answers with ``Range``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union
from urllib.parse import parse_qs, quote, unquote

from .files import FileSpec

__all__ = [
    "ApiRequest",
    "Reply",
    "bare_string_reply",
    "download_error_html",
    "file_reply",
    "json_reply",
    "method_not_allowed_html",
    "not_found_html",
    "offcloud_not_found_html",
    "parse_range",
]

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
QUERY_KEY_NAMES = ("key", "apikey", "apiKey")
#: Where a key may be, in the order the call log reports them (a key in the URL always shows).
KEY_LOCATION_ORDER = ("query", "bearer", "form", "json", "cookie")
SESSION_COOKIE = "connect.sid"


@dataclass
class ApiRequest:
    """One HTTP request, parsed: the body is read as JSON or as a form, whichever it is."""

    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    via: str
    base_url: str
    fields: dict[str, Any] = field(default_factory=dict)
    body_kind: Optional[str] = None
    json_value: Any = None

    @classmethod
    def parse(
        cls,
        *,
        method: str,
        host: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        via: str,
        base_url: str,
    ) -> ApiRequest:
        path, _, query_text = target.partition("?")
        request = cls(
            method=method,
            host=host,
            path=path or "/",
            query=parse_qs(query_text, keep_blank_values=True),
            headers=headers,
            body=body,
            via=via,
            base_url=base_url,
        )
        request._parse_body()
        return request

    def _parse_body(self) -> None:
        if not self.body:
            return
        content_type = self.header("content-type") or ""
        text = self.body.decode("utf-8", errors="replace")
        if "json" in content_type or text.lstrip()[:1] in ("{", "["):
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            else:
                self.body_kind = "json"
                self.json_value = value
                if isinstance(value, dict):
                    self.fields = value
                return
        if "multipart" in content_type:
            return
        form = parse_qs(text, keep_blank_values=True)
        if form:
            self.body_kind = "form"
            self.fields = {
                name: values if len(values) > 1 or name.endswith("[]") else values[0]
                for name, values in form.items()
            }

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def param(self, *names: str) -> Optional[str]:
        """A scalar parameter from the body (JSON or form), else from the query string."""
        for name in names:
            value = self.fields.get(name)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                text = str(value).strip()
                if text:
                    return text
        for name in names:
            values = self.query.get(name)
            if values and values[0].strip():
                return values[0].strip()
        return None

    def param_list(self, name: str) -> list[str]:
        """A list parameter: a JSON array, repeated form fields (``name`` or ``name[]``)."""
        for candidate in (name, f"{name}[]"):
            value = self.fields.get(candidate)
            if value is None:
                value = self.query.get(candidate)
            if isinstance(value, list):
                return [str(v) for v in value if isinstance(v, (str, int)) and str(v).strip()]
            if isinstance(value, str) and value.strip():
                return [value.strip()]
        return []

    def flag(self, name: str) -> bool:
        value = self.fields.get(name)
        if isinstance(value, bool):
            return value
        text = self.param(name)
        return text is not None and text.lower() in ("1", "true", "yes", "on")

    def cookie(self, name: str) -> Optional[str]:
        for part in (self.header("cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and value:
                return unquote(value)
        return None

    def key_sources(self) -> list[tuple[str, str]]:
        """Every ``(location, key)`` the request carries, in :data:`KEY_LOCATION_ORDER`."""
        found: list[tuple[str, str]] = []
        for name in QUERY_KEY_NAMES:
            found.extend(("query", value) for value in self.query.get(name, []) if value)
        authorization = self.header("authorization") or ""
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            found.append(("bearer", token.strip()))
        for name in QUERY_KEY_NAMES:
            field_value = self.fields.get(name)
            if isinstance(field_value, str) and field_value:
                found.append(("json" if self.body_kind == "json" else "form", field_value))
        session = self.cookie(SESSION_COOKIE)
        if session:
            found.append(("cookie", session))
        return found

    @property
    def key_locations(self) -> tuple[str, ...]:
        places = {location for location, _ in self.key_sources()}
        return tuple(p for p in KEY_LOCATION_ORDER if p in places)


@dataclass
class Reply:
    """An answer. ``file`` with ``file_range`` streams generated content instead of ``body``."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    file: Optional[FileSpec] = None
    file_range: tuple[int, int] = (0, 0)
    is_json: bool = False
    request_id: Optional[str] = None
    user_id: Optional[str] = None
    #: A note for the call log's ``fault`` field when no fault fired (``cloud_full``).
    marker: Optional[str] = None

    @property
    def length(self) -> int:
        if self.file is not None:
            return self.file_range[1] - self.file_range[0]
        return len(self.body)


def json_reply(payload: Any, status: int = 200) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Reply(status=status, body=body, is_json=True)


def not_found_html(method: str, path: str) -> Reply:
    """Express's answer for a route it does not have (what the 2026 server sends, §2.2)."""
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        f"</head>\n<body>\n<pre>Cannot {method} {_html_escape(path)}</pre>\n</body>\n</html>\n"
    )
    return Reply(status=404, body=page.encode("utf-8"), content_type=HTML_TYPE)


def offcloud_not_found_html() -> Reply:
    """Offcloud's own HTML 404 page: what the live API answers for a path it has not (L3)."""
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n'
        "<title>Page not found | Offcloud</title>\n</head>\n<body>\n"
        '<div class="error-page"><h1>404</h1><p>The page you are looking for does not exist.</p>'
        '<a href="https://offcloud.com/">Back to Offcloud</a></div>\n</body>\n</html>\n'
    )
    return Reply(status=404, body=page.encode("utf-8"), content_type="text/html; charset=UTF-8")


def method_not_allowed_html(allowed: list[str]) -> Reply:
    """Symfony's HTML 405 page: a known path asked with the wrong verb on the live API (L3)."""
    page = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8" />\n'
        "<title>An Error Occurred: Method Not Allowed</title>\n</head>\n<body>\n"
        "<h1>Oops! An Error Occurred</h1>\n"
        '<h2>The server returned a "405 Method Not Allowed".</h2>\n'
        "<div>Something is broken. Please let us know what you were doing when this error "
        "occurred. We will fix it as soon as possible. Sorry for any inconvenience caused.</div>\n"
        "</body>\n</html>\n"
    )
    return Reply(
        status=405,
        body=page.encode("utf-8"),
        content_type="text/html; charset=UTF-8",
        headers=[("Allow", ", ".join(allowed))],
    )


def bare_string_reply(text: str, status: int = 500) -> Reply:
    """A bare JSON string body (the live add's failure form, L6)."""
    return Reply(status=status, body=json.dumps(text).encode("utf-8"), is_json=True)


def download_error_html(status: int, text: str) -> Reply:
    """A download server's HTML error page (the texts JD matches, §4.1)."""
    page = (
        "<html><head><title>Error</title></head>"
        f"<body><h1>Error: {_html_escape(text)}</h1></body></html>\n"
    )
    return Reply(status=status, body=page.encode("utf-8"), content_type=HTML_TYPE)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def file_reply(request: ApiRequest, file: FileSpec, *, disposition_name: Optional[str]) -> Reply:
    """A file answer with ``Accept-Ranges``; one ``Range`` gives 206, an impossible one 416."""
    size = file.size
    headers = [("Accept-Ranges", "bytes")]
    if disposition_name is not None:
        ascii_name = disposition_name.encode("ascii", "replace").decode().replace('"', "_")
        encoded = quote(disposition_name, safe="")
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
        headers.append(("Content-Disposition", disposition))
    wanted = parse_range(request.header("range"), size)
    if isinstance(wanted, str):
        return Reply(
            status=416,
            headers=[*headers, ("Content-Range", f"bytes */{size}")],
            content_type=TEXT_TYPE,
        )
    if wanted is None:
        return Reply(
            status=200,
            headers=headers,
            content_type="application/octet-stream",
            file=file,
            file_range=(0, size),
        )
    start, end = wanted
    headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
    return Reply(
        status=206,
        headers=headers,
        content_type="application/octet-stream",
        file=file,
        file_range=(start, end),
    )


_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def parse_range(header: Optional[str], size: int) -> Union[tuple[int, int], str, None]:
    """``(start, end_exclusive)``, ``"unsatisfiable"``, or None to send the whole file.

    Several ranges or a malformed header are ignored (RFC 9110 allows answering 200).
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return "unsatisfiable"
        return max(size - count, 0), size
    start = int(first)
    if start >= size:
        return "unsatisfiable"
    end = size if not last else min(int(last) + 1, size)
    if end <= start:
        return None
    return start, end
