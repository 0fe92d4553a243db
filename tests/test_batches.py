"""Grading a whole nbgrader tree: every submission ends with a result whatever it does,
a rerun grades only what is new, changed or failed, and shards of a CI matrix merge
into the one table a single batch would have written."""
import csv
import json
import time
from collections import Counter
from pathlib import Path

import jsonschema
import nbformat
import psutil
import pytest
from conftest import run_file, scores_by_function

from autograder import assignments, cli
from autograder.run import parse_limits
from autograder.assignments.conv.mutants import ALTERNATIVES, MUTANTS
from autograder.course import batch, shards
from autograder.mutants import Alternative
from autograder.report.results import SCHEMA

CONV = assignments.load("conv")
SOURCE = nbformat.read(CONV.source_notebook, as_version=4)
RELEASED = nbformat.read(CONV.released_notebook, as_version=4)

# Short limits keep the hostile submissions cheap: a hung notebook costs NOTEBOOK_SECONDS,
# a hung call CALL_SECONDS, a memory hog the time it takes to fill 512 MiB, and one hanging
# in every function (5 x CALL_SECONDS and a fresh worker each) outlives the batch's
# TIMEOUT, so the batch itself must stop it.
NOTEBOOK_SECONDS, CALL_SECONDS, TIMEOUT = 6, 3, 12
LIMITS = ["--limit", f"notebook_seconds={NOTEBOOK_SECONDS}", "--limit", f"call_seconds={CALL_SECONDS}",
          "--limit", "memory_mb=512"]


def _with_cell(code: str) -> nbformat.NotebookNode:
    """The reference notebook with one more cell of the student's."""
    return Alternative("student cell", code).notebook(SOURCE)


def _hanging(*functions) -> str:
    return "\n".join(f"def {name}(*args, **kwargs):\n    while True:\n        pass\n" for name in functions)


HOSTILE = {
    "hang_top": _with_cell("while True:\n    pass"),
    "hang_call": _with_cell(_hanging("conv_forward")),
    "hang_everywhere": _with_cell(_hanging(*CONV.functions)),
    "memory_top": _with_cell("import numpy as np\nhog = [np.ones(2**24) for _ in range(10_000)]"),
    "memory_call": _with_cell("import numpy as np\n\ndef conv_forward(x, w, b, stride=1, pad=0):\n"
                              "    return np.ones((2**20, 2**20)), (x, w, b, stride, pad)"),
    "crash_top": _with_cell("import os\nos._exit(3)"),
    "crash_call": _with_cell("import ctypes\n\ndef conv_backward(dout, cache):\n"
                             "    ctypes.string_at(0)"),  # a segmentation fault
    "noisy": _with_cell("for _ in range(10**6):\n    print('spam ' * 40)"),
    "exits": _with_cell("import sys\nsys.exit('bye')"),
    "unreadable": b"\x00\x01 not a notebook",
}


def _class_of_30(submitted: Path) -> dict:
    """30 or more conv submissions: right answers, the bugs students make, the stub, and hostile ones."""
    notebooks = {f"good{i}": SOURCE for i in range(1, 5)}
    notebooks |= {f"alternative_{a.name}": a.notebook(RELEASED) for a in ALTERNATIVES}
    notebooks |= {f"mutant_{m.name}": m.notebook(SOURCE) for m in MUTANTS}
    notebooks |= {"stub": RELEASED, **HOSTILE}
    for student, notebook in notebooks.items():
        path = _make(submitted / student / "conv" / "conv.ipynb")
        path.write_bytes(notebook) if isinstance(notebook, bytes) else nbformat.write(notebook, path)
    return notebooks


def _grade(submitted: Path, out: Path, *options, status: int = 0) -> None:
    """Grade the tree; ``status``: the exit status expected (1 while any is not graded)."""
    assert cli.main(["grade", str(submitted), "--out", str(out), "--seed", "7", *options]) == status


def _results(out: Path, student: str) -> dict:
    return json.loads((out / student / "conv" / "results.json").read_text())


