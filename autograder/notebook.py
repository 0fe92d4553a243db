"""Read a submitted notebook and turn it into the program the runner executes.

The released notebook is the skeleton: its locked cells (imports, helpers, visible
tests) come back as released, whatever the student did to them (nbgrader's
checksums tell which were changed); deleted cells are put back; cells the student
added stay where they were. Visible test cells and cells tagged ``demo`` are not run.
"""
import ast
import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.messages import say


CELL_TYPES = ("code", "markdown", "raw")
# nbgrader's flags and their types; a flag of another type counts as absent
FLAG_TYPES = {"grade_id": str, "grade": bool, "solution": bool, "locked": bool, "points": (int, float),
              "checksum": str}


class NotebookProblem(Exception):
    """The file cannot be graded at all; the message says why, for the student."""


@dataclass
class Program:
    cells: list  # [{"label": str, "source": str}], in execution order
    notes: list = field(default_factory=list)  # sentences for the notebook check


SEARCH_DEPTH = 3  # folders below a submission's own that are searched for its notebook
SEARCH_ENTRIES = 10_000  # a hostile submission of a million files costs no more than this


def choose(folder: Path, assignment: str):
    """The notebook of the submission in ``folder``, by the kit's one rule: the one
    named like the released notebook (``<assignment>.ipynb``), else any notebook, the
    shallowest first and by name within a level; None when there is none. Hidden
    files and folders (``.ipynb_checkpoints`` among them) and linked folders are not
    searched."""
    found = []
    entries = 0
    for root, folders, files in os.walk(folder):  # does not follow linked folders
        depth = len(Path(root).relative_to(folder).parts)
        folders[:] = sorted(f for f in folders if not f.startswith((".", "__")) and depth < SEARCH_DEPTH)
        entries += len(files) + len(folders)
        found += [(name != f"{assignment}.ipynb", depth, Path(root, name))
                  for name in sorted(files) if name.endswith(".ipynb") and not name.startswith(".")]
        if entries > SEARCH_ENTRIES:
            break
    return min(found, key=lambda item: item[:2] + (str(item[2]),))[2] if found else None


def read(path: Path, max_bytes: int, within: Path = None) -> nbformat.NotebookNode:
    """The notebook at ``path``, or :class:`NotebookProblem` saying why not.

    ``path`` must be a plain file whose real location lies inside the folder ``within``
    (by default its own folder as given): a link would hand in any file the grader can read,
    the course's solutions included."""
    path = Path(path)
    data = _read_plain_file(path, max_bytes, path.parent if within is None else Path(within))
    if path.suffix != ".ipynb" and not data.lstrip().startswith(b"{"):
        # a script or a PDF handed in as the notebook: say so, not what a JSON parser says
        raise NotebookProblem(say("notebook.not_a_notebook", name=path.name))
    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
        if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
            raise ValueError("there is no list of cells")
        notebook = nbformat.reads(text, as_version=4)
        cells = notebook.cells
    except Exception as error:  # noqa: BLE001 (whatever the parser or nbformat's validator says: unreadable)
        raise NotebookProblem(say("notebook.unreadable", reason=_first_line(error))) from None
    for cell in cells:
        _check_cell(cell)
    return notebook


def _read_plain_file(path: Path, max_bytes: int, within: Path) -> bytes:
    """The bytes of ``path``, through one descriptor: opened without following a link and
    without waiting (a FIFO would hang the grader), then checked and read, so that nothing
    can be swapped in between."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW's answer for a link
            raise NotebookProblem(say("notebook.linked")) from None
        if error.errno == errno.ENXIO:  # a socket
            raise NotebookProblem(say("notebook.not_a_file")) from None
        raise _unreadable(error) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotebookProblem(say("notebook.not_a_file"))
        if not _lies_within(descriptor, path, within):
            raise NotebookProblem(say("notebook.outside"))
        if status.st_size > max_bytes:
            raise _too_large(status.st_size, max_bytes)
        data = _read_at_most(descriptor, max_bytes + 1)
    except OSError as error:
        raise _unreadable(error) from None
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:  # it grew after fstat
        raise _too_large(len(data), max_bytes)
    return data


def _lies_within(descriptor: int, path: Path, within: Path) -> bool:
    """Whether the opened file's real path is inside the real path of ``within``."""
    try:
        real = os.readlink(f"/proc/self/fd/{descriptor}")  # the file actually opened (Linux)
    except OSError:
        real = os.path.realpath(path)
    return Path(real).is_relative_to(os.path.realpath(within))


