"""A failure of the autograder itself is never a student's zero: a sandbox that will not
start is retried, then the submission is recorded as not graded, with the reason for the
instructor, a non-zero exit status, one plain line, and a rerun grades it again."""
import json
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder import assignments, cli
from autograder.course import batch
from autograder.run import resolve
from autograder.runner import sandbox, session

CONV = assignments.load("conv")
SOURCE = nbformat.read(CONV.source_notebook, as_version=4)


@pytest.fixture
def broken_sandboxes(monkeypatch):
    """Every sandbox start after the first ``working`` ones dies before the worker is ready,
    as when the machine is out of processes; counts the starts."""
    started = {"count": 0, "working": 0}
    real_start = sandbox.start

    def start(limits, hidden=(), driver=None, imports=(), cancelled=None, launched=None):
        started["count"] += 1
        if started["count"] <= started["working"]:
            return real_start(limits, hidden, driver, imports, cancelled, launched)
        errors = tempfile.TemporaryFile()
        process = subprocess.Popen(["sh", "-c", "echo 'fork: Resource temporarily unavailable' >&2; exit 126"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        return sandbox.Sandbox(process, Path("/nonexistent-sandbox"), [], None, errors)

    monkeypatch.setattr(sandbox, "start", start)
    return started


def test_a_sandbox_that_never_starts_is_not_the_students_zero(broken_sandboxes, tmp_path, capsys):
    path = tmp_path / "conv.ipynb"
    nbformat.write(SOURCE, path)
    out = tmp_path / "out"
    status = cli.main(["grade", str(path), "--assignment", "conv", "--out", str(out), "--seed", "1"])
    assert status == batch.NOT_GRADED
    assert broken_sandboxes["count"] == session.START_TRIES  # the calibration's sandbox, retried
    data = json.loads((out / "results.json").read_text())
    assert data["extra_data"]["autograder_failed"] and "Resource temporarily unavailable" in \
        data["extra_data"]["internal_errors"][0]
    assert "not your fault" in (out / "feedback.html").read_text()
    assert "Resource temporarily" not in (out / "feedback.html").read_text()  # the instructor's, not the student's
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "not graded" in error[0] and "Traceback" not in error[0]


def test_a_sandbox_lost_in_the_middle_makes_the_grading_not_graded(broken_sandboxes, tmp_path, calibrated):
    """The student's first sandbox works; a fresh one (after a call that crashed it)
    cannot start: the grading is not the student's."""
    broken_sandboxes["working"] = 1
    crashing = nbformat.read(CONV.source_notebook, as_version=4)
    crashing.cells.append(nbformat.v4.new_code_cell("import os\ndef zero_pad(x, pad):\n    os._exit(1)\n"))
    from autograder.grading import grade

    path = tmp_path / "conv.ipynb"
    nbformat.write(crashing, path)
    graded = grade(path, resolve("conv", 1, "cpu", budgets=calibrated("conv")))
    assert "did not start" in graded.get("not_graded", "")


def test_a_batch_records_it_and_a_rerun_grades_it(broken_sandboxes, tmp_path, monkeypatch):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    (submitted / "ann" / "conv").mkdir(parents=True)
    nbformat.write(SOURCE, submitted / "ann" / "conv" / "conv.ipynb")
    assert cli.main(["grade", str(submitted), "--out", str(out), "--seed", "1"]) == 1
    data = json.loads((out / "ann" / "conv" / "results.json").read_text())
    assert data["extra_data"]["autograder_failed"] and data["score"] == 0
    assert "failed" in (out / "grades.csv").read_text()
    monkeypatch.undo()  # the machine recovers
    assert cli.main(["grade", str(submitted), "--out", str(out), "--seed", "1"]) == 0
    data = json.loads((out / "ann" / "conv" / "results.json").read_text())
    assert not data["extra_data"].get("autograder_failed") and data["score"] == data["max_score"]


def test_a_driver_that_cannot_be_imported_is_the_graders_failure(tmp_path):
    """The worker imports the assignment's driver before it says it is ready: a driver
    that fails is a sandbox that did not start, never the student's zero."""
    driver = tmp_path / "driver.py"
    driver.write_text("raise ImportError('the driver is broken')\n")
    with pytest.raises(session.SandboxUnavailable, match="the driver is broken"):
        session.Runner(CONV.limits, driver=driver, imports=CONV.imports)
