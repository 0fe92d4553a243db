"""Hand the autograder's grades to nbgrader: its gradebook, its feedback folder, formgrader.

    autograder grade submitted/ --out grading/ --gradebook .     # grade, then hand on
    autograder gradebook grading/ --course .                      # hand on a graded tree

For every graded submission under the tree, in the course whose ``nbgrader_config.py``
is at the course root:

- the student and the submission go into the database the configuration names
  (``db_url``), with the submission's ``timestamp.txt`` when it has one;
- each contract function's hidden score becomes the automatic score of its visible test
  cell ``test_<function>``, whose points equal the function's hidden points (when they
  do not, nothing of that assignment is written); a score a grader gave by hand stays,
  and the cell is flagged for review, as ``nbgrader autograde`` does;
- ``feedback.html`` goes where ``nbgrader generate_feedback`` puts its own,
  ``feedback/<student>/<assignment>/<notebook>.html``, with the submission's
  ``timestamp.txt`` and ``submission_secret.txt``, so ``nbgrader release_feedback``
  hands it out;
- the submitted notebook is copied to ``autograded/<student>/<assignment>/`` unless
  nbgrader's own autograded copy is newer, so that formgrader lists the submission as
  graded and opens it.

nbgrader's commands keep working on the course as usual: ``nbgrader autograde`` runs
only the visible tests (the hidden ones are not in the notebooks), and replaces these
scores with its own when it runs afterwards. An assignment missing from the database is
added by running ``nbgrader generate_assignment`` into a scratch release folder.
"""
import os
import subprocess
import sys
import tempfile
import warnings
from itertools import groupby
from pathlib import Path

from autograder.course import CourseError
from autograder.notebook import choose
from autograder.report.grades import collect
from autograder.report.results import by_function, copy_atomically
from autograder.messages import say

CONFIG = "nbgrader_config.py"
POINTS_TOLERANCE = 1e-3  # points shared by three checks add up to 0.999999


def course_directory(root: Path):
    """nbgrader's ``CourseDirectory`` as the course's ``nbgrader_config.py`` sets it up."""
    if not (root / CONFIG).is_file():
        raise CourseError(say("course.no_course", root=root))
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG, path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    if "root" not in config.CourseDirectory:
        coursedir.root = str(root.resolve())
    return coursedir


def write(out: Path, root: Path) -> list:
    """Write every graded submission under ``out`` into the course at ``root``; return
    one line per assignment, saying what was written where."""
    from sqlalchemy.exc import SAWarning

    _find_own_tools()
    coursedir = course_directory(root)
    by_assignment = groupby(sorted(collect(out), key=lambda g: g.assignment), key=lambda g: g.assignment)
    lines = []
    for assignment, group in by_assignment:
        group = list(group)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # raised inside nbgrader's add_submission
            _write_assignment(coursedir, assignment, group)
        feedback = Path(coursedir.root) / coursedir.feedback_directory
        lines.append(say("course.gradebook_wrote", database=coursedir.db_url, count=len(group),
                         assignment=assignment, feedback=feedback))
    return lines


def _write_assignment(coursedir, assignment: str, group: list) -> None:
    """The grades of every submission in ``group``, then their files."""
    from nbgrader.api import Gradebook

    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        notebook = _notebook(gradebook, coursedir, assignment)
        _check_points(gradebook, notebook, assignment, group)
        for graded in group:
            _write_grades(gradebook, coursedir, graded, notebook)
    for graded in group:
        _place_files(coursedir, graded, notebook)


def _find_own_tools() -> None:
    """nbgrader runs ``alembic`` by name when it creates a database: find ours first."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [tools, os.environ.get("PATH")]))


def _notebook(gradebook, coursedir, assignment: str) -> str:
    """The notebook of ``assignment`` that holds its visible test cells, added to the
    database first if the assignment is not there yet."""
    from nbgrader.api import MissingEntry

    try:
        notebooks = gradebook.find_assignment(assignment).notebooks
    except MissingEntry:
        notebooks = []
    if not notebooks:
        print(say("course.not_in_gradebook", assignment=assignment), file=sys.stderr)
        _generate(coursedir, assignment)
        gradebook.db.expire_all()
        notebooks = gradebook.find_assignment(assignment).notebooks

    def test_cells(notebook):
        return sum(cell.name.startswith("test_") for cell in notebook.grade_cells)

    return max(notebooks, key=test_cells).name


def _generate(coursedir, assignment: str) -> None:
    """``nbgrader generate_assignment``: it records the cells and their checksums as
    nbgrader's other commands expect them; its release goes to a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as release:
        finished = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
             f"--CourseDirectory.release_directory={release}"],
            cwd=coursedir.root, capture_output=True, text=True)
    if finished.returncode != 0:
        raise CourseError(say("course.generate_failed", assignment=assignment, reason=finished.stderr[-2000:]))


def _check_points(gradebook, notebook: str, assignment: str, group: list) -> None:
    """Each function's hidden points equal its visible test cell's, in every result."""
    cells = {cell.name: cell for cell in gradebook.find_notebook(notebook, assignment).grade_cells}
    for graded in group:
        for function, (_, points) in by_function(graded.results).items():
            cell = cells.get(f"test_{function}")
            if cell is None:
                raise CourseError(say("course.no_grade_cell", cell=f"test_{function}", notebook=notebook,
                                      assignment=assignment))
            if abs(cell.max_score - points) > POINTS_TOLERANCE:
                raise CourseError(say("course.points_differ", cell=cell.name, assignment=assignment,
                                      cell_points=cell.max_score, function=function, points=points))


def _write_grades(gradebook, coursedir, graded, notebook: str) -> None:
    student, assignment = graded.student, graded.assignment
    gradebook.update_or_create_student(student)
    timestamp = coursedir.get_existing_timestamp(_submitted(coursedir, graded))
    gradebook.update_or_create_submission(assignment, student, **({"timestamp": timestamp} if timestamp else {}))
    for function, (score, _) in by_function(graded.results).items():
        grade = gradebook.find_grade(f"test_{function}", notebook, assignment, student)
        grade.auto_score = min(max(round(score, 6), 0.0), grade.max_score)
        grade.needs_manual_grade = grade.manual_score is not None  # a grader's score wins; flag it for review
    gradebook.db.commit()


def _copy(source: Path, target: Path) -> None:
    if source.is_file():
        copy_atomically(source, target)


def _place_files(coursedir, graded, notebook: str) -> None:
    """feedback.html where nbgrader's feedback goes; the notebook where formgrader looks."""
    submitted = Path(_submitted(coursedir, graded))
    feedback = Path(coursedir.format_path(coursedir.feedback_directory, graded.student, graded.assignment))
    _copy(graded.folder / "feedback.html", feedback / f"{notebook}.html")
    for name in ("timestamp.txt", "submission_secret.txt"):
        _copy(submitted / name, feedback / name)
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, graded.student, graded.assignment))
    source = choose(submitted, graded.assignment) if submitted.is_dir() else None
    target = autograded / f"{notebook}.ipynb"
    if source and (not target.exists() or target.stat().st_mtime < source.stat().st_mtime):
        _copy(source, target)
        _copy(submitted / "timestamp.txt", autograded / "timestamp.txt")


def _submitted(coursedir, graded) -> str:
    return coursedir.format_path(coursedir.submitted_directory, graded.student, graded.assignment)