def _read_at_most(descriptor: int, count: int) -> bytes:
    """Up to ``count`` bytes from ``descriptor``, to its end."""
    chunks, left = [], count
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _unreadable(error: OSError) -> NotebookProblem:
    """The problem to raise for an error of the system's while opening or reading."""
    return NotebookProblem(say("notebook.unreadable", reason=error.strerror or str(error)))


def _too_large(size: int, max_bytes: int) -> NotebookProblem:
    """The problem to raise for a file of ``size`` bytes, over the limit."""
    return NotebookProblem(say("notebook.too_large", size_mb=size / 2**20, limit_mb=max_bytes / 2**20))


def _check_cell(cell) -> None:
    """:class:`NotebookProblem` unless ``cell`` has a known type and a text source."""
    if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_TYPES or not isinstance(
            cell.get("source"), str):
        raise NotebookProblem(say("notebook.unreadable", reason="a cell has no valid type or source"))


def program(submitted: nbformat.NotebookNode, released: nbformat.NotebookNode, functions=()) -> Program:
    """The code cells to run, in order, with the released locked cells restored.

    ``functions``: the contract's names, to point out ones defined more than once.
    Whatever ``submitted`` holds, the only exception is :class:`NotebookProblem`."""
    submitted_cells = _submitted_cells(submitted)
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

    for cell in submitted_cells:
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
        if cell.cell_type == "code" and not _is_visible_test(cell) and "demo" not in _tags(cell):
            label = _grade_id(cell) or f"your cell {position}"
            cells.append({"label": f"cell {position} ({label})", "source": python_source(cell.source)})
    definitions = [(cell["label"], _top_level_definitions(cell["source"])) for cell in cells] if functions else []
    for function in functions:
        defining = [label for label, names in definitions if function in names]
        if len(defining) > 1:
            notes.append(say("notebook.duplicate", function=function, cells=", ".join(defining)))
    return Program(cells, notes)


def _submitted_cells(submitted) -> list:
    """Clean copies of the submitted cells, holding only what the merge reads, each of the
    right type: a hand-edited notebook can hold anything, and a tag or nbgrader flag of the
    wrong type counts as absent."""
    cells = submitted.get("cells") if isinstance(submitted, dict) else None
    if not isinstance(cells, list):
        raise NotebookProblem(say("notebook.unreadable", reason="there is no list of cells"))
    clean = []
    for cell in cells:
        _check_cell(cell)
        flags = _flags(cell)
        clean.append(nbformat.NotebookNode(
            cell_type=cell["cell_type"],
            source=cell["source"],
            metadata=nbformat.NotebookNode(
                tags=_tags(cell),
                nbgrader=nbformat.NotebookNode(
                    {key: value for key, value in flags.items() if _is_flag(key, value)}),
            ),
        ))
    return clean


def _is_flag(key, value) -> bool:
    """Whether ``value`` has the type nbgrader gives the flag ``key`` (a bool is no number of points)."""
    return isinstance(value, FLAG_TYPES.get(key, ())) and not (key == "points" and isinstance(value, bool))


def plain_python(source: str) -> str:
    """The cell with IPython's magic and shell lines blanked (for trusted, judge-side
    use); blanked, not dropped, so that line numbers stay those of the cell."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def python_source(source: str) -> str:
    """The cell as plain Python: IPython syntax (``%time``, ``!ls``, ``x?``) rewritten as
    calls of ``get_ipython()``, as Jupyter runs it. Done here, by the judge: IPython is
    not among the packages a sandbox can import. Where IPython cannot rewrite it, the
    magic and shell lines are dropped."""
    lines = [line.strip() for line in source.splitlines()]
    if not any(line.startswith(("%", "!")) or line.endswith("?") or "=!" in line.replace(" ", "") for line in lines):
        return source  # plain Python: spare the import of IPython
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 (hostile text can break IPython's parser too)
        return plain_python(source)


def _top_level_definitions(source: str) -> set:
    """The functions ``source`` defines at its top level; none where it does not parse."""
    try:
        tree = ast.parse(plain_python(source))
    except Exception:  # noqa: BLE001 (deep nesting gives RecursionError or MemoryError, not SyntaxError)
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _metadata(cell) -> dict:
    """The cell's metadata; empty where there is none, or none that is a dict."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _flags(cell) -> dict:
    """The cell's nbgrader metadata; empty where there is none, or none that is a dict."""
    flags = _metadata(cell).get("nbgrader")
    return flags if isinstance(flags, dict) else {}


def _tags(cell) -> list:
    """The cell's tags that are strings."""
    tags = _metadata(cell).get("tags")
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


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
