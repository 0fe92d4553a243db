"""nbgrader's round trip, as its users make it, with the autograder grading in the middle.

The instructor releases an assignment through nbgrader's exchange (a temporary one),
two students fetch it and submit it (a third one's notebook is put into ``submitted/``
by hand, as a course that does not use the exchange does), the instructor collects and
grades with ``autograder grade submitted/ --gradebook``, then runs nbgrader's own
feedback commands, ``--force`` included: the students fetch the autograder's feedback,
and ``nbgrader export`` prints the autograder's totals, digit for digit.
"""
import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from autograder import assignments, cli

ASSIGNMENT = "conv"
COURSE_ID = "dl-course-kit"  # nbgrader_config.py's
BIN = Path(sys.executable).parent  # nbgrader runs alembic, this environment's, by name
SOURCE = nbformat.read(assignments.load(ASSIGNMENT).source_notebook, as_version=4)
MUTANT = next(m for m in assignments.catalogue(ASSIGNMENT).MUTANTS if m.name == "forward_ignores_stride")
STUDENTS = {"alice": SOURCE, "bob": MUTANT.notebook(SOURCE)}  # through the exchange
BY_HAND = "carol"  # her notebook put into submitted/ by hand: no timestamp.txt, no submission_secret.txt


def _run(command: list, cwd: Path, **environment) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER_")}
    env.update(PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", **environment)
    finished = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, f"{command}:\n{finished.stdout[-2000:]}\n{finished.stderr[-3000:]}"
    return finished.stdout + finished.stderr


def _instructor(course: Path, exchange: Path, *args) -> str:
    return _run([sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={exchange}"], course)


def _student(home: Path, exchange: Path, *args) -> str:
    """nbgrader as a student in their home: their own cache; their name given, as all of
    them are this test's one user here (nbgrader takes the name from the OS otherwise)."""
    return _run([sys.executable, "-m", "nbgrader", *args, f"--course={COURSE_ID}", f"--Exchange.root={exchange}",
                 f"--Exchange.cache={home / 'cache'}"], home, HOME=str(home))


def _answer(fetched: Path, answers) -> None:
    """The student's work: each solution cell of the fetched notebook as in ``answers``."""
    solutions = {cell.metadata.nbgrader.grade_id: cell.source for cell in answers.cells
                 if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
    notebook = nbformat.read(fetched, as_version=4)
    cells = [cell for cell in notebook.cells if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert cells
    for cell in cells:
        cell.source = solutions[cell.metadata.nbgrader.grade_id]
    nbformat.write(notebook, fetched)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course after the whole round trip; ``{"course", "exchange", "homes"}``."""
    tmp = tmp_path_factory.mktemp("round-trip")
    course, exchange = tmp / "course", tmp / "exchange"
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    exchange.mkdir()

    _run([sys.executable, "-m", "autograder", "release", "--course", str(course), ASSIGNMENT], tmp)
    _instructor(course, exchange, "release_assignment", ASSIGNMENT)
    homes = {student: tmp / "home" / student for student in STUDENTS}
    for student, answers in STUDENTS.items():
        homes[student].mkdir(parents=True)
        _student(homes[student], exchange, "fetch_assignment", ASSIGNMENT)
        _answer(homes[student] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", answers)
        _student(homes[student], exchange, "submit", ASSIGNMENT, f"--student={student}")
    _instructor(course, exchange, "collect", ASSIGNMENT)
    by_hand = course / "submitted" / BY_HAND / ASSIGNMENT
    by_hand.mkdir(parents=True)
    shutil.copy(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", by_hand)

    _run([sys.executable, "-m", "autograder", "grade", str(course / "submitted"), "--out", str(course / "grading"),
          "--gradebook", str(course), "--jobs", "2", "--seed", "1"], tmp)
    _instructor(course, exchange, "generate_feedback", ASSIGNMENT, "--force")
    _instructor(course, exchange, "release_feedback", ASSIGNMENT)
    for student in STUDENTS:
        _student(homes[student], exchange, "fetch_feedback", ASSIGNMENT, f"--student={student}")
    return {"course": course, "exchange": exchange, "homes": homes}


def _kits_feedback(course: Path, student: str) -> bytes:
    return (course / "grading" / student / ASSIGNMENT / "feedback.html").read_bytes()


@pytest.mark.slow
def test_students_fetch_the_autograders_feedback_after_generate_feedback_force(course):
    course_dir = course["course"]
    for student in [*STUDENTS, BY_HAND]:  # nbgrader's generate_feedback --force wrote the autograder's page again
        page = (course_dir / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_bytes()
        assert page == _kits_feedback(course_dir, student), student
    for student, home in course["homes"].items():
        fetched = list((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(fetched) == 1, (student, fetched)
        assert fetched[0].read_bytes() == _kits_feedback(course_dir, student), student
        assert b"<title>Feedback: " + ASSIGNMENT.encode() in fetched[0].read_bytes()  # the autograder's page


@pytest.mark.slow
def test_nbgrader_export_prints_the_autograders_totals(course):
    course_dir = course["course"]
    _instructor(course_dir, course["exchange"], "export", "--to", str(course_dir / "exported.csv"))
    with open(course_dir / "exported.csv") as file:
        exported = {row["student_id"]: row for row in csv.DictReader(file)}
    with open(course_dir / "grading" / "grades.csv") as file:
        ours = {row["student"]: row for row in csv.DictReader(file)}
    assert set(exported) == set(ours) == {*STUDENTS, BY_HAND}
    for student, row in ours.items():  # exactly: 6.6875 is not 6.687501
        assert float(exported[student]["raw_score"]) == float(row["score"]), student
        assert float(exported[student]["max_score"]) == float(row["max_score"]), student
    assert float(ours["alice"]["score"]) == float(ours["alice"]["max_score"])
    assert 0 < float(ours["bob"]["score"]) < float(ours["bob"]["max_score"])


@pytest.mark.slow
def test_release_feedback_takes_a_submission_nbgrader_did_not_collect(course):
    """Carol's submission has no timestamp.txt nor submission_secret.txt: the gradebook
    step made them up once, so release_feedback handed her feedback out (under a secret
    only the course knows: without a submission of hers in the exchange she cannot fetch
    it), and a second hand-on keeps them."""
    course_dir = course["course"]
    feedback = course_dir / "feedback" / BY_HAND / ASSIGNMENT
    assert not list((course_dir / "submitted" / BY_HAND / ASSIGNMENT).glob("*.txt"))
    made = {name: (feedback / name).read_text() for name in ("timestamp.txt", "submission_secret.txt")}
    released = hashlib.md5((made["submission_secret.txt"] + ASSIGNMENT).encode()).hexdigest()
    assert (course["exchange"] / COURSE_ID / "feedback" / f"{released}.html").read_bytes() == \
        _kits_feedback(course_dir, BY_HAND)

    assert cli.main(["gradebook", str(course_dir / "grading"), "--course", str(course_dir)]) == 0
    assert {name: (feedback / name).read_text() for name in made} == made
    for student in STUDENTS:  # the collected ones keep the secrets their students hold
        for name in made:
            assert (course_dir / "feedback" / student / ASSIGNMENT / name).read_bytes() == \
                (course_dir / "submitted" / student / ASSIGNMENT / name).read_bytes()
