"""The autograder's grades, handed on: to nbgrader's gradebook (export and formgrader
show them), to Gradescope (a bundle whose run_autograder writes results.json), and to
GitHub Classroom (a workflow whose steps are real commands that work here)."""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest
from conftest import ROOT, scores_by_function

from packaging.utils import canonicalize_name

from autograder import assignments, cli
from autograder.distributions import installed, top_level
from autograder.assignments.conv.mutants import MUTANTS
from autograder.platforms import gradescope
from autograder.report.results import SCHEMA

CONV = assignments.load("conv")
SOURCE = nbformat.read(CONV.source_notebook, as_version=4)
RELEASED = nbformat.read(CONV.released_notebook, as_version=4)
MUTANT = next(m for m in MUTANTS if m.name == "forward_ignores_stride")
BIN = Path(sys.executable).parent  # autograder and nbgrader, as a course's environment has them


def _environment(**extra) -> dict:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def _schema_valid(data: dict) -> dict:
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    return data


# nbgrader ------------------------------------------------------------------------------


def _nbgrader(course: Path, *args) -> subprocess.CompletedProcess:
    finished = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_environment(),
                              capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished


@pytest.mark.slow
def test_nbgrader_course_shows_the_autograders_grades(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / "conv", course / "source" / "conv")
    _nbgrader(course, "generate_assignment", "conv")
    assert (course / "release" / "conv" / "conv.ipynb").exists()
    submissions = {"alice": SOURCE, "bob": MUTANT.notebook(SOURCE), "carol": RELEASED}
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / "conv"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "conv.ipynb")
    (course / "submitted" / "alice" / "conv" / "timestamp.txt").write_text("2026-01-10 10:00:00.000000 UTC")

    # nbgrader's own autograde still works here, and runs the visible tests only.
    _nbgrader(course, "autograde", "conv", "--student", "bob")
    visible_only = _exported(course)["bob"]["raw_score"]
    assert visible_only < 12  # bob's conv_forward fails its visible test cell: all of its points lost

    assert cli.main(["grade", str(course / "submitted"), "--out", str(course / "grading"), "--seed", "1",
                     "--jobs", "2", "--gradebook"]) == 0
    ours = {s: json.loads((course / "grading" / s / "conv" / "results.json").read_text()) for s in submissions}
    assert ours["alice"]["score"] == pytest.approx(12, abs=1e-3) and ours["carol"]["score"] == 0
    assert visible_only < ours["bob"]["score"] < 12  # the hidden tests count the checks bob's code passes

    exported = _exported(course)
    assert set(exported) == set(submissions)
    for student, row in exported.items():
        assert row["raw_score"] == pytest.approx(ours[student]["score"], abs=1e-3), student
        assert row["max_score"] == 12
    assert exported["alice"]["timestamp"].startswith("2026-01-10")

    for student in submissions:  # feedback where release_feedback looks; a notebook for formgrader
        feedback = course / "feedback" / student / "conv" / "conv.html"
        assert feedback.read_text() == (course / "grading" / student / "conv" / "feedback.html").read_text()
        assert (course / "autograded" / student / "conv" / "conv.ipynb").exists()
    assert (course / "feedback" / "alice" / "conv" / "timestamp.txt").exists()
    assert _formgrader_scores(course) == {s: pytest.approx(ours[s]["score"], abs=1e-3) for s in submissions}

    # A grader's own score stays, flagged for review, when the grades are written again.
    from nbgrader.api import Gradebook

    from autograder.platforms.gradebook import course_directory

    db_url = course_directory(course).db_url
    with Gradebook(db_url, "dl-course-kit") as book:
        book.find_grade("test_zero_pad", "conv", "conv", "carol").manual_score = 0.5
        book.db.commit()
    assert cli.main(["gradebook", str(course / "grading"), "--course", str(course)]) == 0
    with Gradebook(db_url, "dl-course-kit") as book:
        grade = book.find_grade("test_zero_pad", "conv", "conv", "carol")
        assert (grade.manual_score, grade.auto_score, grade.needs_manual_grade) == (0.5, 0, True)
        assert book.find_submission("conv", "carol").score == 0.5


def _exported(course: Path) -> dict:
    _nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv") as file:
        return {row["student_id"]: {**row, "raw_score": float(row["raw_score"]), "max_score": float(row["max_score"])}
                for row in csv.DictReader(file)}


