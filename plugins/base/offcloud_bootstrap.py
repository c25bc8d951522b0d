"""What every Offcloud plugin and addon runs before it imports offcloud_api.

pyLoad indexes this file as a plugin of type "base" (a `__version__` is all it reads), and its
import redirector serves `from ..base.offcloud_bootstrap import ...` from the user folder
(docs/pyload.md §1.2; checked on the oldest supported pyLoad too). Decisions stay in
offcloud_api.pyload: this file only finds the library and says whether it can work.
"""

import os
import sys

__version__ = "0.01"

# The library: the private copy `offcloud pyload install` puts beside the plugins (one version
# stamp with them, and it survives a new Docker image), else the Python's own offcloud_api.
_LIBRARY_COPY = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "offcloud_lib"
)
if os.path.isdir(_LIBRARY_COPY) and _LIBRARY_COPY not in sys.path:
    sys.path.insert(0, _LIBRARY_COPY)


def unusable(exc):
    """What a plugin tells the user when offcloud_api (or a part of it) cannot be imported."""
    return f"offcloud_api cannot be imported ({exc}): run offcloud pyload install --userdir <this pyLoad's folder>, which puts the library beside the plugins"


try:
    from offcloud_api.pyload.compat import unsupported_pyload

    # Why the plugins cannot work here, said where the user looks: the library is missing, or
    # this pyLoad is outside the supported range.
    UNUSABLE = unsupported_pyload()
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    UNUSABLE = unusable(exc)
