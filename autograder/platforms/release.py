"""Release assignments with nbgrader: ``release/<name>/`` generated from ``source/<name>/``
of a course (the kit itself, or an instructor's own course directory).

nbgrader writes into a scratch release folder of the course first; only when it
succeeds does the new release replace the old one, so a failed release (a broken
source notebook) leaves the students' notebooks as they were. nbgrader runs its
database migrations with the ``alembic`` command: this Python's own, found whether
or not its environment was activated.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.course import CourseError
from autograder.messages import say


def names(course: Path) -> list:
    """The assignments of ``course``: its ``source/<name>/`` folders that hold a notebook."""
    return sorted(folder.name for folder in (course / "source").glob("*")
                  if folder.is_dir() and any(folder.glob("*.ipynb")))


def release(course: Path, chosen=()) -> list:
    """Release ``chosen`` (default: every assignment of ``course``); the lines to print.
    Raises :class:`CourseError`, the previous release untouched, when nbgrader fails."""
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").exists():
        raise CourseError(say("course.no_course", root=course))
    environment = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    lines = []
    for name in chosen or names(course):
        scratch = Path(tempfile.mkdtemp(prefix=".release-", dir=course))
        try:
            finished = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                 f"--CourseDirectory.release_directory={scratch.name}"],
                cwd=course, env=environment, capture_output=True, text=True)
            made = scratch / name
            if finished.returncode != 0 or not any(made.glob("*.ipynb")):
                reason = (finished.stderr or finished.stdout).strip()[-2000:]
                raise CourseError(say("course.release_failed", assignment=name, reason=reason))
            _replace(made, course / "release" / name)
            lines.append(say("course.released", assignment=name, folder=course / "release" / name))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return lines


def _replace(new: Path, target: Path) -> None:
    """Put the folder ``new`` where ``target`` is, the old one gone only once the new one is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
