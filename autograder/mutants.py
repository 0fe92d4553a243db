"""Wrong and alternative implementations, turned into submissions the project grades.

A :class:`Mutant` is a bug students really make, written as a text patch on the
source notebook's solution code (which is written as a student would write it); it
must lose points on the function it breaks and only there. An :class:`Alternative`
is a correct implementation in another style; it must score full marks. Because a
patch must match the solution code exactly once, a mutant cannot silently drift
away from the code it mutates.
"""
import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: object  # the contract function that must lose points (or a tuple: it, then its callers)
    old: str  # text in the first function's solution cell ...
    new: str  # ... and what a student wrote instead
    why: str = ""

    @property
    def functions(self) -> tuple:
        return self.breaks if isinstance(self.breaks, tuple) else (self.breaks,)

    def notebook(self, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
        mutated = copy.deepcopy(source)
        cell = _cell(mutated, self.functions[0])
        count = cell.source.count(self.old)
        if count != 1:
            raise ValueError(f"mutant {self.name}: the patch matches {count} times in {self.functions[0]}'s cell")
        cell.source = cell.source.replace(self.old, self.new)
        return mutated


@dataclass(frozen=True)
class Alternative:
    """A complete, correct implementation, appended as the student's own last cell."""

    name: str
    code: str

    def notebook(self, released: nbformat.NotebookNode) -> nbformat.NotebookNode:
        notebook = copy.deepcopy(released)
        notebook.cells.append(nbformat.v4.new_code_cell(self.code))
        return notebook


def write(notebook: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def _cell(notebook, grade_id: str):
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id}")
