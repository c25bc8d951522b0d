"""Offcloud.com API client: ``from offcloud_api import OffcloudAPI``.

The client speaks Offcloud's 2026 API (the key as ``Authorization: Bearer``) with the legacy routes
as fallbacks. Errors are in :mod:`offcloud_api.exceptions`, results in :mod:`offcloud_api.models`.
"""

from __future__ import annotations

import logging

from .client import DEFAULT_BASE_URL, OffcloudAPI
from .exceptions import OffcloudError
from .models import (
    AccountInfo,
    CacheResult,
    CloudFile,
    Job,
    JobStatus,
    Site,
    SiteStatus,
)
from .polling import PollSchedule
from .retry import RetryPolicy
from .transport import Request, Response, Transport
from .version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "AccountInfo",
    "CacheResult",
    "CloudFile",
    "Job",
    "JobStatus",
    "OffcloudAPI",
    "OffcloudError",
    "PollSchedule",
    "Request",
    "Response",
    "RetryPolicy",
    "Site",
    "SiteStatus",
    "Transport",
    "__version__",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
