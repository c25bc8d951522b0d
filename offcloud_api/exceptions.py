"""Every error the library raises, in one tree.

::

    OffcloudError                     root; never raised itself
    ├── AuthError                     bad, missing or expired key (HTTP 401/403, ``NOAUTH``)
    │   └── DeviceLoginError          a device login ended without a token (``code``: OAuth's)
    │       ├── DeviceLoginDeniedError  the user refused on Offcloud's page (``access_denied``)
    │       ├── DeviceLoginExpiredError the code expired unconfirmed (``expired_token``)
    │       ├── DeviceLoginTimeoutError the caller's deadline passed first; a WaitTimeoutError too
    │       └── DeviceLoginAbortedError the caller's abort hook stopped it; a WaitAbortedError too
    ├── IPNotRegisteredError          Offcloud wants this IP confirmed by e-mail first
    ├── FeatureNotAvailableError      the plan lacks an add-on (``not_available``); ``.feature``
    ├── CloudFullError                the account's cloud storage is full (``not_available: cloud``)
    ├── NotFoundError                 unknown request id (a JSON 404)
    │   └── RouteNotFoundError        this server has no such route (HTML 404/405, any 405, ...)
    │       └── EndpointRemovedError  the route is gone from today's API (``.feature``)
    ├── FileOfflineError              the link is dead or invalid
    │   └── InvalidLinkError          refused by the client before anything was sent
    ├── CloudOnlyError                the host works only through cloud downloading
    ├── BadArchiveError               explore on a single-file item (Offcloud's ``Bad archive``)
    ├── CloudJobError                 a cloud job ended in ``error`` or ``canceled``; ``.job``
    │   └── JobStuckError             a job stayed ``created`` far longer than a valid one does
    ├── WaitTimeoutError              a wait passed its deadline; ``.job`` is the last status
    ├── WaitAbortedError              the caller's abort hook asked to stop a wait
    ├── HTTPError                     any other error answer
    │   └── RefusedError              Offcloud's own refusal text (HTTP 500 + a bare JSON string)
    └── TemporaryError                try again later; the request did not do what was asked
        ├── RateLimitError            HTTP 429; ``.retry_after`` in seconds, if Offcloud said
        ├── ServerError               HTTP 5xx, including HTML error pages
        ├── InvalidResponseError      an answer that is not the JSON it should be (truncated)
        │   └── ResponseTooLargeError an answer larger than the call's byte cap
        ├── OffcloudConnectionError   no answer at all: DNS, refused, reset, timeout
        └── HostUnavailableError      the host is disabled or its quota is used up today

Each error carries what a caller needs as attributes: ``status`` (the HTTP status, or ``None``),
``code`` (the payload's ``error`` or ``not_available`` value), ``method`` and ``path``.
``path`` never includes the query string and no message ever includes the API key: messages are
built from the route and Offcloud's own error text, which is redacted before it is stored.

:func:`error_from_response` is the single place that decides the class from an answer. Legacy
Offcloud reports errors with HTTP 200, so the payload is read whatever the status.
:func:`route_missing` decides, before any parsing, whether an answer means "no such route here"
(docs/api.md L3): an HTML page with status 404, 405 or 2xx, any 405, or a 404 whose
body is not JSON. An HTML 5xx stays a :class:`ServerError` (an outage page) and an HTML 429 a
:class:`RateLimitError`; a JSON 404 (``{"error": "Transfer not found"}``) is a plain
:class:`NotFoundError`, an unknown id.

``{"not_available": "cloud"}`` is no missing add-on: Offcloud answers it when the account's cloud
storage is full (docs/api.md L23), on whatever HTTP status. It is :class:`CloudFullError`, a
sibling of :class:`FeatureNotAvailableError` (so no ``except FeatureNotAvailableError`` reads it as
a plan to upgrade) and no :class:`TemporaryError` (so the client never sends an add again by
itself because of it: only removing jobs makes room). Other ``not_available`` values keep their
meaning.

The device login (:mod:`offcloud_api.oauth`, docs/api.md §1.4) raises the
``DeviceLogin*`` errors: each is an :class:`AuthError` (no credential came of it), ``code`` is the
OAuth error Offcloud answered (``None`` when the client stopped on its own), and no message holds
the device code or a token.

The 2026 add endpoint refuses with HTTP 500 and a bare JSON string such as
``"Error parsing url - HTTP code: 404 "`` (L6): that is Offcloud's answer, not an outage. It becomes
:class:`FileOfflineError` when the upstream status is 404 or 410, else :class:`RefusedError`
(or a narrower class when its text is one Offcloud's known messages).
"""

