"""Which installed packages a sandbox can see: those an assignment allows, and what they need.

An assignment names the modules its students may import (``numpy``, ``tensorflow``); the
sandbox's ``site-packages`` then holds only the distributions that provide them and the
distributions those require, so ``import scipy`` in a numpy assignment finds nothing, from
inside the student's process or out. Everything here is read from the installed
distributions' own metadata (``importlib.metadata``), so the view follows the lock file.
"""
import csv
import functools
import importlib.metadata as metadata
import io
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
    wanted = [name for module in imports for name in _providers(module, installed)]
    entries, seen = set(), set()
    while wanted:
        name = wanted.pop()
        if name in seen or name not in installed:
            continue
        seen.add(name)
        distribution = installed[name]
        folder = Path(distribution.locate_file("")).resolve()
        entries |= {str(folder / entry) for entry in _top_level(distribution) if (folder / entry).exists()}
        wanted += _requirements(distribution)
    return tuple(sorted(entries))


def _installed() -> dict:
    """``{canonical name: distribution}`` for the distributions in this Python's site
    folders (named from their ``.dist-info`` folders: no metadata is parsed for this)."""
    installed = {}
    for folder in dict.fromkeys(Path(site).resolve() for site in site_dirs()):
        for info in sorted(folder.glob("*.dist-info")):
            name = canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0])
            installed.setdefault(name, metadata.PathDistribution(info))
    return installed


def _providers(module: str, installed: dict) -> list:
    """The distributions that install the top-level module ``module``."""
    same_name = canonicalize_name(module)
    if same_name in installed and module in _top_level(installed[same_name]):
        return [same_name]
    return [name for name, distribution in installed.items() if module in _top_level(distribution)]


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


@functools.lru_cache(maxsize=None)
def _top_level(distribution) -> frozenset:
    """The first path component of every file the distribution installed in its site
    folder (``numpy``, ``numpy.libs``, ``numpy-2.4.6.dist-info``), read from its RECORD.
    Scripts (outside the folder) and ``.pth`` files (never run: the worker starts with
    ``-S``) are left out."""
    names = set()
    for row in csv.reader(io.StringIO(distribution.read_text("RECORD") or "")):
        first = row[0].split("/", 1)[0] if row else ""
        if first and first not in ("..", "__pycache__") and not first.endswith(".pth") \
                and not first.startswith("__editable__"):
            names.add(first)
    return frozenset(names)
