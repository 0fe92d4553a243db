"""The pytest plugin that turns hidden tests into graded checks.

Hidden tests are plain pytest functions marked ``@graded("conv_forward", points=2)``;
they take the fixtures ``student`` (the sandboxed notebook), ``rng`` (seeded per test,
so a rerun with the same seed draws the same inputs), ``budgets`` and ``cells``. A parametrized
test shares its points among its cases. A table of cases marks each case instead
(``pytest.param(..., marks=graded(...))``) and names its check in the mark: the cases of a
test that carry the same mark (function, points, title) share its points. A check that
fails gets the likely cause of its failure, when the ``diagnosis`` names one
(``diagnosis.py``).
"""
import traceback
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from autograder.judge.student import Failure
from autograder.messages import say


def graded(function: str, points: float, title: str = None, case: str = None):
    """Mark a hidden test: the contract function it grades and its points. The check's name
    is ``title`` (else the test's first docstring line) and ``[case]`` (else the case id;
    "" for none)."""
    return pytest.mark.graded(function=function, points=points, title=title, case=case)


def _sharing(item, mark) -> tuple:
    """What the cases that share a mark's points have in common."""
    return item.originalname, mark.kwargs["function"], mark.kwargs["points"], mark.kwargs.get("title")


@dataclass
class CheckResult:
    name: str
    function: str
    max_score: float
    passed: bool = False
    output: str = ""
    internal_error: str = ""  # for the instructor only
    order: int = 0


class GradingPlugin:
    def __init__(self, student, seed: int, budgets, cells=(), diagnosis=None, only_seeded=False, functions=None):
        """``only_seeded``: run only the tests that draw from the seed (``rng``): the
        others give the same verdict under any seed; ``functions``: only those of these."""
        self._only_seeded = only_seeded
        self._functions = functions
        self._student = student
        self._seed = seed
        self._budgets = budgets
        self._cells = list(cells)
        self._diagnosis = diagnosis
        self.results: dict = {}

    @pytest.fixture
    def cells(self):
        """The code cells the runner executed (``{"label", "source"}``), for static checks."""
        return self._cells

    @pytest.fixture
    def student(self):
        self._student.last = None  # each test's failure is about its own calls
        return self._student

    @pytest.fixture
    def budgets(self):
        return self._budgets

    @pytest.fixture
    def rng(self, request):
        return np.random.default_rng([self._seed, zlib.crc32(request.node.nodeid.encode())])

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "graded(function, points, title, case): a hidden test's function and points")

    def pytest_collection_modifyitems(self, session, config, items):
        if self._only_seeded or self._functions is not None:
            left_out = [item for item in items if not self._runs(item)]
            items[:] = [item for item in items if item not in left_out]
            config.hook.pytest_deselected(items=left_out)
        marked = [(order, item, mark) for order, item in enumerate(items)
                  if (mark := item.get_closest_marker("graded")) is not None]
        cases_per_mark = Counter(_sharing(item, mark) for _, item, mark in marked)
        for order, item, mark in marked:
            title = mark.kwargs.get("title") or (item.function.__doc__ or item.originalname).strip().splitlines()[0]
            case = mark.kwargs.get("case")
            if case is None:
                case = item.callspec.id if hasattr(item, "callspec") else ""
            self.results[item.nodeid] = CheckResult(
                name=f"{mark.kwargs['function']}: {title}{f' [{case}]' if case else ''}",
                function=mark.kwargs["function"],
                max_score=mark.kwargs["points"] / cases_per_mark[_sharing(item, mark)],
                order=order,
            )

    def _runs(self, item) -> bool:
        if self._only_seeded and "rng" not in getattr(item, "fixturenames", ()):
            return False
        mark = item.get_closest_marker("graded")
        return self._functions is None or (mark is not None and mark.kwargs["function"] in self._functions)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None or report.when not in ("setup", "call"):
            return
        if report.when == "call" and report.passed:
            result.passed = True
        elif report.failed:
            error = call.excinfo.value if call.excinfo else None
            if isinstance(error, Failure):
                result.output = str(error)
                if report.when == "call" and self._diagnosis is not None:
                    cause = self._diagnosis.line(getattr(self._student, "last", None))
                    result.output += f"\n{cause}" if cause else ""
            else:
                result.output = say("report.internal_error")
                result.internal_error = "".join(traceback.format_exception(error)) if error else report.longreprtext
