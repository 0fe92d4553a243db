"""Which installed packages a sandbox can see: those an assignment allows, and what they need.

An assignment names the modules its students may import (``numpy``, ``tensorflow``); the
sandbox's ``site-packages`` then holds only the distributions that provide them and the
distributions those require, so ``import scipy`` in a numpy assignment finds nothing, from
inside the student's process or out. Everything here is read from the installed
distributions' own metadata (``importlib.metadata``), so the view follows the lock file.
"""
import functools
import importlib.metadata as metadata
import sysconfig
from pathlib import Path

from packaging.markers import InvalidMarker, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


def site_dirs() -> list:
    """This Python's own package folders (``purelib`` and ``platlib``, often one)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


@functools.lru_cache(maxsize=None)
def visible_entries(imports: tuple) -> tuple:
    """The top-level entries of the site folders (package folders, extension modules,
    ``.dist-info`` folders) that make up ``imports`` and everything they require, as
    absolute paths."""
    installed = _installed()
    providers = metadata.packages_distributions()
    wanted = [canonicalize_name(name) for module in imports for name in providers.get(module, [])]
    entries, seen = set(), set()
    while wanted:
        name = wanted.pop()
        if name in seen or name not in installed:
            continue
        seen.add(name)
        distribution = installed[name]
        entries |= _top_level_entries(distribution)
        wanted += _requirements(distribution)
    return tuple(sorted(entries))


def _installed() -> dict:
    """``{canonical name: distribution}`` for the distributions in this Python's site folders."""
    folders = {Path(folder).resolve() for folder in site_dirs()}
    installed = {}
    for distribution in metadata.distributions(path=[str(folder) for folder in folders]):
        name = distribution.metadata["Name"]
        if name:
            installed.setdefault(canonicalize_name(name), distribution)
    return installed


def _requirements(distribution) -> list:
    """The names ``distribution`` requires on this machine, extras left out."""
    names = []
    for line in distribution.requires or []:
        try:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                names.append(canonicalize_name(requirement.name))
        except (InvalidRequirement, InvalidMarker, UndefinedEnvironmentName):
            continue
    return names


def _top_level_entries(distribution) -> set:
    """The first path component of every file the distribution installed in its site
    folder (``numpy``, ``numpy.libs``, ``numpy-2.4.6.dist-info``), as absolute paths.
    Scripts (outside the folder) and ``.pth`` files (never run: the worker starts with
    ``-S``) are left out."""
    folder = Path(distribution.locate_file("")).resolve()
    entries = set()
    for file in distribution.files or []:
        first = file.parts[0] if file.parts else ""
        if first in ("", "..", "__pycache__") or first.endswith(".pth") or first.startswith("__editable__"):
            continue
        entries.add(str(folder / first))
    return {entry for entry in entries if Path(entry).exists()}