def _formgrader_scores(course: Path) -> dict:
    """What formgrader's submissions page shows, from the API it reads."""
    from nbgrader.apps.api import NbGraderAPI

    from autograder.platforms.gradebook import course_directory

    api = NbGraderAPI(coursedir=course_directory(course))
    submissions = api.get_submissions("conv")
    assert all(submission["autograded"] for submission in submissions)
    return {submission["student"]: submission["score"] for submission in submissions}


@pytest.mark.slow
def test_gradebook_refuses_points_that_disagree(tmp_path, capsys):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / "conv", course / "source" / "conv")
    graded = tmp_path / "grading" / "ann" / "conv"
    graded.mkdir(parents=True)
    tests = [{"name": "notebook", "score": 0, "max_score": 0, "output": "", "tags": ["notebook"]},
             {"name": "conv_forward: a check", "score": 1, "max_score": 3, "output": "", "tags": ["conv_forward"]}]
    (graded / "results.json").write_text(json.dumps({"score": 1, "max_score": 3, "tests": tests}))
    assert cli.main(["gradebook", str(tmp_path / "grading"), "--course", str(course)]) == 1
    error = capsys.readouterr().err
    assert "test_conv_forward" in error and "worth 4 points" in error and "worth 3" in error
    assert cli.main(["gradebook", str(tmp_path / "grading"), "--course", str(tmp_path)]) == 1
    assert "nbgrader_config.py" in capsys.readouterr().err


# Gradescope ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gradescope.build("conv", tmp_path_factory.mktemp("gradescope"))


def _gradescope_root(bundle: Path, folder: Path) -> Path:
    """A fake /autograder, as Gradescope lays it out: the zip in source/, run_autograder
    beside, and setup.sh's steps after its installs run as written (its permissions)."""
    root = folder / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    setup = (root / "source" / "setup.sh").read_text().splitlines()
    after_installs = [line for line in setup[max(i for i, line in enumerate(setup) if "pip install" in line) + 1:]]
    assert any(line.startswith("chmod") for line in after_installs)
    subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(after_installs)], check=True,
                   env=_environment(ROOT=str(root)))
    return root


def _run_autograder(root: Path, python: str = sys.executable) -> dict:
    finished = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, timeout=600,
                              env=_environment(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python))
    assert finished.returncode == 0, finished.stderr[-3000:]
    return _schema_valid(json.loads((root / "results" / "results.json").read_text()))


def test_gradescope_bundle_holds_what_grading_needs(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    for needed in ("setup.sh", "run_autograder", "requirements.txt", "gradescope.json", "autograder/cli.py",
                   "autograder/assignments/conv/hidden_tests.py", "autograder/messages/en.toml", "solutions/conv.py",
                   "source/conv/conv.ipynb", "release/conv/conv.ipynb"):
        assert needed in names, needed
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    others = [name for name in assignments.names() if name != "conv"]
    assert not [n for n in names if "__pycache__" in n or any(f"/{other}/" in n or n.startswith(f"solutions/{other}")
                                                              for other in others)]
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(gradescope.FILES / script)], check=True)


def test_run_autograder_grades_the_submission(bundle, tmp_path):
    root = _gradescope_root(bundle, tmp_path)
    (root / "submission" / "homework").mkdir()
    nbformat.write(MUTANT.notebook(SOURCE), root / "submission" / "homework" / "my conv.ipynb")  # any name will do
    results = _run_autograder(root)
    lost = [f for f, (score, maximum) in scores_by_function(results).items() if score < maximum]
    assert lost == ["conv_forward"] and results["score"] > 0
    assert (root / "results" / "feedback.html").exists()
    imported = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                              cwd=root / "source", capture_output=True, text=True).stdout
    assert imported.startswith(str(root / "source"))  # run_autograder grades with the bundle's own kit


def _requirements(bundle: Path) -> set:
    with zipfile.ZipFile(bundle) as archive:
        lines = archive.read("requirements.txt").decode().splitlines()
    return {canonicalize_name(line.split("==")[0]) for line in lines}


def test_a_distributions_top_level_entries_are_read_from_its_record_as_csv_reads_it(tmp_path):
    """Quoted paths (a comma or a quote in a name) are read as csv reads them; scripts
    outside the site folder, caches and .pth files are not entries."""
    from importlib.metadata import PathDistribution

    info = tmp_path / "odd-1.0.dist-info"
    info.mkdir()
    rows = [["odd/__init__.py", "sha256=abc", "10"], ["odd, too/x.py", "", ""], ['say "hi"/y.py', "", ""],
            ["single.py", "", ""], ["../../bin/odd", "", ""], ["__pycache__/single.cpython-311.pyc", "", ""],
            ["odd.pth", "", ""], ["__editable__.odd-1.0.pth", "", ""], ["odd-1.0.dist-info/RECORD", "", ""]]
    with open(info / "RECORD", "w", newline="") as record:
        csv.writer(record).writerows(rows)
    assert top_level(PathDistribution(info)) == {"odd", "odd, too", 'say "hi"', "single.py", "odd-1.0.dist-info"}


