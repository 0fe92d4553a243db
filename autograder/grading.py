"""Grade one submitted notebook under a resolved run: read it, run it in the sandbox,
run the hidden tests.

Whatever the notebook does, this returns a complete result: every hidden test is
listed with its points, and each one that could not run says why. Turning that into
the files a grading leaves is ``report``'s job.
"""
import ast
import contextlib
import importlib
import io
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder import notebook
from autograder.assignments import Assignment
from autograder.assignments.testing import solution_namespace
from autograder.judge import budgets
from autograder.judge.diagnosis import Diagnosis
from autograder.judge.plugin import GradingPlugin
from autograder.judge.student import (ISOLATION, Failure, LoadReport, Outcome, SandboxUnavailable, Student,
                                      import_on_first_use, kept_for_good, not_allowed)
from autograder.messages import say
from autograder.run import Run

PYTEST_INI = Path(__file__).parent / "judge" / "pytest.ini"


class _Unavailable:
    """Stands in for a notebook that could not be read: every call fails, saying why."""

    first_load = LoadReport(ok=False, problem="unreadable")
    isolation: list = []
    stopped: set = set()

    def __init__(self, limits):
        self.limits = limits

    def outcome(self, function, timeout=None, **args):
        return Outcome("unavailable")

    def call(self, function, timeout=None, **args):
        raise Failure(say("call.unavailable", function=function))

    def drive(self, scenario, functions, timeout=None, **inputs):
        raise Failure(say("call.unavailable", function=" → ".join(functions)))

    def close(self):
        pass


def grade(path: Path, run: Run) -> dict:
    """What grading the notebook at ``path`` (a plain file inside ``run.within``, by
    default its own folder) found: every check with its result, what the notebook as a
    whole did, and the seconds it took.

    When the grader itself fails (no sandbox), ``not_graded`` holds the reason, for the
    instructor: it is never the student's zero."""
    return grade_under_seeds(path, run, [run.seed])[run.seed]


def grade_under_seeds(path: Path, run: Run, seeds, functions=None) -> dict:
    """``{seed: what grade() finds under that seed}``, the notebook run once: the
    project's tests prove with it that a submission's score does not depend on the seed.
    After the first seed only the checks that draw from the seed run again (the others
    cannot give another verdict), of ``functions`` only when given (the code of the
    others is the reference's), and without a diagnosis (it changes no score)."""
    started = time.monotonic()
    assignment = run.task
    notes, problem, program = [], "", None
    try:
        submitted = notebook.read(Path(path), assignment.limits.notebook_bytes, run.within)
        program = notebook.program(submitted, assignment.notebook("released"), assignment.functions)
        notes = program.notes
        # the notebook runs in its own process: load what the hidden tests need
        # (TensorFlow takes seconds) while it does
        with ThreadPoolExecutor(max_workers=1) as pool:
            test_imports = pool.submit(_import_all, _modules_the_tests_import(assignment))
            student = Student(program.cells, assignment.limits, run.hidden, assignment.driver, assignment.imports)
            test_imports.result()
    except notebook.NotebookProblem as error:
        problem = str(error)
        student = _Unavailable(assignment.limits)
    except SandboxUnavailable as error:
        return {seed: {"not_graded": str(error), "seconds": time.monotonic() - started} for seed in seeds}
    graded, first = {}, None
    try:
        for seed in seeds:
            student.stopped = set()  # each seed's checks start as the first did
            results = _run_hidden_tests(student, assignment, run, seed, program.cells if program else [],
                                        again=first is not None, functions=functions if first else None)
            first = first or results
            for test_id, check in results.items():  # in the order of the first, whole run
                check.order = first[test_id].order
            checks = sorted({**first, **results}.values(), key=lambda check: check.order)
            if getattr(student, "grader_failure", ""):
                graded[seed] = {"not_graded": student.grader_failure, "seconds": time.monotonic() - started}
                continue
            graded[seed] = {
                "checks": checks,
                "notebook": _notebook_check(student.first_load, problem, notes, assignment),
                "sandbox": _sandbox_lines(student.isolation),
                "seconds": time.monotonic() - started,
            }
    finally:
        student.close()
    return graded


def _run_hidden_tests(student, assignment: Assignment, run: Run, seed: int, cells: list, again: bool = False,
                      functions=None) -> dict:
    """``{test id: check result}``: the hidden tests, each check with its result (``again``:
    only those that draw from the seed, undiagnosed; ``functions``: only theirs)."""
    time_budgets = budgets.TimeBudgets(assignment, run.budgets, run.device, seed)
    diagnosis = None if again else Diagnosis(assignment, solution_namespace)
    plugin = GradingPlugin(student, seed, time_budgets, cells=cells, diagnosis=diagnosis, only_seeded=again,
                           functions=functions)
    log = io.StringIO()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only pytest's own plugins: faster, no surprises
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        pytest.main(
            [str(assignment.hidden_tests), "-c", str(PYTEST_INI), "--rootdir", str(assignment.folder),
             "-p", "no:cacheprovider", "-q"],
            plugins=[plugin],
        )
    return plugin.results


def _modules_the_tests_import(assignment: Assignment) -> list:
    """The modules the hidden test file imports, in order. (Parsed here, in the calling
    thread: CPython 3.11's ``ast.parse`` is not safe in two threads at once.)"""
    modules = []
    for statement in ast.parse(assignment.hidden_tests.read_text()).body:
        if isinstance(statement, ast.Import):
            modules += [alias.name for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom) and statement.level == 0:
            modules.append(statement.module)
    return modules


def _import_all(modules: list) -> None:
    """Import ``modules``, so that pytest, importing the hidden test file itself, finds
    them loaded (pyplot, which Keras imports, on first use; what they make kept for good,
    the first time only: a judge grading one student after another makes garbage)."""
    import_on_first_use()
    if all(module in sys.modules for module in modules):
        return
    with kept_for_good():
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 (pytest meets the same error and reports it as it always does)
                return


def _notebook_check(load: LoadReport, problem: str, notes: list, assignment) -> str:
    """What the student reads about their notebook as a whole."""
    if problem:
        return problem
    lines = []
    if not load.ok:
        seconds = assignment.limits.notebook_seconds
        lines.append(say(f"notebook.{load.problem}", seconds=seconds, cell=load.last_cell or "its first cell"))
    elif load.errors:
        lines.append(say("notebook.cell_errors"))
        lines += [_cell_error(error, assignment) for error in load.errors]
    else:
        lines.append(say("notebook.ran"))
    lines += notes
    return "\n".join(lines)


def _sandbox_lines(isolation: list) -> list:
    """How the sandbox was built, for the instructor (the summary shows it; students'
    pages do not): what it had, and what this machine could not provide."""
    lines = []
    if isolation:
        lines.append(say("notebook.isolation", features="; ".join(say(f"sandbox.{key}") for key in isolation)))
    missing = [key for key in ISOLATION if key not in isolation]
    if missing:
        lines.append(say("notebook.no_isolation", features="; ".join(say(f"sandbox.{key}") for key in missing)))
    return lines


def _cell_error(error: dict, assignment) -> str:
    allowed = not_allowed(error, assignment.imports)
    if allowed:
        return say("notebook.import_not_allowed", cell=error["cell"], **allowed)
    return say("notebook.cell_error", **{key: error[key] for key in ("cell", "type", "message")})