def _make(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.slow
def test_a_class_of_30_with_hostile_submissions_gets_30_results(tmp_path):
    submitted, out = tmp_path / "submitted", tmp_path / "grading"
    students = _class_of_30(submitted)
    assert len(students) >= 30
    _grade(submitted, out, "--jobs", "2", "--timeout", str(TIMEOUT), *LIMITS, status=1)  # hang_everywhere

    schema = json.loads(SCHEMA.read_text())
    results = {student: _results(out, student) for student in students}
    for data in results.values():
        jsonschema.validate(data, schema)
        assert data["max_score"] == pytest.approx(12, abs=1e-3)
    full = lambda student: results[student]["score"] == results[student]["max_score"]  # noqa: E731
    for student in students:
        if student.startswith(("good", "alternative")) or student in ("memory_top", "noisy"):
            assert full(student), student
        if student.startswith("mutant") or student in ("hang_call", "memory_call", "crash_call"):
            assert 0 < results[student]["score"] < results[student]["max_score"], student
        if student in ("stub", "hang_top", "crash_top", "unreadable"):
            assert results[student]["score"] == 0, student

    def lost_only(student, function, words):
        scores = scores_by_function(results[student])
        assert [f for f, (score, maximum) in scores.items() if score < maximum] == [function], student
        outputs = " ".join(t["output"] for t in results[student]["tests"] if t["tags"] == [function])
        assert words in outputs, outputs

    lost_only("hang_call", "conv_forward", "did not finish")
    lost_only("memory_call", "conv_forward", "MemoryError")
    lost_only("crash_call", "conv_backward", "died")
    notebook = lambda student: results[student]["tests"][0]["output"]  # noqa: E731
    assert "did not finish" in notebook("hang_top") and "died" in notebook("crash_top")
    assert "MemoryError" in notebook("memory_top") and "SystemExit" in notebook("exits")
    assert "could not be read" in notebook("unreadable")
    stopped = results["hang_everywhere"]
    assert stopped["extra_data"]["autograder_failed"] and stopped["score"] == 0
    assert f"over {TIMEOUT} s" in stopped["extra_data"]["internal_errors"][0]
    assert "not your fault" in (out / "hang_everywhere" / "conv" / "feedback.html").read_text()

    with open(out / "grades.csv") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    assert set(rows) == set(students)
    assert rows["hang_everywhere"]["status"] == "failed" and rows["good1"]["status"] == "graded"
    assert float(rows["good1"]["score"]) == pytest.approx(12, abs=1e-3)
    summary = (out / "summary.html").read_text()
    assert summary.count("<svg") == 2 and "conv_backward" in summary and "hang_everywhere" in summary

    # A rerun grades what changed (and what failed) only.
    mtimes = {student: (out / student / "conv" / "results.json").stat().st_mtime_ns for student in students}
    nbformat.write(SOURCE, submitted / "hang_everywhere" / "conv" / "conv.ipynb")
    nbformat.write(SOURCE, submitted / "stub" / "conv" / "conv.ipynb")  # resubmitted, done this time
    _grade(submitted, out, "--jobs", "2", *LIMITS)
    regraded = {s for s in students if (out / s / "conv" / "results.json").stat().st_mtime_ns != mtimes[s]}
    assert regraded == {"hang_everywhere", "stub"}
    assert full("good1") and _results(out, "stub")["score"] == _results(out, "stub")["max_score"]


@pytest.mark.parametrize("script, reason", [
    ("kill -KILL $$", "killed by SIGKILL"),
    ("exit 3", "exited with status 3"),
    ("exit 0", "no readable results.json"),
], ids=["killed", "exit status", "no results"])
def test_a_judge_that_fails_leaves_a_failure_result(script, reason, tmp_path, monkeypatch):
    submitted, out = tmp_path / "submitted", tmp_path / "grading"
    for student in ("ann", "bob"):
        nbformat.write(SOURCE, _make(submitted / student / "conv" / "conv.ipynb"))
    judge = tmp_path / "judge.sh"
    judge.write_text(f"#!/bin/sh\n{script}\n")
    judge.chmod(0o755)
    monkeypatch.setattr(batch, "_resolve", lambda *args: run_file(tmp_path / "run.json", "conv", {}))
    monkeypatch.setattr(batch.sys, "executable", str(judge))  # what each child process runs
    graded = batch.grade_all(batch.find(submitted), out, batch.Settings(seed=1), jobs=2)
    assert len(graded) == 2
    schema = json.loads(SCHEMA.read_text())
    for student in ("ann", "bob"):
        data = _results(out, student)
        jsonschema.validate(data, schema)
        assert reason in data["extra_data"]["internal_errors"][0]
        assert data["score"] == 0 and set(scores_by_function(data)) == set(CONV.functions)
        assert not batch.is_graded(batch.find(submitted)[0], out)  # a rerun tries again


def test_find_picks_the_released_name_and_skips_the_rest(tmp_path):
    for path in ("ann/conv/conv.ipynb", "ann/conv/conv-Copy1.ipynb", "bob/conv/mine.ipynb",
                 "bob/conv/.hidden.ipynb", "cat/unknown_assignment/x.ipynb", "dan/conv/notes.txt",
                 ".ipynb_checkpoints/conv/conv.ipynb"):
        _make(tmp_path / path).write_text("{}")
    found = {(s.student, s.assignment): s.notebook.name for s in batch.find(tmp_path)}
    assert found == {("ann", "conv"): "conv.ipynb", ("bob", "conv"): "mine.ipynb"}


def test_limits_are_checked_before_grading(capsys):
    assert parse_limits(["notebook_seconds=5", "memory_mb = 512"]) == {"notebook_seconds": 5.0, "memory_mb": 512}
    with pytest.raises(SystemExit):
        cli.main(["grade", ".", "--out", "x", "--limit", "memory=5"])
    assert "notebook_seconds" in capsys.readouterr().err


def test_shards_partition_students_for_good():
    students = [f"student{i:03d}" for i in range(200)]
    submissions = [batch.Submission(s, a, Path(f"{s}/{a}.ipynb")) for s in students for a in ("conv", "pooling")]
    parts = [shards.select(submissions, k, 4) for k in range(1, 5)]
    assert Counter(s for part in parts for s in part) == Counter(submissions)  # each exactly once
    for part in parts:
        assert 30 < len({s.student for s in part}) < 70  # roughly even
        assert all(shards.shard_of(s.student, 4) == parts.index(part) + 1 for s in part)
    late = submissions + [batch.Submission("zoe", "conv", Path("zoe/conv.ipynb"))]
    assert [shards.select(late, k, 4) for k in range(1, 5)] != parts
    assert all(set(part) <= set(shards.select(late, k, 4)) for k, part in enumerate(parts, 1))  # no one moves
    assert shards.parse("2/4") == (2, 4)
    for spec in ("0/4", "5/4", "2", "a/b", "-1/3"):
        with pytest.raises(ValueError, match="K/N"):
            shards.parse(spec)


@pytest.mark.slow
def test_shards_merge_into_the_table_of_one_batch(tmp_path):
    submitted = tmp_path / "submitted"
    notebooks = {"ann": SOURCE, "bob": RELEASED, "cy": MUTANTS[0].notebook(SOURCE), "dee": SOURCE}
    for student, notebook in notebooks.items():
        nbformat.write(notebook, _make(submitted / student / "conv" / "conv.ipynb"))
    assert {shards.shard_of(s, 2) for s in notebooks} == {1, 2}  # both shards have work
    for k in (1, 2):
        _grade(submitted, tmp_path / f"shard-{k}", "--shard", f"{k}/2", "--jobs", "2")
        graded = {p.parent.parent.name for p in (tmp_path / f"shard-{k}").glob("*/conv/results.json")}
        assert graded == {s for s in notebooks if shards.shard_of(s, 2) == k}
    merged = tmp_path / "merged"
    assert cli.main(["merge", str(tmp_path / "shard-1"), str(tmp_path / "shard-2"), "--out", str(merged)]) == 0
    with open(merged / "grades.csv") as file:
        rows = {row["student"]: float(row["score"]) for row in csv.DictReader(file)}
    assert set(rows) == set(notebooks)
    assert rows["ann"] == rows["dee"] == pytest.approx(12, abs=1e-3) and rows["bob"] == 0 and 0 < rows["cy"] < 12
    assert (merged / "summary.html").exists() and (merged / "cy" / "conv" / "feedback.html").exists()

    # Overlapping shards are refused, and nothing is merged.
    again = tmp_path / "again"
    assert cli.main(["merge", str(tmp_path / "shard-1"), str(merged), "--out", str(again)]) == 1
    assert not again.exists()


def test_interrupted_batch_keeps_finished_results(tmp_path, monkeypatch):
    """Ctrl-C stops every judge; what finished stays, what did not leaves no verdict."""
    submitted, out = tmp_path / "submitted", tmp_path / "grading"
    for student in ("ann", "bob", "cy"):
        nbformat.write(SOURCE, _make(submitted / student / "conv" / "conv.ipynb"))
    judge = tmp_path / "judge.sh"  # ann's judge finishes at once, the others never do
    judge.write_text("#!/bin/sh\nread line\n"  # a judge answers one JSON line per submission it is sent
                     'case "$line" in *ann*) out=$(echo "$line" | sed \'s/.*"out": "\\([^"]*\\)".*/\\1/\'); '
                     f'mkdir -p "$out"; cp {tmp_path / "done.json"} "$out/results.json"; echo "{{}}";; esac\n'
                     "sleep 600\n")
    judge.chmod(0o755)
    (tmp_path / "done.json").write_text(json.dumps({"score": 1, "max_score": 1, "tests": []}))
    monkeypatch.setattr(batch, "_resolve", lambda *args: run_file(tmp_path / "run.json", "conv", {}))
    monkeypatch.setattr(batch.sys, "executable", str(judge))
    monkeypatch.setattr("tqdm.tqdm", _interrupt_after_first)  # the batch's progress bar, imported when it starts
    started = time.monotonic()
    with pytest.raises(batch.Interrupted, match="1 of 3"):
        batch.grade_all(batch.find(submitted), out, batch.Settings(seed=1), jobs=3)
    assert time.monotonic() - started < 60
    assert (out / "ann" / "conv" / "results.json").exists()
    assert not (out / "bob" / "conv" / "results.json").exists() and not (out / "cy" / "conv" / "results.json").exists()
    assert not _processes_running(judge)


def _interrupt_after_first(futures, **options):
    """tqdm's place in the batch: hand out the first finished submission, then Ctrl-C."""
    yield next(iter(futures))
    raise KeyboardInterrupt


def _processes_running(script: Path) -> list:
    return [p for p in psutil.process_iter(["cmdline"]) if str(script) in " ".join(p.info["cmdline"] or [])]


def test_one_judge_grades_a_slots_submissions_one_after_another(tmp_path, monkeypatch):
    from autograder.course import judges

    submitted, out = tmp_path / "submitted", tmp_path / "grading"
    for student, notebook in (("ann", SOURCE), ("bob", RELEASED), ("cy", SOURCE)):
        nbformat.write(notebook, _make(submitted / student / "conv" / "conv.ipynb"))
    started = []
    original = judges.Judge.__init__
    monkeypatch.setattr(judges.Judge, "__init__", lambda self, *args: started.append(args) or original(self, *args))
    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0, 1})
    batch.grade_all(batch.find(submitted), out, batch.Settings(seed=1), jobs=1)
    assert len(started) == 1
    assert started[0][-1] is True  # a core to spare: each next sandbox starts while the checks run
    assert [_results(out, s)["score"] for s in ("ann", "bob", "cy")] == [12, 0, 12]
    assert not batch.a_core_to_spare(2) and not batch.a_core_to_spare(3)  # two cores: two slots keep them busy
