#!/usr/bin/env python3
"""Classroom 50 autograder for a notebook of the course kit: the visible checks only.

Put this file and ../visible_checks.py side by side in the Classroom 50 config
repository, as ``<classroom>/autograders/<slug>/autograder.py`` and
``<classroom>/autograders/<slug>/visible_checks.py``, and set NOTEBOOK below.
Classroom 50 bundles that folder onto the organisation's Pages site and its runner
(runner.py, in the student repository's "Autograde" workflow, on every push to the
default branch and every submit/* tag) runs this file with the student's checkout as
its working folder. The Pages site is readable without signing in, so the bundle holds
nothing secret: no hidden test, no solution, no token. The hidden grading runs in the
instructor's private repository (docs/github/grade-students.yml with ref submit/*).

What Classroom 50 expects (its Advanced-Autograding contract; runner.py validates it):
``result.json`` in the working folder, schema ``classroom50/result/v1``, with the
classroom, assignment, submission tag and links from the runner's environment, integer
``score`` and ``max-score``, and ``tests`` of ``{test-name, passed, score, max-score}``
(integers); optionally ``release-body.md``, the Markdown of the submission's Release and
of the run's job summary. Exit status 0 whenever grading ran (failed tests included);
anything else is an infrastructure error.
"""
import datetime
import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys

NOTEBOOK = "conv.ipynb"  # the released notebook's path in the assignment's template repository
# what the notebooks import, at the versions the course grades with (the kit's requirements.lock)
PACKAGES = {"numpy": "2.4.6", "matplotlib": "3.11.2", "tensorflow-cpu": "2.21.0", "scikit-learn": "1.9.1"}
HERE = pathlib.Path(__file__).resolve().parent


def install() -> None:
    """pip-install the pinned packages this Python lacks (none, on a runner that has them)."""
    missing = []
    for name, version in PACKAGES.items():
        try:
            if importlib.metadata.version(name) == version:
                continue
        except importlib.metadata.PackageNotFoundError:
            pass
        missing.append(f"{name}=={version}")
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *missing],
                       check=True)


def result(report: dict) -> dict:
    """The classroom50/result/v1 payload of a visible-checks report (points as integers)."""
    tests = [{"test-name": test["name"], "passed": test["passed"], "score": int(round(test["score"])),
              "max-score": int(round(test["max_score"]))} for test in report["tests"]]
    owner = os.environ.get("OWNER") or os.environ.get("USERNAME", "")
    return {
        "schema": "classroom50/result/v1",
        "classroom": os.environ.get("CLASSROOM", ""),
        "assignment": os.environ.get("ASSIGNMENT", ""),
        "assignment_type": os.environ.get("ASSIGNMENT_TYPE") or "individual",
        "owner": owner,  # the runner stamps owner, assignment_type and datetime itself
        "submission": os.environ.get("SUBMISSION_TAG", ""),
        "commit": os.environ.get("COMMIT_URL", ""),
        "release": os.environ.get("RELEASE_URL", ""),
        "review": os.environ.get("REVIEW_URL") or os.environ.get("COMMIT_URL", ""),
        "datetime": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "score": sum(test["score"] for test in tests),
        "max-score": sum(test["max-score"] for test in tests),
        "tests": tests,
    }


def main() -> int:
    sys.path.insert(0, str(HERE))
    import visible_checks

    install()
    notebook = pathlib.Path(NOTEBOOK)
    if notebook.is_file():
        report = visible_checks.run(str(notebook))
    else:  # renamed or deleted: one failed test says so (no test at all would read as a pass)
        print(f"::warning::{NOTEBOOK} is not in the repository: nothing to check")
        report = {"notebook": NOTEBOOK, "score": 0, "max_score": 0, "stopped": "no notebook", "seconds": 0,
                  "tests": [{"name": f"{NOTEBOOK} is in the repository", "cell": None, "passed": False,
                             "score": 0, "max_score": 0, "message": f"{NOTEBOOK} is missing: restore it"}]}
    pathlib.Path("result.json").write_text(json.dumps(result(report), indent=2) + "\n")
    pathlib.Path("release-body.md").write_text(visible_checks.summary(report, "Visible tests"))
    print(f"visible tests: {report['score']:g} / {report['max_score']:g} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
