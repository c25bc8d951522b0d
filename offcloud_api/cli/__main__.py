"""``python -m offcloud_api.cli``: the ``offcloud`` command."""

import sys

from .app import main

sys.exit(main())
