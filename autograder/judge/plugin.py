"""The pytest plugin that turns hidden tests into graded checks.

Hidden tests are plain pytest functions marked ``@graded("conv_forward", points=2)``;
they take the fixtures ``student`` (the sandboxed notebook), ``rng`` (seeded per test,
so a rerun with the same seed draws the same inputs), ``budgets`` and ``cells``. A parametrized
test shares its points among its cases.
"""
import traceback
import zlib
from dataclasses import dataclass

import numpy as np
import pytest

from autograder.judge.student import Failure
from autograder.messages import say


def graded(function: str, points: float):
    """Mark a hidden test: the contract function it grades and its points."""
    return pytest.mark.graded(function=function, points=points)


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
    def __init__(self, student, seed: int, budgets, cells=()):
        self._student = student
        self._seed = seed
        self._budgets = budgets
        self._cells = list(cells)
        self.results: dict = {}

    @pytest.fixture
    def cells(self):
        """The code cells the runner executed (``{"label", "source"}``), for static checks."""
        return self._cells

    @pytest.fixture
    def student(self):
        return self._student

    @pytest.fixture
    def budgets(self):
        return self._budgets

    @pytest.fixture
    def rng(self, request):
        return np.random.default_rng([self._seed, zlib.crc32(request.node.nodeid.encode())])

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "graded(function, points): a hidden test's function and points")

    def pytest_collection_modifyitems(self, session, config, items):
        cases_per_test: dict = {}
        for item in items:
            cases_per_test[item.originalname] = cases_per_test.get(item.originalname, 0) + 1
        for order, item in enumerate(items):
            mark = item.get_closest_marker("graded")
            if mark is None:
                continue
            title = (item.function.__doc__ or item.originalname).strip().splitlines()[0]
            case = f" [{item.callspec.id}]" if hasattr(item, "callspec") else ""
            self.results[item.nodeid] = CheckResult(
                name=f"{mark.kwargs['function']}: {title}{case}",
                function=mark.kwargs["function"],
                max_score=mark.kwargs["points"] / cases_per_test[item.originalname],
                order=order,
            )

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
            else:
                result.output = say("report.internal_error")
                result.internal_error = "".join(traceback.format_exception(error)) if error else report.longreprtext