def test_a_numpy_bundle_installs_no_tensorflow_and_a_tensorflow_one_does(bundle, tmp_path):
    numpy_only = _requirements(bundle)
    assert "numpy" in numpy_only and "pytest" in numpy_only
    assert not numpy_only & {"tensorflow", "tensorflow-cpu", "keras", "nbgrader", "jupyterlab"}
    heavy = next(n for n in assignments.names() if "tensorflow" in assignments.load(n).imports)
    assert {"tensorflow", "tensorflow-cpu"} & _requirements(gradescope.build(heavy, tmp_path))


def _python_with_only(requirements: set, folder: Path) -> str:
    """A Python whose site folder holds only the distributions ``requirements`` names,
    as setup.sh's virtual environment would."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next(folder.glob("lib/python3*/site-packages"))
    for name in requirements:
        distribution = installed().get(name)
        assert distribution is not None, f"{name} is in the bundle's requirements but not installed here"
        base = Path(distribution.locate_file(""))
        for entry in top_level(distribution):
            if (base / entry).exists() and not (site / entry).exists():
                (site / entry).symlink_to(base / entry)
    return str(folder / "bin" / "python")


def test_run_autograder_grades_with_only_the_bundles_requirements(bundle, tmp_path):
    """A correct notebook, in a Python that has only what setup.sh installs: full marks."""
    root = _gradescope_root(bundle, tmp_path)
    nbformat.write(SOURCE, root / "submission" / "conv.ipynb")
    results = _run_autograder(root, _python_with_only(_requirements(bundle), tmp_path / "venv"))
    assert results["score"] == pytest.approx(results["max_score"]), results["tests"][0]["output"]


def test_details_after_the_due_date(tmp_path):
    root = _gradescope_root(gradescope.build("conv", tmp_path, details="after_due_date"), tmp_path)
    nbformat.write(MUTANT.notebook(SOURCE), root / "submission" / "conv.ipynb")
    results = _run_autograder(root)
    visible = [test for test in results["tests"] if test["visibility"] == "visible"]
    later = [test for test in results["tests"] if test["visibility"] == "after_due_date"]
    assert [test["tags"][0] for test in visible] == ["notebook", *CONV.functions]
    assert all(test["max_score"] == 0 for test in visible) and later
    assert sum(test["max_score"] for test in later) == pytest.approx(results["max_score"], abs=1e-4)
    forward = next(test for test in visible if test["tags"][0] == "conv_forward")
    assert re.match(r"\d+ of \d+ checks passed", forward["output"]) and not forward["output"].startswith("0 of 0")


@pytest.mark.parametrize("name, content, says", [
    ("answers.py", "print('hello')", "conv.ipynb"),
    ("conv.ipynb", "{ this is not JSON", "could not be read as a Jupyter notebook"),
], ids=["no notebook", "malformed notebook"])
def test_run_autograder_without_a_readable_notebook_says_so(bundle, tmp_path, name, content, says):
    root = _gradescope_root(bundle, tmp_path)
    (root / "submission" / name).write_text(content)
    results = _run_autograder(root)
    assert results["score"] == 0 and results["max_score"] == pytest.approx(12, abs=1e-3)
    assert says in " ".join(test["output"] for test in results["tests"])


# Releasing -----------------------------------------------------------------------------


def test_release_from_a_course_directory_keeps_the_previous_release_when_it_fails(tmp_path):
    """An instructor's own course, the environment not activated (nbgrader's ``alembic``
    is found all the same); a broken source notebook leaves the students' release as it was."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "conv", course / "source" / "conv")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    environment["PATH"] = "/usr/bin:/bin"
    command = [sys.executable, "-m", "autograder", "release", "--course", str(course)]
    first = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    released = course / "release" / "conv" / "conv.ipynb"
    before = released.read_bytes()
    assert b"NotImplementedError" in before

    (course / "source" / "conv" / "conv.ipynb").write_text("{ not a notebook")
    second = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert second.returncode == 1 and "previous release is left as it was" in second.stderr
    assert released.read_bytes() == before
    assert not list(course.glob(".release-*"))
