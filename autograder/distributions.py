"""The installed Python distributions, read from their own metadata: which provides a
module, what each requires, which files each put in the site folder.

Two rooms need it: the sandbox shows student code only the distributions an assignment
allows (``runner/packages.py``), and a Gradescope bundle installs only what grading its
assignment needs (``platforms/gradescope.py``).
"""
import csv
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


@functools.lru_cache(maxsize=1)
def installed() -> dict:
    """``{canonical name: distribution}`` for the distributions in this Python's site
    folders (named from their ``.dist-info`` folders: no metadata is parsed for this)."""
    found = {}
    for folder in dict.fromkeys(Path(site).resolve() for site in site_dirs()):
        for info in sorted(folder.glob("*.dist-info")):
            name = canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0])
            found.setdefault(name, metadata.PathDistribution(info))
    return found


def closure(modules) -> list:
    """The names of the distributions that provide ``modules`` (top-level module names)
    and of every distribution those require, transitively, by name."""
    everything = installed()
    wanted = [name for module in modules for name in providers(module)]
    seen = []
    while wanted:
        name = wanted.pop()
        if name in seen or name not in everything:
            continue
        seen.append(name)
        wanted += requirements(everything[name])
    return sorted(seen)


def providers(module: str) -> list:
    """The distributions that install the top-level module ``module``."""
    everything = installed()
    same_name = canonicalize_name(module)
    if same_name in everything and module in top_level(everything[same_name]):
        return [same_name]
    return [name for name, distribution in everything.items() if module in top_level(distribution)]


def requirements(distribution) -> list:
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
def top_level(distribution) -> frozenset:
    """The first path component of every file the distribution installed in its site
    folder (``numpy``, ``numpy.libs``, ``numpy-2.4.6.dist-info``), read from its RECORD.
    Scripts (outside the folder) and ``.pth`` files are left out."""
    names = set()
    for line in (distribution.read_text("RECORD") or "").splitlines():
        # a row is "path,hash,size"; only a path holding a comma or a quote is quoted (read
        # by csv: the rest, nearly every row of TensorFlow's thousands, by plain splitting)
        path = next(csv.reader([line]), [""])[0] if line.startswith('"') else line.split(",", 1)[0]
        first = path.split("/", 1)[0]
        if first and first not in ("..", "__pycache__") and not first.endswith(".pth") \
                and not first.startswith("__editable__"):
            names.add(first)
    return frozenset(names)
