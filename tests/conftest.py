"""Shared helpers for the project's tests: grade a notebook, sum its points per function."""
import os
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# Every grading of the suite measures its own budgets (or is given them): none kept
# between tests, none left in the user's cache. The kept budgets have a test of their own.
os.environ["AUTOGRADER_CALIBRATION_CACHE"] = "off"

from autograder import assignments  # noqa: E402
from autograder.grading import grade  # noqa: E402
from autograder.report.results import from_grading  # noqa: E402
from autograder.run import resolve  # noqa: E402
from autograder.judge.student import fork_sandboxes  # noqa: E402

# The suite's processes grade notebook after notebook, as a batch's judge does: their
# sandboxes are forked from fork servers (the command that grades one notebook starts
# each of its own, and the tests that run it test that)
fork_sandboxes()

SEED = 20261123


def grade_notebook(notebook, assignment_name: str, folder: Path, seed: int = SEED, budgets=None, limits=None) -> dict:
    """Grade ``notebook`` (a path or a NotebookNode); the Gradescope-style results."""
    if not isinstance(notebook, (str, Path)):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{assignment_name}.ipynb"
        nbformat.write(notebook, path)
        notebook = path
    run = resolve(assignment_name, seed, "cpu", limits, budgets=budgets)
    graded = grade(Path(notebook), run)
    assert "not_graded" not in graded, graded["not_graded"]
    return from_grading(graded, run)


def run_file(path: Path, assignment_name: str, budgets: dict, seed: int = SEED, limits=None) -> Path:
    """A run resolved with ``budgets`` measured already, in a file for ``--run``."""
    path.write_text(resolve(assignment_name, seed, "cpu", limits, budgets=budgets).to_json())
    return path


def scores_by_function(results: dict) -> dict:
    """``{function: (score, max_score)}`` over the graded tests."""
    totals: dict = {}
    for test in results["tests"]:
        score, maximum = totals.get(test["tags"][0], (0.0, 0.0))
        totals[test["tags"][0]] = (score + test["score"], maximum + test["max_score"])
    totals.pop("notebook", None)
    return totals


def failures(results: dict) -> str:
    """The failed checks, after the notebook's own row, which says why a check was "Not run"."""
    notebook, *checks = results["tests"]
    failed = [f"{t['name']}: {t['output']}" for t in checks if t["score"] < t["max_score"]]
    return "\n".join([f"{notebook['name']}: {notebook['output']}", *failed])


@pytest.fixture(scope="session")
def calibrated():
    """Budgets per assignment, calibrated once for the whole test session."""
    from autograder.judge.budgets import calibrate

    cache = {}

    def budgets(name):
        if name not in cache:
            cache[name] = calibrate(assignments.load(name), "cpu")
        return cache[name]

    return budgets


def grade_under_seeds(notebook, assignment_name: str, folder: Path, seeds, budgets=None, functions=None) -> dict:
    """``{seed: results}`` of ``notebook`` graded under each seed, the notebook run once
    (after the first seed, only the checks of ``functions`` when given)."""
    from autograder.grading import grade_under_seeds as grade_seeds

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment_name}.ipynb"
    nbformat.write(notebook, path)
    run = resolve(assignment_name, seeds[0], "cpu", budgets=budgets)
    graded = grade_seeds(path, run, seeds, functions)
    return {seed: from_grading(g, replace(run, seed=seed)) for seed, g in graded.items()}


def pytest_collection_modifyitems(items):
    """Slow, for ``make test-fast`` to leave out: whatever grades or tests an assignment
    whose code imports TensorFlow, and every test that imports TensorFlow as an oracle."""
    heavy = {name for name in assignments.names() if "tensorflow" in assignments.load(name).imports}
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        folder = Path(str(item.fspath)).parent.name
        if params.get("name") in heavy or folder in heavy or "tf" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
