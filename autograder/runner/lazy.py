"""Modules whose code runs on first use, not on import.

Notebooks import ``matplotlib.pyplot`` for figures that grading never draws, and Keras
imports it on TensorFlow's import: it costs half a second, in the sandbox and in the
judge alike. Keras also imports its scikit-learn wrappers, and with them scikit-learn
(a second), which no assignment uses through Keras. Both sides use this file (the
sandbox gets a copy next to the worker), so it imports nothing but the standard library.
"""
import importlib.machinery
import importlib.util
import sys

ON_FIRST_USE = ("matplotlib.pyplot", "keras.wrappers")


class _ImportedOnFirstUse:
    """A finder that hands ``ON_FIRST_USE`` modules to a ``LazyLoader``."""

    def find_spec(self, name, path=None, target=None):
        if name not in ON_FIRST_USE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def import_on_first_use() -> None:
    """From now on in this process, ``ON_FIRST_USE`` modules run their code on first use."""
    if not any(isinstance(finder, _ImportedOnFirstUse) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ImportedOnFirstUse())
