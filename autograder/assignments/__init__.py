"""The assignments the autograder knows: one folder each, found by looking.

An assignment folder holds ``__init__.py`` (its contract functions, limits and time
budgets), ``test_<name>.py`` (the hidden tests) and ``mutants.py`` (wrong and
alternative implementations that the project's tests grade).
"""
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.config import DEFAULT_LIMITS, Limits

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]


@dataclass(frozen=True)
class Budget:
    """A time budget for one function: ``factor`` times a plain loop implementation
    (the source notebook's solution) on ``inputs(rng)``, per device; or fixed
    ``seconds`` per device when there is nothing to calibrate against."""

    inputs: Callable = None
    factor: dict = field(default_factory=lambda: {"cpu": 10.0, "gpu": 10.0})
    seconds: dict = None
    allowance: float = 0.1  # seconds, for the noise of a loaded machine


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
    def tests(self) -> Path:
        return self.folder / f"test_{self.name}.py"

    @property
    def released_notebook(self) -> Path:
        return PROJECT / "release" / self.name / f"{self.name}.ipynb"

    @property
    def source_notebook(self) -> Path:
        return PROJECT / "source" / self.name / f"{self.name}.ipynb"


def names() -> list:
    return sorted(
        folder.name for folder in HERE.iterdir() if (folder / "__init__.py").exists() and (folder / f"test_{folder.name}.py").exists()
    )


def load(name: str) -> Assignment:
    if name not in names():
        raise KeyError(name)
    return importlib.import_module(f"autograder.assignments.{name}").ASSIGNMENT
