"""A Gradescope autograder for one assignment, and what it runs there.

    autograder gradescope conv --out build/gradescope     # writes gradescope-conv.zip

The zip holds ``setup.sh`` and ``run_autograder`` at its top, and what grading the
assignment needs: the autograder package with this assignment's hidden tests only, its
reference solution, its source and released notebooks, and ``requirements.lock``.
Gradescope unzips it into ``/autograder/source``, runs ``setup.sh`` once when it builds
the image, then ``run_autograder`` for each submission, which runs
``python -m autograder.platforms.gradescope``: grade the notebook found in
``/autograder/submission/`` (``notebook.choose``'s rule) and write
``/autograder/results/results.json`` (and ``feedback.html``), whatever the notebook does. ``AUTOGRADER_ROOT`` puts the
``/autograder`` tree elsewhere, as the project's tests do to run the bundle locally.
"""
import json
import os
import tempfile
import traceback
import zipfile
from pathlib import Path

from autograder import assignments, notebook
from autograder.course.batch import grade_submission
from autograder.messages import say
from autograder.report import results
from autograder.run import resolve

FILES = Path(__file__).with_name("gradescope_files")
SETTINGS = "gradescope.json"  # in the bundle: which assignment it grades
EXECUTABLE = 0o100755 << 16  # zip's external attributes: a regular file, rwxr-xr-x
REGULAR = 0o100644 << 16


def build(name: str, out: Path) -> Path:
    """Write ``out/gradescope-<name>.zip`` and return its path."""
    assignment = assignments.load(name)
    project = assignments.PROJECT
    members = {path.name: path for path in sorted(FILES.iterdir())}  # setup.sh, run_autograder
    for path in sorted((project / "autograder").rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _scratch(relative) and _belongs(relative, name):
            members[str(relative)] = path
    members["requirements.lock"] = project / "requirements.lock"
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
        _add(bundle, SETTINGS, json.dumps({"assignment": name}).encode())
    os.replace(temporary, target)
    return target


def run(root: Path) -> int:
    """Grade ``root/submission``'s notebook into ``root/results``; 0 whenever results were written."""
    name = json.loads((root / "source" / SETTINGS).read_text())["assignment"]
    out = root / "results"
    chosen = notebook.choose(root / "submission", name)
    if chosen is None:
        results.write(out, results.not_graded(name, "no notebook", 0.0, seed=None,
                                              message=say("course.no_notebook", expected=f"{name}.ipynb")))
        return 0
    try:
        grade_submission(chosen, resolve(name, hidden=[root / "source"], within=root / "submission"), out)
    except Exception:  # noqa: BLE001 (the kit itself failed: the student still gets a result, the instructor the reason)
        results.write(out, results.not_graded(name, traceback.format_exc(), 0.0, seed=None))
    return 0


def _scratch(relative: Path) -> bool:
    """Caches and checkpoints: hidden folders and files, and __pycache__."""
    return any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


PROJECT_ONLY = ("oracles.py", "benchmark.py")  # an assignment's tests and timings, not needed to grade


def _belongs(relative: Path, name: str) -> bool:
    """Every file of the package, except the other assignments' folders and what only
    the project's own tests and benchmarks use."""
    parts = relative.parts
    in_assignment = len(parts) > 3 and parts[1] == "assignments"
    return not (in_assignment and (parts[2] != name or parts[-1] in PROJECT_ONLY))


def _add(bundle: zipfile.ZipFile, member: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))  # the same kit gives the same zip
    info.external_attr = EXECUTABLE if executable else REGULAR
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, data)


if __name__ == "__main__":
    raise SystemExit(run(Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))))
