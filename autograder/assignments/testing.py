"""Helpers for the oracle tests (``<assignment>/oracles.py``): the source notebook's own code.

The oracle tests check the reference solution against independent oracles, then the
source notebook's solution cells against the reference. These helpers run those cells
as the autograder would: visible test cells and cells tagged ``demo`` are left out,
IPython's magic and shell lines are blanked (``autograder.notebook.plain_python``).
Trusted code only: the course's own notebooks, run in the test process.
"""
import numpy as np

from autograder import assignments
from autograder.notebook import is_grade, is_solution, plain_python


def source_notebook(assignment: str):
    """The source notebook of ``assignment`` (the one with the solutions), read."""
    return assignments.load(assignment).notebook("source")


def is_visible_test(cell) -> bool:
    """A visible test cell: graded, and no solution."""
    return is_grade(cell) and not is_solution(cell)


def is_demo(cell) -> bool:
    return "demo" in cell.metadata.get("tags", [])


def grade_id(cell, position: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {position}"


def visible_tests(assignment: str) -> dict:
    """``{grade_id: source}`` of the source notebook's visible test cells."""
    return {grade_id(cell, position): plain_python(cell.source)
            for position, cell in enumerate(source_notebook(assignment).cells, start=1)
            if cell.cell_type == "code" and is_visible_test(cell) and not is_demo(cell)}


def solution_namespace(assignment: str, edit=None) -> dict:
    """Execute the source notebook's code as the autograder would (no tests, no demos).

    ``edit(grade_id, source)``, if given, returns the source to run in place of each
    cell's (to plant a mistake). Returns the namespace, so that tests can call the
    notebook's own solution code.
    """
    namespace: dict = {"__name__": f"notebook_{assignment}"}
    for position, cell in enumerate(source_notebook(assignment).cells, start=1):
        if cell.cell_type != "code" or is_visible_test(cell) or is_demo(cell):
            continue
        label = grade_id(cell, position)
        source = plain_python(cell.source)
        if edit is not None:
            source = edit(label, source)
        exec(compile(source, f"<{assignment}:{label}>", "exec"), namespace)
    return namespace


def released_cell(assignment: str, cell_id: str):
    """The released notebook's cell whose grade id is ``cell_id``."""
    released = assignments.load(assignment).notebook("released")
    return next(c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id)


def released_cell_namespace(assignment: str, cell_id: str) -> dict:
    """The namespace the released notebook's locked cell ``cell_id`` leaves, run with
    numpy as ``np`` (the data cell every student runs, say)."""
    namespace = {"np": np}
    run_cell(assignment, cell_id, plain_python(released_cell(assignment, cell_id).source), namespace)
    return namespace


def released_cell_result(assignment: str, cell_id: str, function: str, **arguments) -> tuple:
    """``function(**arguments)`` of the released notebook's locked cell ``cell_id``: a
    tuple of arrays, the data every student's notebook loads. Kept on this machine
    (``judge.kept``) with what it comes from: the cell's code, the arguments, and the
    versions of numpy and the packages the assignment allows, which the cell imports
    (scikit-learn's import alone costs a second and a half at every grading)."""
    from autograder.judge import kept

    on = {"assignment": assignment, "cell": released_cell(assignment, cell_id).source, "function": function,
          "arguments": arguments, "packages": kept.versions(("numpy", *assignments.load(assignment).imports))}
    return kept.arrays(f"{assignment}-{cell_id}", on,
                       lambda: tuple(released_cell_namespace(assignment, cell_id)[function](**arguments)))


def run_cell(assignment: str, label: str, source: str, namespace: dict) -> None:
    """Run one cell's ``source`` (a visible test, say) in ``namespace``."""
    exec(compile(source, f"<{assignment}:{label}>", "exec"), namespace)


def numerical_gradient(loss, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Centred differences of the scalar ``loss()`` with respect to the array ``x``,
    which ``loss`` reads (and which is changed in place, one entry at a time, then restored)."""
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + step
        up = loss()
        x[index] = old - step
        down = loss()
        x[index] = old
        gradient[index] = (up - down) / (2 * step)
    return gradient
