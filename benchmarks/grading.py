"""Grading rows: ``autograder grade`` against ``nbgrader autograde``, and a batch on 1 and 2 jobs.

Every command runs as the instructor would run it, in a fresh process, and is timed
on the wall clock from start to exit.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from itertools import cycle, islice
from pathlib import Path

import nbformat

from autograder import assignments
from autograder.mutants import write
from benchmarks import ENVIRONMENT
from benchmarks.timing import Row, median_alternating, seconds, skipped

PROJECT = assignments.PROJECT
STUDENT = "bench"
NUMPY_TARGET = ("<=", 0.5)
TENSORFLOW_TARGET = ("<=", 1.0)  # the 0.5x target is for numpy assignments; TensorFlow's import alone takes seconds
JOBS_TARGET = (">=", 1.8)


def course_assignments() -> list:
    """Every assignment the course has a source notebook for, graded or not yet."""
    return sorted(folder.name for folder in (PROJECT / "source").iterdir()
                  if (folder / f"{folder.name}.ipynb").exists())


def grade_rows(quick: bool, repeats: int) -> list:
    """One row per assignment: the source notebook, a full-marks submission, graded both ways."""
    rows = []
    for name in course_assignments():
        target = TENSORFLOW_TARGET if _uses_tensorflow(name) else NUMPY_TARGET
        row = (f"grade {name}", "autograder grade", "nbgrader autograde", target)
        if name not in assignments.names():
            rows.append(skipped("grade", *row, f"grade {name}: its hidden tests are not in place yet"))
        elif quick:
            rows.append(skipped("grade", *row, f"grade {name}: --quick skips nbgrader"))
        else:
            rows.append(_grade_row(name, row, repeats))
    return rows


def _uses_tensorflow(name: str) -> bool:
    """Whether the code the autograder runs (not the visible tests, not the demos) imports TensorFlow."""
    source = nbformat.read(PROJECT / "source" / name / f"{name}.ipynb", as_version=4)
    for cell in source.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        visible_test = nbgrader.get("grade") and not nbgrader.get("solution")
        if cell.cell_type == "code" and not visible_test and "demo" not in cell.metadata.get("tags", []):
            if "import tensorflow" in cell.source:
                return True
    return False


def _grade_row(name: str, row: tuple, repeats: int) -> Row:
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        course = _nbgrader_course(Path(tmp) / "course", name)
        submission = course / "submitted" / STUDENT / name / f"{name}.ipynb"
        out = Path(tmp) / "autograder"
        ours = [sys.executable, "-m", "autograder", "grade", str(submission), "--assignment", name,
                "--out", str(out), "--seed", "1"]
        theirs = [sys.executable, "-m", "nbgrader", "autograde", name, "--force"]
        ours_s, theirs_s = median_alternating(lambda: _run(ours), lambda: _run(theirs, cwd=course),
                                              repeats)
        scores = (_autograder_score(out / "results.json"), _nbgrader_score(course, name))
    result = Row("grade", *row, ours_s=ours_s, theirs_s=theirs_s)
    if any(score != maximum for score, maximum in scores):
        result.note = (f"grade {name}: the source notebook should score full marks, got "
                       f"{scores[0][0]:g}/{scores[0][1]:g} (autograder), {scores[1][0]:g}/{scores[1][1]:g} (nbgrader)")
    return result


def _nbgrader_course(root: Path, name: str) -> Path:
    """A throw-away nbgrader course holding one submission of ``name``: the source notebook.

    The project's nbgrader_config.py puts the course root and its gradebook beside
    itself, so a copy points at the copy. ``generate_assignment`` records the grade
    cells in the new gradebook, as an instructor's release does.
    """
    for folder in ("source", "release"):
        shutil.copytree(PROJECT / folder / name, root / folder / name)
    config = (PROJECT / "nbgrader_config.py").read_text()
    # nbgrader's 30 s per cell is too short for a TensorFlow demo on a loaded machine
    (root / "nbgrader_config.py").write_text(config + "\nc.Execute.timeout = 600\n")
    submitted = root / "submitted" / STUDENT / name
    submitted.mkdir(parents=True)
    shutil.copy(PROJECT / "source" / name / f"{name}.ipynb", submitted)
    _run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"], cwd=root)
    _run([sys.executable, "-m", "nbgrader", "db", "student", "add", STUDENT], cwd=root)
    return root


def _autograder_score(results: Path) -> tuple:
    data = json.loads(results.read_text())
    return round(data["score"], 6), round(data["max_score"], 6)


def _nbgrader_score(course: Path, name: str) -> tuple:
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gradebook:
        submission = gradebook.find_submission(name, STUDENT)
        return round(submission.score, 6), round(submission.max_score, 6)


def batch_assignment():
    """The assignment a batch is made of, found by looking: the first, by name, whose
    catalogue has mutants to make a class's submissions from and whose student code imports
    no TensorFlow (so that the row times grading, not TensorFlow's start-up); None if none."""
    for name in assignments.names():
        catalogue = assignments.catalogue(name)
        tensorflow = any(module.split(".")[0] == "tensorflow" for module in assignments.load(name).imports)
        if catalogue is not None and getattr(catalogue, "MUTANTS", None) and not tensorflow:
            return name
    return None


def batch_name(count: int) -> str:
    """The batch row's name: ``batch <count> <assignment>``."""
    name = batch_assignment()
    return f"batch {count} {name}" if name else f"batch {count}"


def batch_row(count: int) -> Row:
    """``count`` submissions of one assignment graded as one nbgrader tree with ``--jobs 2``
    against ``--jobs 1``."""
    assignment, name = batch_assignment(), batch_name(count)
    labels = ("--jobs 2", "--jobs 1", JOBS_TARGET)
    if assignment is None:
        return skipped("batch", name, *labels, f"{name}: no graded assignment without TensorFlow has mutants "
                                               "to make submissions of")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        submitted = Path(tmp) / "submitted"
        for student, notebook in enumerate(islice(cycle(_submissions(assignment)), count), 1):
            write(notebook, submitted / f"student{student:02d}" / assignment / f"{assignment}.ipynb")

        def grade(jobs):
            _run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(Path(tmp) / f"jobs{jobs}"),
                  "--jobs", str(jobs), "--seed", "1", "--force"])

        one_job = seconds(lambda: grade(1))
        two_jobs = seconds(lambda: grade(2))
    per_minute = lambda s: f"{60 * count / s:.0f} notebooks/min"  # noqa: E731
    return Row("batch", name, f"--jobs 2, {per_minute(two_jobs)}", f"--jobs 1, {per_minute(one_job)}",
               JOBS_TARGET, ours_s=two_jobs, theirs_s=one_job)


def _submissions(name: str) -> list:
    """What a class hands in: right answers, the released stub, the bugs students make."""
    catalogue = assignments.catalogue(name)
    assignment = assignments.load(name)
    source = nbformat.read(assignment.source_notebook, as_version=4)
    released = nbformat.read(assignment.released_notebook, as_version=4)
    wrong = [mutant.notebook(source) for mutant in catalogue.MUTANTS]
    right = [source] + [alternative.notebook(released) for alternative in getattr(catalogue, "ALTERNATIVES", [])]
    # mostly right answers, one bug in every other notebook, now and then a blank stub
    mixed = [notebook for pair in zip(cycle(right), wrong) for notebook in pair]
    return mixed + [released]


def _run(command: list, cwd: Path = None) -> None:
    """Run ``command`` to its end; a failure stops the benchmark with the command's own words."""
    path = os.pathsep.join([str(Path(sys.executable).parent), ENVIRONMENT.get("PATH", "")])  # nbgrader's kernel
    env = dict(ENVIRONMENT, PATH=path)
    finished = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({finished.returncode}):\n{finished.stderr[-3000:]}")
