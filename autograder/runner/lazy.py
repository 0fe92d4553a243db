"""Large imports made cheap: modules whose code runs on first use, not on import, and
imports that no garbage collection interrupts.

Notebooks import ``matplotlib.pyplot`` for figures that grading never draws, and Keras
imports it on TensorFlow's import: it costs half a second, in the sandbox and in the
judge alike. Keras also imports its scikit-learn wrappers, and with them scikit-learn
(a second), which no assignment uses through Keras. Both sides use this file (the
sandbox gets a copy next to the worker), so it imports nothing but the standard library.

"First use" means an attribute the module defines: its name, file, spec and path are
there from the start without running it. ``inspect.getmodule``, which the first
``tf.function`` calls, reads the ``__file__`` of every module loaded; with
``importlib.util.LazyLoader``, which runs a module on any attribute read, that alone
ran all of them (scikit-learn and SciPy included: a second, at the first trace).

TensorFlow's import makes millions of objects that live as long as the process. The
cyclic garbage collector walks all of them at each full collection: several times during
the import (a fifth of a second each), and again while the checks run. Imported under
:func:`kept_for_good`, they are never walked.
"""
import contextlib
import gc
import importlib.machinery
import sys
import threading
import types

ON_FIRST_USE = ("matplotlib.pyplot", "keras.wrappers")

_RUNNING = {}  # module name: [its lock, whether it runs now]


class _NotRunYet(types.ModuleType):
    """A module imported, with its metadata, whose code runs at the first read of an
    attribute it does not have yet: once, in one thread (another waits, then reads it;
    a read from within its own code finds what it has defined so far, as in a cycle of
    imports)."""

    def __getattr__(self, name):
        running = _RUNNING[self.__name__]
        with running[0]:
            if type(self) is _NotRunYet and not running[1]:
                running[1] = True
                try:
                    self.__spec__.loader.exec_module(self)
                finally:
                    self.__class__ = types.ModuleType
        return types.ModuleType.__getattribute__(self, name)


class _RunOnFirstUse:
    """The loader of an ``ON_FIRST_USE`` module: import makes the module, and its code
    waits (the real loader is put back on its spec, for the day it runs)."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        _RUNNING.setdefault(module.__name__, [threading.RLock(), False])
        module.__spec__.loader = module.__loader__ = self.loader
        module.__class__ = _NotRunYet


class _ImportedOnFirstUse:
    """A finder that hands ``ON_FIRST_USE`` modules to :class:`_RunOnFirstUse`."""

    def find_spec(self, name, path=None, target=None):
        if name not in ON_FIRST_USE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RunOnFirstUse(spec.loader)
        return spec


def import_on_first_use() -> None:
    """From now on in this process, ``ON_FIRST_USE`` modules run their code on first use."""
    if not any(isinstance(finder, _ImportedOnFirstUse) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ImportedOnFirstUse())


@contextlib.contextmanager
def kept_for_good():
    """Run the block (imports) with the cyclic garbage collector paused, then set every
    object made so far apart from later collections (``gc.freeze``). For what lives as
    long as the process: garbage made before it is kept too."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
