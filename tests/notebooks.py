"""Load the code of a source notebook, as the project's own tests need it."""
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def source_notebook(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def is_visible_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def is_demo(cell) -> bool:
    return "demo" in cell.metadata.get("tags", [])


def solution_namespace(assignment: str) -> dict:
    """Execute the source notebook's code as the autograder would (no tests, no demos).

    Returns the namespace, so that tests can call the notebook's own solution code.
    """
    namespace: dict = {"__name__": f"notebook_{assignment}"}
    for cell in source_notebook(assignment).cells:
        if cell.cell_type != "code" or is_visible_test(cell) or is_demo(cell):
            continue
        lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        exec(compile("\n".join(lines), f"<{assignment}:{cell.metadata.nbgrader['grade_id']}>", "exec"), namespace)
    return namespace
