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
NUMPY_TARGET = ("<=", 0.2)
TENSORFLOW_TARGET = ("<=", 0.5)  # the 0.2x target is for numpy assignments; TensorFlow's import alone takes seconds
JOBS_TARGET = (">=", 1.9)
PER_NOTEBOOK_TARGET = ("<=", 0.06)  # a batch's time per notebook against one nbgrader autograde


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


def batch_rows(count: int, quick: bool = False) -> list:
    """``count`` submissions of one assignment graded as one nbgrader tree with ``--jobs 2``
    against ``--jobs 1``; and its time per notebook against one ``nbgrader autograde``
    (not with ``quick``). The batch row notes the largest process a job had. Before them,
    what the machine gives two processes that share nothing: the most a second job can add."""
    machine, row = machine_row(quick), batch_row(count)
    if quick or row.ours_s is None:
        return [machine, row]
    assignment = batch_assignment()
    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as tmp:
        course = _nbgrader_course(Path(tmp) / "course", assignment)
        nbgrader_s = seconds(lambda: _run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
                                          cwd=course))
    return [machine, row, Row("batch", f"{batch_name(count)} per notebook", "--jobs 2, per notebook",
                              "nbgrader autograde, one notebook", PER_NOTEBOOK_TARGET, ours_s=row.ours_s / count,
                              theirs_s=nbgrader_s)]


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

        peak = {}

        def grade(jobs):
            # through a parent of its own, which reports the largest process below it
            command = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out",
                       str(Path(tmp) / f"jobs{jobs}"), "--jobs", str(jobs), "--seed", "1", "--force"]
            peak[jobs] = _largest_process_mib([sys.executable, "-c", PEAK_MEMORY, *command])

        one_job = seconds(lambda: grade(1))
        two_jobs = seconds(lambda: grade(2))
    per_minute = lambda s: f"{60 * count / s:.0f} notebooks/min"  # noqa: E731
    return Row("batch", name, f"--jobs 2, {per_minute(two_jobs)}", f"--jobs 1, {per_minute(one_job)}",
               JOBS_TARGET, ours_s=two_jobs, theirs_s=one_job,
               note=f"{name}: the largest process of a job (a judge or a sandbox) peaked at {peak[2]:.0f} MiB")


# Counts to SPIN_COUNT in pure Python: work that shares nothing with another process.
SPIN = "n = 0\nwhile n < {count}:\n    n += 1\n"
SPIN_COUNT = 20_000_000


def machine_row(quick: bool = False) -> Row:
    """Two processes of pure-Python counting at once, against the same two one after the
    other: the speed-up this machine's cores give work that shares nothing, the ceiling
    of what ``--jobs 2`` can add to ``--jobs 1`` (the medians of three of each, by turns)."""
    spin = [sys.executable, "-c", SPIN.format(count=SPIN_COUNT // (20 if quick else 1))]

    def together():
        running = [subprocess.Popen(spin) for _ in range(2)]
        for process in running:
            process.wait()

    def in_turn():
        for _ in range(2):
            subprocess.run(spin, check=True)

    together_s, in_turn_s = median_alternating(together, in_turn, 1 if quick else 3)
    return Row("batch", "machine, 2 processes", "2 at once", "one after the other", JOBS_TARGET,
               ours_s=together_s, theirs_s=in_turn_s,
               note="machine, 2 processes: what the cores give two processes that share nothing, "
                    "the most a second job can add")


# Run the command in argv and print the peak resident memory of the largest process below
# this one (the kernel keeps the maximum over every waited-for descendant).
PEAK_MEMORY = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
               "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _largest_process_mib(command: list) -> float:
    environment = dict(ENVIRONMENT, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                          ENVIRONMENT.get("PATH", "")]))
    finished = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=PROJECT)
    if finished.returncode != 0:
        raise RuntimeError(finished.stderr[-2000:])
    return int(finished.stdout.strip().splitlines()[-1]) / 1024


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
