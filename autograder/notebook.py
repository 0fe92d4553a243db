"""Read a submitted notebook and turn it into the program the runner executes.

The released notebook is the skeleton: its locked cells (imports, helpers, visible
tests) come back as released, whatever the student did to them (nbgrader's
checksums tell which were changed); deleted cells are put back; cells the student
added stay where they were. Visible test cells and cells tagged ``demo`` are not run.
"""
import ast
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.messages import say


class NotebookProblem(Exception):
    """The file cannot be graded at all; the message says why, for the student."""


@dataclass
class Program:
    cells: list  # [{"label": str, "source": str}], in execution order
    notes: list = field(default_factory=list)  # sentences for the notebook check


def read(path: Path, max_bytes: int) -> nbformat.NotebookNode:
    """The notebook at ``path``, or :class:`NotebookProblem` saying why not."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise NotebookProblem(say("notebook.unreadable", reason=error.strerror or str(error))) from None
    if size > max_bytes:
        raise NotebookProblem(say("notebook.too_large", size_mb=size / 2**20, limit_mb=max_bytes / 2**20))
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
        if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
            raise ValueError("there is no list of cells")
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 (whatever the parser or nbformat's validator says: unreadable)
        raise NotebookProblem(say("notebook.unreadable", reason=_first_line(error))) from None
    for cell in notebook.cells:
        if not isinstance(cell.get("source"), str) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookProblem(say("notebook.unreadable", reason="a cell has no valid type or source"))
    return notebook


def program(submitted: nbformat.NotebookNode, released: nbformat.NotebookNode, functions=()) -> Program:
    """The code cells to run, in order, with the released locked cells restored.

    ``functions``: the contract's names, to point out ones defined more than once."""
    released_cells = [cell for cell in released.cells if _grade_id(cell)]
    by_id = {_grade_id(cell): cell for cell in released_cells}
    restored, deleted, merged = [], [], []
    emitted = set()

    def emit_released_before(grade_id):
        for cell in released_cells:
            if _grade_id(cell) == grade_id:
                return
            if _grade_id(cell) not in emitted:
                emitted.add(_grade_id(cell))
                deleted.append(_grade_id(cell))
                merged.append(cell)

    for cell in submitted.cells:
        grade_id = _grade_id(cell)
        if grade_id in by_id and grade_id not in emitted:
            emit_released_before(grade_id)
            emitted.add(grade_id)
            original = by_id[grade_id]
            if is_locked(original) and not is_solution(original):
                if compute_checksum(_as_released(cell, original)) != original.metadata.nbgrader.get("checksum"):
                    restored.append(grade_id)
                cell = original
            merged.append(cell)
        elif grade_id not in by_id:  # the student's own cell (a duplicated id is dropped)
            merged.append(cell)
    emit_released_before(None)

    notes = []
    deleted_code = [grade_id for grade_id in deleted if by_id[grade_id].cell_type == "code"]
    if restored:
        notes.append(say("notebook.restored", cells=", ".join(restored)))
    if deleted_code:
        notes.append(say("notebook.deleted", cells=", ".join(deleted_code)))
    cells = []
    for position, cell in enumerate(merged, start=1):
        if cell.cell_type == "code" and not _is_visible_test(cell) and "demo" not in cell.metadata.get("tags", []):
            label = _grade_id(cell) or f"your cell {position}"
            cells.append({"label": f"cell {position} ({label})", "source": cell.source})
    for function in functions:
        defining = [cell["label"] for cell in cells if function in _top_level_definitions(cell["source"])]
        if len(defining) > 1:
            notes.append(say("notebook.duplicate", function=function, cells=", ".join(defining)))
    return Program(cells, notes)


def plain_python(source: str) -> str:
    """The cell without IPython's magic and shell lines (for trusted, judge-side use)."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _top_level_definitions(source: str) -> set:
    try:
        tree = ast.parse(plain_python(source))
    except (SyntaxError, ValueError):
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _flags(cell) -> dict:
    try:
        return dict(cell.metadata.get("nbgrader", {}))
    except (AttributeError, TypeError, ValueError):
        return {}


def is_grade(cell) -> bool:
    return bool(_flags(cell).get("grade"))


def is_solution(cell) -> bool:
    return bool(_flags(cell).get("solution"))


def is_locked(cell) -> bool:
    """nbgrader's rule: solution cells are never locked, grade cells always are."""
    flags = _flags(cell)
    return not flags.get("solution") and (bool(flags.get("grade")) or bool(flags.get("locked")))


def compute_checksum(cell) -> str:
    """nbgrader's cell checksum (``nbgrader.utils.compute_checksum``, which a test keeps
    us equal to): importing nbgrader itself costs seconds per graded notebook."""
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)), str(is_locked(cell)),
                 cell.metadata.nbgrader["grade_id"]):
        digest.update(part.encode("utf-8"))
    if is_grade(cell):
        digest.update(str(float(cell.metadata.nbgrader["points"])).encode("utf-8"))
    return digest.hexdigest()


def _as_released(cell, original):
    """The submitted cell with the released flags, so the checksum covers what changed."""
    copy = nbformat.from_dict(dict(original))
    copy.source = cell.source
    copy.cell_type = cell.cell_type
    return copy


def _grade_id(cell):
    grade_id = _flags(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) else None


def _is_visible_test(cell) -> bool:
    return is_grade(cell) and not is_solution(cell)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
