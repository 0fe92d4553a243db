"""The benchmark command runs and prints its table; its verdicts point the right way; it
finds the assignments' rows by looking, as it finds the assignment a batch is made of."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import assignments
from benchmarks import grading, run
from benchmarks.grading import course_assignments
from benchmarks.timing import Row

ROOT = Path(__file__).resolve().parents[1]


def _benchmark(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "benchmarks/run.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def _rows(output: str) -> dict:
    """``{row name: its cells}`` from the printed table (cells are two or more spaces apart)."""
    lines = output.split("\n\n", 1)[1].splitlines()
    cells = [[cell for cell in line.split("  ") if cell.strip()] for line in lines[2:] if not line.startswith("[")]
    return {row[0].strip(): [cell.strip() for cell in row[1:]] for row in cells}


def _assignment_groups() -> list:
    return [group for module in run.discover().values() for group in module.GROUPS]


@pytest.mark.slow
def test_quick_run_prints_every_row():
    finished = _benchmark("--quick")
    assert finished.returncode == 0, finished.stderr[-3000:]
    header, _ = finished.stdout.split("\n\n", 1)
    for fact in ("cores", "Python", "numpy", "tensorflow"):
        assert fact in header, f"the machine line should name {fact}:\n{header}"
    for module in run.discover().values():
        assert module.sizes(True) in header, f"the header should give the sizes of {module.__name__}:\n{header}"
    groups = _assignment_groups()
    measured = re.findall(r"measuring (\S+) \.\.\. \d+ s", finished.stderr)
    assert measured == ["grade", "batch", *groups], finished.stderr[-3000:]
    rows = _rows(finished.stdout)
    grade_rows = [f"grade {name}" for name in course_assignments()]
    names = list(rows)
    assert names[:len(grade_rows) + 2] == grade_rows + ["machine, 2 processes", grading.batch_name(2)]
    # run.py stops when a group measures nothing or another group's rows: at least one row each
    assert len(names) >= len(grade_rows) + 2 + len(groups), names
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


def test_every_assignment_benchmark_is_found_and_speaks_the_interface():
    on_disk = [name for name in assignments.names() if (assignments.load(name).folder / "benchmark.py").exists()]
    modules = run.discover()
    assert list(modules) == on_disk
    assert on_disk, "no assignment has a benchmark.py: the table would hold grading rows only"
    for name, module in modules.items():
        assert module.GROUPS and all(callable(rows) for rows in module.GROUPS.values()), name
        for quick in (True, False):
            assert isinstance(module.sizes(quick), str) and module.sizes(quick), name
    groups = run.groups(modules)
    assert list(groups) == list(run.GENERIC) + _assignment_groups()  # no group lost to a clash


def test_a_group_name_taken_twice_is_refused():
    class Clash:
        GROUPS = {"grade": lambda quick, repeats: []}

    with pytest.raises(ValueError, match="grade"):
        run.groups({"clash": Clash})


def test_the_batch_is_made_of_an_assignment_found_by_looking():
    def fits(name):
        catalogue = assignments.catalogue(name)
        tensorflow = any(module.startswith("tensorflow") for module in assignments.load(name).imports)
        return bool(catalogue and getattr(catalogue, "MUTANTS", None)) and not tensorflow

    fitting = [name for name in assignments.names() if fits(name)]
    chosen = grading.batch_assignment()
    assert chosen == (fitting[0] if fitting else None)
    assert grading.batch_name(40) == (f"batch 40 {chosen}" if chosen else "batch 40")
    if chosen:
        submissions = grading._submissions(chosen)
        assert len(submissions) >= len(assignments.catalogue(chosen).MUTANTS) + 1


def test_the_generic_benchmark_code_names_no_assignment():
    files = [*sorted((ROOT / "benchmarks").glob("*.py")), ROOT / "benchmarks" / "README.md", Path(__file__)]
    for name in assignments.names():
        named = [str(path.relative_to(ROOT)) for path in files if re.search(rf"\b{name}\b", path.read_text())]
        assert not named, f"{name} is named in {named}: benchmarks find assignments by looking"


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
