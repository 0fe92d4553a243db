"""The assignments the autograder knows: found by looking, each one its folders.

An assignment ``<name>`` is ``source/<name>/`` (the notebook that teaches, with its
solution), ``release/<name>/`` (what students get, made by nbgrader), ``solutions/<name>.py``
(the reference the hidden tests compare with) and ``autograder/assignments/<name>/``:

- ``__init__.py``: ``ASSIGNMENT``, its contract functions, limits, time budgets and
  allowed imports, and any tolerance of its own;
- ``hidden_tests.py``: the hidden tests, lists of cases with their points;
- ``cases.py``, ``driver.py``: how cases are drawn, and scenarios run in the sandbox;
- ``messages.en.toml``: the sentences of its own feedback;
- ``mutants.py``: the mistakes students make, and other correct solutions;
- ``oracles.py``: the project's tests of the reference against independent oracles
  (written with ``testing.py``, this folder's helpers for them);
- ``benchmark.py``: its rows of the benchmark table.

Nothing else in the kit names an assignment: adding one is adding its folders.
"""
import importlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from autograder.config import DEFAULT_LIMITS, Limits

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]


@dataclass(frozen=True)
class Budget:
    """A time budget for one function: ``factor`` times a plain loop implementation
    (the source notebook's solution) on ``inputs(rng)``, per device; or fixed
    ``seconds`` per device when there is nothing to calibrate against.

    ``smaller(rng)``: inputs with ``1 / work_ratio`` of the work. An implementation far
    slower than the plain loop must then not take more than ``GROWTH_SLACK`` times
    ``work_ratio`` as long on ``inputs`` as on ``smaller`` (``judge/budgets.py``): time
    that grows faster than the work (an array grown with ``np.append`` in a loop) fails
    even on a machine fast enough to hide it at one size."""

    inputs: Callable = None
    factor: dict = field(default_factory=lambda: {"cpu": 10.0, "gpu": 10.0})
    seconds: dict = None
    allowance: float = 0.1  # seconds, for the noise of a loaded machine
    smaller: Callable = None
    work_ratio: float = 4.0


@dataclass(frozen=True)
class Assignment:
    name: str
    functions: tuple  # contract functions, in teaching order
    limits: Limits = DEFAULT_LIMITS
    budgets: dict = field(default_factory=dict)
    # what student code may import (with what those need): nothing else is in its sandbox
    imports: tuple = ("numpy", "matplotlib")

    @property
    def folder(self) -> Path:
        return HERE / self.name

    @property
    def driver(self):
        """``driver.py`` of the folder, if the assignment has stateful scenarios: it runs
        inside the sandbox, so it holds no hidden inputs or answers."""
        path = self.folder / "driver.py"
        return path if path.exists() else None

    @property
    def hidden_tests(self) -> Path:
        return self.folder / "hidden_tests.py"

    @property
    def solution(self) -> Path:
        return PROJECT / "solutions" / f"{self.name}.py"

    def notebook(self, which: str) -> "nbformat.NotebookNode":
        """The ``source`` or ``released`` notebook, read."""
        import nbformat

        return nbformat.read(self.source_notebook if which == "source" else self.released_notebook, as_version=4)

    def points(self) -> dict:
        """``{function: points}`` from the released notebook's visible test cells, whose
        points equal the hidden tests' (the project's tests keep them equal)."""
        points = {}
        for cell in self.notebook("released").cells:
            flags = cell.metadata.get("nbgrader", {})
            function = str(flags.get("grade_id", "")).removeprefix("test_")
            if flags.get("grade") and not flags.get("solution") and function in self.functions:
                points[function] = float(flags.get("points", 0))
        return {function: points[function] for function in self.functions if function in points}

    @property
    def released_notebook(self) -> Path:
        return PROJECT / "release" / self.name / f"{self.name}.ipynb"

    @property
    def source_notebook(self) -> Path:
        return PROJECT / "source" / self.name / f"{self.name}.ipynb"


def names() -> list:
    return sorted(folder.name for folder in HERE.iterdir() if (folder / "hidden_tests.py").exists())


def load(name: str, limits: Limits = None) -> Assignment:
    """The assignment ``name``; with ``limits``, those replace its own."""
    if name not in names():
        raise KeyError(name)
    assignment = importlib.import_module(f"autograder.assignments.{name}").ASSIGNMENT
    return replace(assignment, limits=limits) if limits else assignment


def catalogue(name: str):
    """The module of ``name``'s known mistakes and alternatives, or None."""
    try:
        return importlib.import_module(f"autograder.assignments.{name}.mutants")
    except ModuleNotFoundError:
        return None
