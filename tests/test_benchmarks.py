"""The benchmark command runs and prints its table; its verdicts point the right way."""
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.grading import course_assignments
from benchmarks.timing import Row

ROOT = Path(__file__).resolve().parents[1]
KERNEL_ROWS = [
    "conv forward", "conv backward",
    "max pool forward", "max pool backward", "average pool forward", "average pool backward",
    "lstm forward", "lstm forward+backward", "gru forward", "gru forward+backward",
]
TRAIN_STEP_ROWS = ["train_step digits", "train_step signs"]


def _benchmark(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "benchmarks/run.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def _rows(output: str) -> dict:
    """``{row name: its cells}`` from the printed table (cells are two or more spaces apart)."""
    lines = output.split("\n\n", 1)[1].splitlines()
    cells = [[cell for cell in line.split("  ") if cell.strip()] for line in lines[2:] if not line.startswith("[")]
    return {row[0].strip(): [cell.strip() for cell in row[1:]] for row in cells}


@pytest.mark.slow
def test_quick_run_prints_every_row():
    finished = _benchmark("--quick")
    assert finished.returncode == 0, finished.stderr[-3000:]
    header, _ = finished.stdout.split("\n\n", 1)
    for fact in ("cores", "Python", "numpy", "tensorflow"):
        assert fact in header, f"the machine line should name {fact}:\n{header}"
    rows = _rows(finished.stdout)
    expected = [f"grade {name}" for name in course_assignments()] + ["batch 2 conv"] + KERNEL_ROWS + TRAIN_STEP_ROWS
    assert list(rows) == expected
    for name, cells in rows.items():
        verdict = cells[-1].split(" [")[0]
        assert verdict in ("met", "missed", "skipped"), f"{name}: {cells}"
        if not name.startswith("grade"):  # --quick skips nbgrader only
            assert verdict != "skipped" and cells[-3].endswith("x"), f"{name} was not measured: {cells}"
    assert "DIFFER" not in finished.stdout, "each row must compare two computations of the same thing"


def test_only_measures_the_rows_asked_for():
    finished = _benchmark("--quick", "--only", "grade")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert list(_rows(finished.stdout)) == [f"grade {name}" for name in course_assignments()]
    assert _benchmark("--only", "nonsense").returncode == 2


@pytest.mark.parametrize("ours, theirs, target, ratio, result", [
    (1.0, 4.0, ("<=", 0.5), 0.25, "met"),  # graded in a quarter of nbgrader's time
    (3.0, 4.0, ("<=", 0.5), 0.75, "missed"),
    (50.0, 95.0, (">=", 1.8), 1.9, "met"),  # two jobs: a speed-up over one
    (60.0, 95.0, (">=", 1.8), 95 / 60, "missed"),
])
def test_ratio_points_the_way_its_target_reads(ours, theirs, target, ratio, result):
    row = Row("g", "row", "ours", "theirs", target, ours_s=ours, theirs_s=theirs)
    assert row.ratio == pytest.approx(ratio)
    assert row.result == result
