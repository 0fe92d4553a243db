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
  and the cell is flagged for review, as ``nbgrader autograde`` does. The cells' scores
  add up to the autograder's total exactly, as ``grades.csv`` prints it, whatever order
  nbgrader's database adds them in (``cell_scores``);
- the submitted notebook is copied to ``autograded/<student>/<assignment>/`` unless
  nbgrader's own autograded copy is newer, so that formgrader lists the submission as
  graded and opens it; that folder also keeps the autograder's ``feedback.html``
  (``feedback/<notebook>.html``, a name nbgrader's copies skip) and the submission's
  ``timestamp.txt`` and ``submission_secret.txt``. A submission ``nbgrader collect`` did
  not make has neither: they are made up once (the notebook's time, a new secret), so
  that ``nbgrader release_feedback`` can hand its feedback out;
- ``feedback.html`` goes where ``nbgrader generate_feedback`` puts its own,
  ``feedback/<student>/<assignment>/<notebook>.html``, with those two files, so
  ``nbgrader release_feedback`` hands it out and ``nbgrader fetch_feedback`` brings it
  to the student.

nbgrader's commands keep working on the course as usual. ``nbgrader generate_feedback``
(``--force`` too) writes the autograder's feedback again wherever the autograder graded:
the course's ``nbgrader_config.py`` makes :class:`Feedback` its exporter. ``nbgrader
autograde`` runs only the visible tests (the hidden ones are not in the notebooks), and
replaces these scores with its own when it runs afterwards (and, as it replaces the
autograded folder, the feedback with nbgrader's). An assignment missing from the
database is added by running ``nbgrader generate_assignment`` into a scratch release
folder.
"""
import math
import os
import secrets
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime, timezone
from fractions import Fraction
from itertools import groupby
from pathlib import Path

from nbconvert.exporters import HTMLExporter

from autograder.course import CourseError
from autograder.notebook import choose
from autograder.report.grades import collect
from autograder.report.results import by_function, copy_atomically, write_text_atomically
from autograder.messages import say

CONFIG = "nbgrader_config.py"
POINTS_TOLERANCE = 1e-3  # points shared by three checks add up to 0.999999
KEPT = "feedback"  # autograded/<student>/<assignment>/feedback/, a name nbgrader's copies skip (its ignore list)
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")  # nbgrader submit's; release_feedback reads them
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's own (Exchange.timestamp_format)


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
    functions = by_function(graded.results)
    grades = {function: gradebook.find_grade(f"test_{function}", notebook, assignment, student)
              for function in functions}
    scores = cell_scores(functions, {function: grade.max_score for function, grade in grades.items()},
                         graded.results["score"])
    for function, grade in grades.items():
        grade.auto_score = scores[function]
        grade.needs_manual_grade = grade.manual_score is not None  # a grader's score wins; flag it for review
    gradebook.db.commit()


def cell_scores(functions: dict, cells: dict, total: float) -> dict:
    """``{function: score}`` for the test cells worth ``cells[function]`` points, from
    ``functions``, ``{function: (score, points)}`` summed over its checks: each within
    its cell's points, and all of them adding up to ``total`` exactly in floating point,
    in any order (nbgrader's export prints the sum its database makes of them).

    A function that passed every check gets its cell's points, one that passed none 0.
    The checks' points in results.json are rounded to six places one by one (points
    shared by three checks add up to 0.999999) and the total once, so the partial
    scores are a few millionths off: the difference goes to the partial ones. Then every
    score is a multiple of the last bit of ``total``, and none is negative: every sum of
    them, whatever the order, is exact, and the last one is ``total``.
    """
    if total <= 0:
        return {function: 0.0 for function in functions}
    bit = Fraction(math.ulp(total))

    def on_grid(value) -> Fraction:
        return math.floor(Fraction(value) / bit) * bit

    tops = {function: on_grid(max(cells[function], 0.0)) for function in functions}
    scores = {}
    for function, (score, points) in functions.items():
        if score >= points:
            scores[function] = tops[function]
        else:
            scores[function] = min(on_grid(round(max(score, 0.0), 6)), tops[function])
    partial = {function for function, (score, points) in functions.items() if 0 < score < points}
    left = Fraction(total) - sum(scores.values())
    if left > 0:  # up, as far as each cell's points allow; the partial scores first, the farthest below first
        order = sorted(functions, key=lambda f: (f not in partial, scores[f] - tops[f]))
        for function in order:
            change = min(left, tops[function] - scores[function])
            scores[function], left = scores[function] + change, left - change
    elif left < 0:  # down, as far as 0; the partial scores first, the highest first
        for function in sorted(functions, key=lambda f: (f not in partial, -scores[f])):
            change = min(-left, scores[function])
            scores[function], left = scores[function] - change, left + change
    return {function: float(score) for function, score in scores.items()}


def _copy(source: Path, target: Path) -> None:
    if source.is_file():
        copy_atomically(source, target)


def _place_files(coursedir, graded, notebook: str) -> None:
    """The notebook where formgrader looks, the autograder's feedback kept beside it; the
    feedback where nbgrader's goes, with the two files release_feedback reads."""
    submitted = Path(_submitted(coursedir, graded))
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, graded.student, graded.assignment))
    feedback = Path(coursedir.format_path(coursedir.feedback_directory, graded.student, graded.assignment))
    source = choose(submitted, graded.assignment) if submitted.is_dir() else None
    target = autograded / f"{notebook}.ipynb"
    if source and (not target.exists() or target.stat().st_mtime < source.stat().st_mtime):
        _copy(source, target)
    _copy(graded.folder / "feedback.html", feedback / f"{notebook}.html")
    if not target.exists():  # nothing for generate_feedback to convert
        _keep_submission_files(submitted, feedback, source)
        return
    _copy(graded.folder / "feedback.html", autograded / KEPT / f"{notebook}.html")
    _keep_submission_files(submitted, autograded, source)
    for name in SUBMISSION_FILES:
        _copy(autograded / name, feedback / name)


def _keep_submission_files(submitted: Path, folder: Path, notebook) -> None:
    """``timestamp.txt`` and ``submission_secret.txt`` in ``folder`` (the autograded one,
    where ``nbgrader generate_feedback`` takes them from): the submission's own
    (``nbgrader submit`` writes them, ``nbgrader collect`` brings them), or made up once
    for a submission that has none, so that ``nbgrader release_feedback`` does not stop
    at it. Its feedback then goes out under a secret no student holds: only a submission
    made with ``nbgrader submit`` can fetch its feedback."""
    def submitted_at() -> str:
        seconds = notebook.stat().st_mtime if notebook else datetime.now(timezone.utc).timestamp()
        return datetime.fromtimestamp(seconds, timezone.utc).strftime(TIMESTAMP_FORMAT)

    made_up = {"timestamp.txt": submitted_at, "submission_secret.txt": lambda: secrets.token_hex(64)}
    for name in SUBMISSION_FILES:
        if (submitted / name).is_file():
            _copy(submitted / name, folder / name)
        elif not (folder / name).is_file():
            write_text_atomically(folder / name, made_up[name]())


class Feedback(HTMLExporter):
    """``nbgrader generate_feedback``'s exporter in the kit's courses (``nbgrader_config.py``
    sets ``GenerateFeedback.exporter_class``): the autograder's feedback page for a
    notebook it graded, kept beside the autograded notebook, and nbgrader's own page,
    unchanged, for every other. With ``--force`` too, the feedback students fetch stays
    the autograder's; ``nbgrader autograde`` replacing the autograded folder puts
    nbgrader's back."""

    def from_filename(self, filename, resources=None, **kw):
        kept = Path(filename).parent / KEPT / f"{Path(filename).stem}.html"
        if not kept.is_file():
            return super().from_filename(filename, resources=resources, **kw)
        resources = self._init_resources(resources)
        return kept.read_text(encoding="utf-8"), resources


def _submitted(coursedir, graded) -> str:
    return coursedir.format_path(coursedir.submitted_directory, graded.student, graded.assignment)
