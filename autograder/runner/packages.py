"""Which installed packages a sandbox can see: those an assignment allows, and what they need.

An assignment names the modules its students may import (``numpy``, ``tensorflow``); the
sandbox's ``site-packages`` then holds only the distributions that provide them and the
distributions those require, so ``import scipy`` in a numpy assignment finds nothing, from
inside the student's process or out. Everything is read from the installed distributions'
own metadata (``autograder/distributions.py``), so the view follows the lock file.
"""
import functools
from pathlib import Path

from autograder.distributions import closure, installed, site_dirs, top_level

__all__ = ["site_dirs", "visible_entries"]


@functools.lru_cache(maxsize=None)
def visible_entries(imports: tuple) -> tuple:
    """The top-level entries of the site folders (package folders, extension modules,
    ``.dist-info`` folders) that make up ``imports`` and everything they require, as
    absolute paths."""
    entries = set()
    for name in closure(imports):
        distribution = installed()[name]
        folder = Path(distribution.locate_file("")).resolve()
        entries |= {str(folder / entry) for entry in top_level(distribution) if (folder / entry).exists()}
    return tuple(sorted(entries))
