"""A coverage.py plugin for the pyLoad processes of the tests: it makes the plugin files countable.

pyLoad runs a user plugin file (ours: ``<userdir>/plugins/<folder>/<Name>.py``) with
``exec(source_text, module.__dict__)`` in its ``ImportRedirector``: the code is compiled without a
file name (``"<string>"``) and coverage.py cannot count its lines. In pyLoad's process, and only
when coverage.py runs there (``./run test``: the configuration it writes names this module
under ``[run] plugins``), this plugin has pyLoad's
plugin manager compile such a text under the module's own ``__file__`` instead: the same code,
run the same way, now with the file name coverage.py needs. pyproject's ``[tool.coverage.paths]``
maps the installed copies back to ``plugins/`` and ``hooks/``.

This module is loaded by coverage.py at the start of the process, before pyLoad is imported; it
imports nothing of pyLoad's or of ``offcloud_api`` (the plugins must import the library copy
beside them, not this checkout's).
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Optional

#: The module whose ``exec`` runs the plugin files.
PLUGIN_MANAGER = "pyload.core.managers.plugin_manager"


def exec_under_file_name(
    source: Any, globals_: Optional[dict[str, Any]] = None, locals_: Any = None
) -> None:
    """``exec``, with a source text compiled under the ``__file__`` of the globals it runs in."""
    path = (globals_ or {}).get("__file__")
    if isinstance(source, (str, bytes)) and isinstance(path, str):
        # dont_inherit: the text gets no __future__ flags of this module, as exec() gives it none
        source = compile(source, path, "exec", dont_inherit=True)
    builtins.exec(source, globals_, locals_)  # noqa: S102 - what pyLoad's loader does


class PatchOnImport(importlib.abc.MetaPathFinder):
    """Gives ``name``'s module :func:`exec_under_file_name` as its ``exec`` once it is imported."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType] = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once; and the finders below find the module itself
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run_module = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            module.exec = exec_under_file_name  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def coverage_init(reg: Any, options: dict[str, str]) -> None:
    """coverage.py's plugin entry point: registers nothing, patches pyLoad's loader on import."""
    if not any(isinstance(f, PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, PatchOnImport(options.get("module", PLUGIN_MANAGER)))
