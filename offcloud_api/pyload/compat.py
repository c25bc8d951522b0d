"""Which pyLoad the plugins run on: the supported range, and a clear refusal outside it.

pyLoad-ng is published as pre-releases (``0.5.0b3.devN``) whose plugin API moves between builds.
The range below is what the end-to-end tests run on (README, "Supported pyLoad versions"); on
another build the plugins refuse to work with a message that says which builds they support,
instead of failing somewhere inside pyLoad.
"""

from __future__ import annotations

import logging
from typing import Optional

__all__ = ["NEWEST_TESTED", "OLDEST_SUPPORTED", "pyload_version", "unsupported_pyload"]

log = logging.getLogger(__name__)

#: The oldest pyload-ng the multi-hoster end-to-end tests pass on, found by bisecting the
#: published pre-releases (``./run test`` runs them on it in a second environment), and the
#: newest they run on (the pin of ./run and CI). dev97 to dev99 refuse every download through an
#: HTTP proxy on a private or loopback address (their new server-side-request guard checks the
#: proxy's address; dev100 exempts the proxy), so the simulator cannot serve them; dev96 and
#: older have no API keys, which the headless runner logs in with. ./run reads the line below.
OLDEST_SUPPORTED = "0.5.0b3.dev100"
NEWEST_TESTED = "0.5.0b3.dev101"


def pyload_version() -> Optional[str]:
    """The installed pyload-ng's full version (``pyload.__version__`` drops the pre-release)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("pyload-ng")
    except PackageNotFoundError:
        return None


def unsupported_pyload(installed: Optional[str] = None) -> Optional[str]:
    """Why these plugins cannot run on this pyLoad, or ``None`` when they can (or it is unknown).

    Builds older than :data:`OLDEST_SUPPORTED` are refused; newer ones than the tested one run
    (with a note in the log), since refusing every future build would be worse for users.
    """
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415 - pyLoad depends on it

    installed = installed if installed is not None else pyload_version()
    if installed is None:
        return None
    try:
        current = Version(installed)
    except InvalidVersion:
        return None
    if current < Version(OLDEST_SUPPORTED):
        return (
            f"pyLoad {installed} is older than the Offcloud plugins support (pyload-ng "
            f"{OLDEST_SUPPORTED} or newer, tested up to {NEWEST_TESTED}): update pyLoad, "
            f"for example pip install --upgrade --pre 'pyload-ng>={OLDEST_SUPPORTED}', or pull "
            "a newer Docker image, then restart it"
        )
    if current > Version(NEWEST_TESTED):
        log.debug("pyLoad %s is newer than the newest tested (%s)", installed, NEWEST_TESTED)
    return None