from __future__ import annotations

import re
from typing import Any, Optional, Protocol

__all__ = [
    "AuthError",
    "BadArchiveError",
    "CloudFullError",
    "CloudJobError",
    "CloudOnlyError",
    "DeviceLoginAbortedError",
    "DeviceLoginDeniedError",
    "DeviceLoginError",
    "DeviceLoginExpiredError",
    "DeviceLoginTimeoutError",
    "EndpointRemovedError",
    "FeatureNotAvailableError",
    "FileOfflineError",
    "HTTPError",
    "HostUnavailableError",
    "IPNotRegisteredError",
    "InvalidLinkError",
    "InvalidResponseError",
    "JobSnapshot",
    "JobStuckError",
    "NotFoundError",
    "OffcloudConnectionError",
    "OffcloudError",
    "RateLimitError",
    "RefusedError",
    "ResponseTooLargeError",
    "RouteNotFoundError",
    "ServerError",
    "TemporaryError",
    "WaitAbortedError",
    "WaitTimeoutError",
    "error_from_response",
    "is_html",
    "is_ip_refusal_text",
    "route_missing",
    "upstream_status_of",
]


class OffcloudError(Exception):
    """Root of every error this library raises."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        method: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in (
                ("status", self.status),
                ("code", self.code),
                ("method", self.method),
                ("path", self.path),
            )
            if value is not None
        )
        return f"{type(self).__name__}({self.message!r}{', ' if fields else ''}{fields})"


class AuthError(OffcloudError):
    """The API key is invalid, missing or expired (``NOAUTH``, HTTP 401 or 403)."""


class IPNotRegisteredError(OffcloudError):
    """Offcloud refuses this IP until the account owner confirms it (link in an e-mail).

    Also raised for download links requested from another IP ("You are not authorized to download
    this file.").
    """


class FeatureNotAvailableError(OffcloudError):
    """The account lacks what the request needs: ``feature`` is Offcloud's name for it.

    Offcloud's names: ``premium``, ``links``, ``proxy``, ``video``, ``cloud``, ``torrent``,
    ``usenet``.
    """

    def __init__(self, message: str, *, feature: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.feature = feature


class CloudFullError(OffcloudError):
    """The account's cloud storage is full: Offcloud takes no new job until jobs are removed.

    Offcloud answers ``{"not_available": "cloud"}`` (docs/api.md L23; the HTTP status was not
    captured, so any status counts). Every job counts against the quota, cached ones too; the
    cure is removing jobs whose files are already downloaded. ``code`` is ``"cloud"``. Nothing
    was made: adding again makes sense only once room was made.
    """


class NotFoundError(OffcloudError):
    """HTTP 404: an unknown request id (or, as :class:`RouteNotFoundError`, an unknown route)."""


class RouteNotFoundError(NotFoundError):
    """This server has no such route: Offcloud's HTML 404 or 405 page, or a 404 that is not JSON.

    Fallbacks to another route trigger on this class only, never on a plain
    :class:`NotFoundError` (an unknown request id answered in JSON).
    """


class EndpointRemovedError(RouteNotFoundError):
    """A legacy route that today's API no longer serves; ``feature`` says which capability."""

    def __init__(self, message: str, *, feature: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.feature = feature


class FileOfflineError(OffcloudError):
    """The link is dead, removed or not a valid link of its host."""


class InvalidLinkError(FileOfflineError):
    """The client refused a link before sending it, e.g. a magnet without a valid info-hash.

    Offcloud would accept such a magnet and leave its job ``created`` for ever (§00 L7).
    """


class CloudOnlyError(OffcloudError):
    """The host's links work only through cloud downloading, not instant."""


class BadArchiveError(OffcloudError):
    """Explore was asked about a single-file item; its URL has to be built from the job."""


class JobSnapshot(Protocol):
    """The last status of a cloud job that an error carries: an :class:`offcloud_api.models.Job`.

    Spelled as a protocol so that this module imports nothing from :mod:`offcloud_api.models`,
    whose parsers raise the errors here (no import cycle). ``status`` is a
    :class:`~offcloud_api.models.JobStatus`, a ``str`` enum.
    """

    @property
    def request_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def file_name(self) -> Optional[str]: ...

    @property
    def message(self) -> Optional[str]: ...


class CloudJobError(OffcloudError):
    """A cloud job ended in ``error`` or ``canceled``. ``job`` is its last status."""

    def __init__(self, message: str, *, job: JobSnapshot, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job = job


class JobStuckError(CloudJobError):
    """A job stayed ``created`` without progress far longer than Offcloud takes to start one.

    A garbage magnet is accepted and stays ``created``/"Loading..." for ever (§00 L7). The job
    still exists at Offcloud; ``job`` is its last status.
    """


class WaitTimeoutError(OffcloudError):
    """A wait passed its deadline. The job goes on at Offcloud; ``job`` is its last status."""

    def __init__(self, message: str, *, job: Optional[JobSnapshot], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job = job


class WaitAbortedError(OffcloudError):
    """The caller's abort hook asked a wait to stop. The job goes on at Offcloud."""


class DeviceLoginError(AuthError):
    """A device login (:mod:`offcloud_api.oauth`) ended without a token.

    ``code`` is the OAuth error Offcloud answered (``invalid_grant``, ``unsupported_grant_type``,
    ...), or ``None`` when the client gave up on its own. Start a new login to try again.
    """


class DeviceLoginDeniedError(DeviceLoginError):
    """The user refused the login on Offcloud's page (``access_denied``)."""


class DeviceLoginExpiredError(DeviceLoginError):
    """The code expired before the user confirmed it (``expired_token``, or its ``expires_in``
    passed here first)."""


class DeviceLoginTimeoutError(DeviceLoginError, WaitTimeoutError):
    """The caller's deadline passed before the user confirmed; the code itself may still be valid.

    Also a :class:`WaitTimeoutError` (with ``job`` None), so one ``except`` catches every wait.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, job=None, **kwargs)


class DeviceLoginAbortedError(DeviceLoginError, WaitAbortedError):
    """The caller's abort hook stopped the wait for the user; also a :class:`WaitAbortedError`."""


class HTTPError(OffcloudError):
    """An error answer that fits no more specific class."""


class RefusedError(HTTPError):
    """Offcloud answered and refused, with a text of its own that fits no narrower class.

    On the 2026 API this is the bare JSON string body of a failed add (HTTP 500, e.g.
    ``"Error parsing url - HTTP code: 503 "``, §00 L6). Nothing was made: it is not a lost answer.
    ``code`` is Offcloud's text; ``upstream_status`` the number after "HTTP code:", if any.
    """

    def __init__(
        self, message: str, *, upstream_status: Optional[int] = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.upstream_status = upstream_status


class TemporaryError(OffcloudError):
    """The request failed for a reason that may pass: try again later."""


class RateLimitError(TemporaryError):
    """HTTP 429. ``retry_after`` is the delay in seconds Offcloud asked for, or ``None``."""

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(TemporaryError):
    """HTTP 5xx from Offcloud, often with an HTML error page."""


class InvalidResponseError(TemporaryError):
    """The answer is not the JSON it should be: a truncated body, a wrong shape."""


class ResponseTooLargeError(InvalidResponseError):
    """The answer was larger than the call's byte cap (``Request.max_bytes``); it was not read."""


class OffcloudConnectionError(TemporaryError):
    """No answer: the name did not resolve, the connection was refused or reset, or it timed out.

    ``request_sent`` is False when the request certainly never reached Offcloud (so it is safe to
    send again even if it is not idempotent).
    """

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class HostUnavailableError(TemporaryError):
    """The host is temporarily disabled at Offcloud, or the daily quota for it is used up."""


# Offcloud's error texts (docs/api.md §4.1), matched case-insensitively as substrings.
# First match wins, so the more specific texts come first.
_MESSAGE_RULES: tuple[tuple[str, type[OffcloudError]], ...] = (
    ("noauth", AuthError),
    ("credentials entered are wrong", AuthError),
    ("valid email address", AuthError),
    ("invalid or missing", AuthError),
    ("unauthorized", AuthError),
    ("ip address needs to be registered", IPNotRegisteredError),
    ("unregistered ip address", IPNotRegisteredError),
    ("not authorized to download this file", IPNotRegisteredError),
    ("supported only via cloud", CloudOnlyError),
    ("bad archive", BadArchiveError),
    ("not available on the server", FileOfflineError),
    ("requested url was not found", FileOfflineError),
    ("incorrect url", FileOfflineError),
    ("transfer not found", NotFoundError),
    ("temporarily disabled", HostUnavailableError),
    ("nopremiumaccounts", HostUnavailableError),
    ("quota", HostUnavailableError),
    ("out of bandwidth", HostUnavailableError),
    ("you have more than", HostUnavailableError),
    ("premium downloading addon", FeatureNotAvailableError),
    ("isn't premium", FeatureNotAvailableError),
    ("not premium", FeatureNotAvailableError),
    ("premium required", FeatureNotAvailableError),
    ("user not authorized", FeatureNotAvailableError),
    ("not allowed this operation", FeatureNotAvailableError),
    ("temporary error", TemporaryError),
    ("networking issue", TemporaryError),
    ("cannot be downloaded now", TemporaryError),
)

_STATUS_CLASSES: dict[int, type[OffcloudError]] = {
    401: AuthError,
    402: FeatureNotAvailableError,
    403: AuthError,
    404: NotFoundError,
    429: RateLimitError,
}

#: ``not_available`` value of a full cloud (docs/api.md L23), and what its error says.
CLOUD_FULL_FEATURE = "cloud"
CLOUD_FULL_MESSAGE = "Offcloud cloud storage is full"

_FEATURE_HINTS = (("premium", "premium"), ("user not authorized", "links"))


def _class_for_message(text: str) -> Optional[type[OffcloudError]]:
    lowered = text.lower()
    for needle, cls in _MESSAGE_RULES:
        if needle in lowered:
            return cls
    return None


def is_ip_refusal_text(text: str) -> bool:
    """Whether ``text`` holds one of Offcloud's IP texts (docs/api.md L24, §4.1): the first
    text rule that matches it names :class:`IPNotRegisteredError`."""
    return _class_for_message(text) is IPNotRegisteredError


def _class_for_status(status: int) -> Optional[type[OffcloudError]]:
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if 500 <= status <= 599:
        return ServerError
    if status >= 400:
        return HTTPError
    return None


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_UPSTREAM_STATUS = re.compile(r"(?i)HTTP code:\s*(\d{3})")
#: Upstream statuses that mean the link itself is dead (``Error parsing url - HTTP code: 404``).
_UPSTREAM_OFFLINE = (404, 410)


def upstream_status_of(text: str) -> Optional[int]:
    """The hoster's status in Offcloud's ``Error parsing url - HTTP code: 503`` texts, if any."""
    match = _UPSTREAM_STATUS.search(text)
    return int(match.group(1)) if match else None


def is_html(content_type: Optional[str], body: bytes) -> bool:
    """An HTML page: the content type says so, or the body starts with ``<``."""
    if content_type is not None and "text/html" in content_type.lower():
        return True
    return body.lstrip()[:1] == b"<"


def route_missing(*, status: int, html: bool, json_body: bool) -> bool:
    """Whether an answer means "this server has no such route" (docs/api.md L3).

    Decided from status and content before any parsing: an HTML page with status 404, 405 or 2xx
    (HTML where JSON was expected), any 405, or a 404 whose body is not JSON. An HTML 5xx is an
    outage page and an HTML 429 a rate limit, not a missing route; a JSON 404 is an unknown id.
    """
    if status == 405:
        return True
    if html and (status == 404 or 200 <= status < 300):
        return True
    return status == 404 and not json_body


def error_from_response(
    *,
    status: int,
    payload: Any,
    method: str,
    path: str,
    retry_after: Optional[float] = None,
    html: bool = False,
) -> Optional[OffcloudError]:
    """Return the error an answer stands for, or ``None`` if it is a success.

    ``payload`` is the decoded JSON (already redacted by the caller), or ``None`` when the body was
    not JSON; ``html`` says the body was an HTML page. A bare JSON string with an error status is
    Offcloud's refusal text (§00 L6). Whether the route exists at all is :func:`route_missing`'s
    question, asked before this one. Offcloud's own text decides the class
    where it is specific (an IP or offline message inside a 403, say); the HTTP status decides
    otherwise.
    """
    text: Optional[str] = None
    feature: Optional[str] = None
    bare = False
    if isinstance(payload, str) and status >= 400 and payload.strip():
        # The 2026 add endpoint's refusal: HTTP 500 and a bare JSON string (§00 L6).
        text, bare = payload.strip(), True
    elif isinstance(payload, dict):
        if payload.get("not_available"):
            feature = str(payload["not_available"])
            text = f"not available: {feature}"
        elif payload.get("error"):
            raw = payload["error"]
            text = raw if isinstance(raw, str) else str(raw)
            description = payload.get("error_description") or payload.get("message")
            if isinstance(description, str) and description:
                text = f"{text}: {description}"

    if text is None and 200 <= status < 300:
        return None

    cls: Optional[type[OffcloudError]] = None
    upstream = upstream_status_of(text) if text is not None else None
    if feature is not None:
        full = feature.strip().lower() == CLOUD_FULL_FEATURE
        cls = CloudFullError if full else FeatureNotAvailableError
    elif text is not None:
        cls = _class_for_message(text)
        if cls is None and upstream in _UPSTREAM_OFFLINE:
            cls = FileOfflineError
        elif cls is None and bare:
            cls = _STATUS_CLASSES[status] if status in (401, 403, 429) else RefusedError
    if cls is None or (cls is TemporaryError and status >= 500):
        cls = _class_for_status(status) or HTTPError

    where = f"{method} {path}"
    if cls is CloudFullError:
        message = f"{CLOUD_FULL_MESSAGE} ({where}, HTTP {status})"
    elif text is not None:
        message = f"{_one_line(text)} ({where}, HTTP {status})"
    elif html:
        message = f"HTTP {status} with an HTML error page from {where}"
    else:
        message = f"HTTP {status} from {where}"
    code = _one_line(text, 120) if text is not None and feature is None else feature

    common: dict[str, Any] = {"status": status, "code": code, "method": method, "path": path}
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **common)
    if cls is RefusedError:
        return RefusedError(message, upstream_status=upstream, **common)
    if cls is FeatureNotAvailableError:
        if feature is None and text is not None:
            lowered = text.lower()
            feature = next((f for needle, f in _FEATURE_HINTS if needle in lowered), None)
        return FeatureNotAvailableError(message, feature=feature, **common)
    return cls(message, **common)
