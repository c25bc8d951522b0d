"""The ``offcloud`` command line: account, hosts, jobs, cache checks and downloads.

:func:`main` runs it (the ``offcloud`` console script, ``python -m offcloud_api.cli``). Output is
for people by default and JSON with ``--json``. Errors are one line on stderr and an exit code:

====  ==========================================================================
0     success
1     any other error (a failed or stuck job, a wait that timed out, Offcloud refused the link
      with a text of its own, a bad file path)
2     wrong usage
3     no or wrong API key (``AuthError``, missing configuration)
4     not found: unknown job or route, dead or invalid link (``NotFoundError``,
      ``FileOfflineError``)
5     try again later (``TemporaryError``: rate limits, server and network errors)
6     the account lacks a feature, its cloud storage is full (``CloudFullError``), or the
      IP is not confirmed
130   interrupted (Ctrl-C)
====  ==========================================================================

Text from a server (file names, job names, error messages) never reaches the terminal raw:
:func:`~offcloud_api.cli.output.printable` shows control characters and bidirectional overrides
as escapes, in every line, progress bar and log line, and ``--json`` escapes the ones JSON would
let through.

The modules, each importing only those above it:

- :mod:`~offcloud_api.cli.output`: safe text, tables, JSON, the progress line;
- :mod:`~offcloud_api.cli.context`: the exit codes, ``UsageError`` and ``CommandError``, the
  parser class and the ``Context`` every command gets;
- one module per group of commands: :mod:`~offcloud_api.cli.login` (``account``, ``login``,
  ``logout``), :mod:`~offcloud_api.cli.hosts` (``sites``, ``proxies``),
  :mod:`~offcloud_api.cli.jobs` (``add``, ``status``, ``wait``, ``explore``, ``history``,
  ``remove``, ``retry``), :mod:`~offcloud_api.cli.cache`, :mod:`~offcloud_api.cli.download`,
  :mod:`~offcloud_api.cli.simulate`, :mod:`~offcloud_api.cli.pyload` (``install``,
  ``uninstall``, ``status``, ``login``);
- :mod:`~offcloud_api.cli.app`: the parser of them all, the exit code of each error, ``main``.
"""

from __future__ import annotations

from .app import main

__all__ = ["main"]
