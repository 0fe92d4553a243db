"""A Gradescope autograder for one assignment, and what it runs there.

    autograder gradescope conv --out build/gradescope     # writes build/gradescope/gradescope-conv.zip
    autograder gradescope conv --details after_due_date   # checks' details after the due date

The zip holds ``setup.sh`` and ``run_autograder`` at its top, and what grading the
assignment needs: the autograder package with this assignment's hidden tests only, its
reference solution, its source and released notebooks, and ``requirements.txt``: the
lines of the kit's lock for the distributions its code imports and what those require
(a numpy assignment installs no TensorFlow). Gradescope unzips it into
``/autograder/source``, runs ``setup.sh`` once when it builds the image, then
``run_autograder`` for each submission, which runs ``python -m autograder.platforms.gradescope``:
grade the notebook found in ``/autograder/submission/`` (``notebook.choose``'s rule) and
write ``/autograder/results/results.json`` (and ``feedback.html``), whatever the notebook
does. With ``--details after_due_date`` each check's row is shown after the due date; at
once students see their notebook's row and one row per function saying how many of its
checks passed. ``AUTOGRADER_ROOT`` puts the ``/autograder`` tree elsewhere, as the
project's tests do to run the bundle locally.
"""
import ast
import json
import os
import re
import sys
import tempfile
import traceback
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name

from autograder import assignments, notebook
from autograder.distributions import closure
from autograder.course.batch import grade_submission
from autograder.messages import say
from autograder.report import results
from autograder.run import resolve

FILES = Path(__file__).with_name("gradescope_files")
SETTINGS = "gradescope.json"  # in the bundle: which assignment it grades, and when details show
REQUIREMENTS = "requirements.txt"
NOT_ON_GRADESCOPE = (
    "autograder/platforms/gradebook.py",  # nbgrader's gradebook: the instructor's machine
    "autograder/assignments/oracle_fixtures.py",  # the project's own tests
)
EXECUTABLE = 0o100755 << 16  # zip's external attributes: a regular file, rwxr-xr-x
REGULAR = 0o100644 << 16


def build(name: str, out: Path, details: str = "visible") -> Path:
    """Write ``out/gradescope-<name>.zip`` and return its path. ``details``: when students
    see each check's row (``visible``: at once; ``after_due_date``)."""
    assignment = assignments.load(name)
    project = assignments.PROJECT
    members = {path.name: path for path in sorted(FILES.iterdir())}  # setup.sh, run_autograder
    for path in sorted((project / "autograder").rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _scratch(relative) and _belongs(relative, name):
            members[str(relative)] = path
    members["solutions/__init__.py"] = project / "solutions" / "__init__.py"
    members[f"solutions/{name}.py"] = project / "solutions" / f"{name}.py"
    for notebook in (assignment.source_notebook, assignment.released_notebook):
        for path in sorted(notebook.parent.rglob("*")):
            if path.is_file() and not _scratch(path.relative_to(project)):
                members[str(path.relative_to(project))] = path
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"gradescope-{name}.zip"
    handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{target.name}.")
    os.close(handle)
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as bundle:
        for member, path in members.items():
            _add(bundle, member, path.read_bytes(), executable=os.access(path, os.X_OK) and path.parent == FILES)
        _add(bundle, REQUIREMENTS, _requirements(members, assignment).encode())
        _add(bundle, SETTINGS, json.dumps({"assignment": name, "details": details}).encode())
    os.replace(temporary, target)
    return target


def run(root: Path) -> int:
    """Grade ``root/submission``'s notebook into ``root/results``; 0 whenever results were written."""
    settings = json.loads((root / "source" / SETTINGS).read_text())
    name = settings["assignment"]
    out = root / "results"
    chosen = notebook.choose(root / "submission", name)
    if chosen is None:
        results.write(out, results.not_graded(name, "no notebook", 0.0, seed=None,
                                              message=say("course.no_notebook", expected=f"{name}.ipynb")))
        return 0
    try:
        data = grade_submission(chosen, resolve(name, hidden=[root / "source"], within=root / "submission"), out)
        if settings.get("details") == "after_due_date":
            results.write(out, results.details_after_due_date(data))
    except Exception:  # noqa: BLE001 (the kit itself failed: the student still gets a result, the instructor the reason)
        results.write(out, results.not_graded(name, traceback.format_exc(), 0.0, seed=None))
    return 0


def _requirements(members: dict, assignment) -> str:
    """The lines of the kit's lock that grading needs: the distributions that provide
    what the bundle's Python files import (and what student code may import), and every
    distribution those require."""
    modules = set(assignment.imports) | {"numpy"}
    for member, path in members.items():
        if member.endswith(".py"):
            modules |= _third_party_imports(path.read_text())
    needed = set(closure(sorted(modules)))
    lock = (assignments.PROJECT / "requirements.lock").read_text().splitlines()
    kept = [line for line in lock if line.strip() and not line.startswith("#")
            and canonicalize_name(re.split(r"[=<>\[; ]", line, maxsplit=1)[0]) in needed]
    return "\n".join(kept) + "\n"


def _third_party_imports(source: str) -> set:
    """The top-level modules ``source`` imports, anywhere in it, other than the standard
    library's and the kit's own."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in ("autograder", "solutions")}


def _scratch(relative: Path) -> bool:
    """Caches and checkpoints: hidden folders and files, and __pycache__."""
    return any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


# an assignment's tests, timings and test data: not needed to grade
PROJECT_ONLY = ("oracles.py", "benchmark.py", "mistakes")


def _belongs(relative: Path, name: str) -> bool:
    """Every file of the package, except the other assignments' folders and what only
    the project's own tests and benchmarks use."""
    parts = relative.parts
    in_assignment = len(parts) > 3 and parts[1] == "assignments"
    if str(relative) in NOT_ON_GRADESCOPE:
        return False
    return not (in_assignment and (parts[2] != name or parts[3] in PROJECT_ONLY))


def _add(bundle: zipfile.ZipFile, member: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))  # the same kit gives the same zip
    info.external_attr = EXECUTABLE if executable else REGULAR
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, data)


if __name__ == "__main__":
    raise SystemExit(run(Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))))
