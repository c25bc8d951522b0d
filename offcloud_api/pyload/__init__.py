"""Code that runs inside pyLoad: what the plugin files in ``plugins/`` and ``hooks/`` import.

The plugins are thin; the decisions they translate into pyLoad outcomes live here, typed and
testable without pyLoad: the transport on pyLoad's network stack, the outcome table, jobs
remembered across restarts, torrents and folders, the addons' helpers. Code that drives a pyLoad
from outside is in :mod:`offcloud_api.install` (the installer, the login) and
:mod:`offcloud_api.harness` (the headless pyLoad, the demo).
"""
