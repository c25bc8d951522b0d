"""How a cloud job's files become pyLoad packages (one per folder of the job).

Sub-folders. A pyLoad package has exactly one folder, and a file's name is reduced to its last
part before it is saved (``parse.name``), so a file cannot carry a sub-folder of its own. The
package folder, though, may be a nested path: the download side joins it with ``safejoin`` and
``PyPackage.folder`` cleans it part by part (``safepath``), keeping the separators. Only pyLoad's
API flattens it (``add_package`` and ``set_package_data`` run ``secure_filename``, so
``Release/Sub`` would become ``ReleaseSub``). So each folder of a job becomes a package of its own
(``Release`` for the files at the top, ``Release/Sub`` for those in ``Sub``) whose folder is set
to the nested path directly on the package object, as ``set_package_data`` does without the
flattening. On disk the files land exactly as in the job: ``<storage>/Release/Sub/ep1.mkv``.
Editing such a package's folder in pyLoad's web UI flattens it again (pyLoad's own rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from ..models import CloudFile
from .filters import FileFilter, NothingSelectedError


def select_and_plan(
    name: str, files: Sequence[CloudFile], file_filter: FileFilter
) -> list[PackagePlan]:
    """The packages for the files ``file_filter`` keeps; at least one file must stay."""
    selected = file_filter.select(files)
    if not selected:
        raise NothingSelectedError(
            f"The file filters ({file_filter.describe()}) left none of the "
            f"{len(files)} files of {name}"
        )
    return plan_packages(name, selected)


@dataclass(frozen=True)
class PackagePlan:
    """One pyLoad package: its name, its links and its folder (relative, ``/``-separated)."""

    name: str
    links: tuple[str, ...]
    folder: str

    def as_tuple(self) -> tuple[str, list[str], str]:
        """The ``(name, links, folder)`` form of a decrypter's ``self.packages``."""
        return self.name, list(self.links), self.folder


#: Characters pyLoad removes from file and folder names (``pyload.core.utils.fs.safename``).
_BAD_NAME_CHARS = re.compile(r'[<>:"/\\|?*\x00]')


def clean_part(part: str) -> str:
    """A folder name pyLoad will keep: its bad characters gone, never ``.`` or ``..``."""
    cleaned = _BAD_NAME_CHARS.sub("", part).strip()
    return "" if cleaned in (".", "..") else cleaned


def plan_packages(name: str, files: Sequence[CloudFile]) -> list[PackagePlan]:
    """One package per folder of the job: ``name`` for the top, ``name/Sub`` for ``Sub``.

    The job's own top folder (every path starts with it) is replaced by ``name``, so the package
    folder is named like the package. Packages come in the order their first file appears, the
    top-level files first.
    """
    top = clean_part(name) or "Offcloud"
    paths = [[p for p in file.path.split("/") if p] or [file.name] for file in files]
    firsts = {parts[0] for parts in paths}
    strip = len(firsts) == 1 and all(len(parts) > 1 for parts in paths)
    groups: dict[tuple[str, ...], list[str]] = {}
    for file, parts in zip(files, paths):
        folders = parts[1:-1] if strip else parts[:-1]
        sub = tuple(cleaned for cleaned in (clean_part(p) for p in folders) if cleaned)
        groups.setdefault(sub, []).append(file.url)
    ordered = sorted(groups.items(), key=lambda item: len(item[0]) != 0)  # stable: top first
    return [
        PackagePlan(
            name="/".join([name, *sub]) if sub else name,
            links=tuple(links),
            folder="/".join([top, *sub]),
        )
        for sub, links in ordered
    ]


def package_folder(folder: str, *, per_package: bool, source_folder: str) -> str:
    """Where a planned package goes. Without pyLoad's folder-per-package its top folder goes
    (the files go to the source package's folder, as pyLoad does), its sub-folders stay."""
    if per_package:
        return folder
    sub = folder.partition("/")[2]
    return "/".join(part for part in (source_folder.strip("/"), sub) if part)


def folder_per_package(choice: Any, core_default: Any) -> bool:
    """pyLoad's ``folder_per_package`` plugin choice: ``Default`` defers to the core setting."""
    if str(choice) == "Default":
        return bool(core_default)
    return str(choice) == "Yes"


def add_packages(
    core: Any,
    packages: Iterable[tuple[str, Sequence[str], str]],
    *,
    source: Any,
    per_package: bool,
    log: Callable[[str], None],
) -> list[int]:
    """Add ``(name, links, folder)`` packages next to ``source`` (pyLoad's ``PyPackage``).

    Like pyLoad's ``BaseDecrypter._create_packages`` (same queue, password copied), but the
    folder is set on the package object itself, so a nested ``Release/Sub`` is kept (see the
    module's docstring). The folder is re-cleaned here part by part; ``..`` cannot get through.
    """
    ids: list[int] = []
    for name, links, folder in packages:
        package_id = int(core.api.add_package(name, list(links), source.queue))
        if source.password:
            core.api.set_package_data(package_id, {"password": source.password})
        target = package_folder(
            "/".join(p for p in (clean_part(part) for part in folder.split("/")) if p),
            per_package=per_package,
            source_folder=source.folder or "",
        )
        package = core.files.get_package(package_id)
        package._folder = target  # what set_package_data sets, without its flattening
        package.sync()
        core.files.save()
        log(f"Package {name}: {len(links)} links, folder {target or '(storage folder)'}")
        ids.append(package_id)
    return ids
