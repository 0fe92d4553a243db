"""Gradings at the same moment on one machine never disturb each other.

A batch of honest submissions beside hostile ones (threads and processes up to their
cap, a working folder filled up, CPU burners started while loading, a hang) gives every
honest submission the score it gets alone, with ``--jobs 2`` and ``--jobs 4``; and the
same submission graded again and again on a loaded machine gets the same score.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, grade_notebook

from autograder import assignments, cli
from autograder.assignments.conv.mutants import MUTANTS
from autograder.mutants import Alternative

CONV = assignments.load("conv")
SOURCE = nbformat.read(CONV.source_notebook, as_version=4)
LIMITS = ["--limit", "notebook_seconds=10", "--limit", "call_seconds=8"]


def _with_cell(code: str) -> nbformat.NotebookNode:
    return Alternative("student cell", code).notebook(SOURCE)


# Graded in the order of their names: the hostile ones start first, and hold what they
# took while the honest ones start beside and after them.
HONEST = {"b-good": SOURCE, "c-mutant": MUTANTS[0].notebook(SOURCE), "d-good": SOURCE, "g-good": SOURCE}
HOSTILE = {
    "a-tasks": _with_cell('''
import os, threading, time
threading.stack_size(64 * 1024)
def _wait():
    time.sleep(3600)
def _take_every_free_slot():
    while True:
        try:
            threading.Thread(target=_wait, daemon=True).start()
        except RuntimeError:
            time.sleep(0.01)
threading.Thread(target=_take_every_free_slot, daemon=True).start()
for _ in range(100):
    try:
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
    except OSError:
        pass
time.sleep(8)  # holding them while the others start
'''),
    "e-filler": _with_cell('''
import os
for folder in (".", "/tmp"):
    try:
        for n in range(10_000):
            with open(os.path.join(folder, "fill-%d" % n), "wb") as file:
                file.write(b"x" * 2**24)
    except OSError:
        pass
'''),
    "f-burner": _with_cell('''
import multiprocessing, threading
def _burn():
    while True:
        pass
for _ in range(3):
    threading.Thread(target=_burn, daemon=True).start()
    multiprocessing.Process(target=_burn, daemon=True).start()
'''),
    "h-hang": _with_cell("while True:\n    pass"),
}


def _scores(out: Path, students) -> dict:
    return {s: json.loads((out / s / "conv" / "results.json").read_text())["score"] for s in students}


def _write(folder: Path, notebooks: dict) -> Path:
    for student, notebook in notebooks.items():
        path = folder / student / "conv" / "conv.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    return folder


@pytest.mark.slow
def test_honest_submissions_keep_their_scores_beside_hostile_ones(tmp_path):
    alone = _write(tmp_path / "alone", HONEST)
    assert cli.main(["grade", str(alone), "--out", str(tmp_path / "alone-out"), "--seed", "5", *LIMITS]) == 0
    expected = _scores(tmp_path / "alone-out", HONEST)
    assert expected["b-good"] == pytest.approx(12, abs=1e-3) and 0 < expected["c-mutant"] < 12
    crowded = _write(tmp_path / "crowded", {**HONEST, **HOSTILE})
    for jobs in ("2", "4"):
        out = tmp_path / f"out-{jobs}"
        assert cli.main(["grade", str(crowded), "--out", str(out), "--seed", "5", "--jobs", jobs, *LIMITS]) == 0
        assert _scores(out, HONEST) == expected, f"--jobs {jobs}"
        hostile = _scores(out, HOSTILE)
        assert hostile["h-hang"] == 0 and hostile["e-filler"] == pytest.approx(12, abs=1e-3), hostile


BURNER = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass\n"


@pytest.mark.slow
def test_the_same_seed_gives_the_same_score_on_a_loaded_machine(tmp_path):
    """Five gradings, each calibrating its own budgets, while CPU burners (two per core)
    run beside the grader: one score."""
    notebook = ROOT / "examples" / "submitted" / "ben" / "conv" / "conv.ipynb"
    burners = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(2 * (os.cpu_count() or 1))]
    try:
        scores = [grade_notebook(notebook, "conv", tmp_path / str(run), seed=11)["score"] for run in range(5)]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert len(set(scores)) == 1, scores
