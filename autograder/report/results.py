"""``results.json`` (Gradescope's schema): built from a grading, or for a submission the
autograder could not grade; read back; written atomically and checked against
``results.schema.json`` as it is written.

The first test of every result is the notebook's own row (worth no points): what the
notebook as a whole did. Then one test per check, tagged with its function.
"""
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

from autograder import assignments
from autograder.messages import say

SCHEMA = Path(__file__).with_name("results.schema.json")
NOTEBOOK_ROW = "notebook: runs from top to bottom"


def notebook_row(output: str) -> dict:
    return {"name": NOTEBOOK_ROW, "score": 0.0, "max_score": 0.0, "output": output, "visibility": "visible",
            "tags": ["notebook"]}


def from_grading(graded: dict, run) -> dict:
    """The result of a grading that ran (``grading.grade``) under ``run``."""
    checks = graded["checks"]
    tests = [notebook_row(graded["notebook"])]
    for check in checks:
        tests.append({
            "name": check.name,
            "score": round(check.max_score if check.passed else 0.0, 6),
            "max_score": round(check.max_score, 6),
            "output": "" if check.passed else check.output,
            "status": "passed" if check.passed else "failed",
            "visibility": "visible",
            "tags": [check.function],
        })
    return {
        "score": round(sum(c.max_score for c in checks if c.passed), 6),
        "max_score": round(sum(c.max_score for c in checks), 6),
        "execution_time": round(graded["seconds"], 3),
        "output": say("report.title", assignment=run.assignment),
        "tests": tests,
        "extra_data": {
            "assignment": run.assignment,
            "seed": run.seed,
            "device": run.device,
            "budgets_seconds": {k: round(v, 4) for k, v in run.budgets.items()},
            "internal_errors": [f"{c.name}\n{c.internal_error}" for c in checks if c.internal_error],
            "sandbox": graded.get("sandbox", []),  # for the instructor: how the sandbox was built
        },
    }


def not_graded(assignment: str, reason: str, seconds: float, seed, message: str = None) -> dict:
    """The result of a submission the autograder could not grade: every function listed
    with its points and none scored, ``message`` for the student (by default: not your
    fault) and ``reason`` for the instructor. A rerun of the batch grades it again."""
    message = message or say("course.not_graded")
    tests = [notebook_row(message)]
    for function, points in assignments.load(assignment).points().items():
        tests.append({"name": f"{function}: {say('course.not_graded_check')}", "score": 0.0, "max_score": points,
                      "output": message, "status": "failed", "visibility": "visible", "tags": [function]})
    return {
        "score": 0.0,
        "max_score": sum(test["max_score"] for test in tests),
        "execution_time": round(seconds, 3),
        "output": message,
        "tests": tests,
        "extra_data": {"assignment": assignment, "seed": seed, "autograder_failed": True, "internal_errors": [reason]},
    }


def details_after_due_date(data: dict) -> dict:
    """``data`` with each check's row shown after the due date: at once, students see
    their notebook's row and, per function, how many of its checks passed."""
    rows = [data["tests"][0]]
    for function, tests in _by_function_rows(data["tests"][1:]).items():
        passed = sum(test["score"] >= test["max_score"] for test in tests)
        rows.append({"name": f"{function}: {say('report.checks_passed_title')}", "score": 0.0, "max_score": 0.0,
                     "output": say("report.checks_passed", passed=passed, total=len(tests)), "visibility": "visible",
                     "tags": [function]})
        rows += [{**test, "visibility": "after_due_date"} for test in tests]
    return {**data, "tests": rows}


def _by_function_rows(tests: list) -> dict:
    grouped: dict = {}
    for test in tests:
        grouped.setdefault(test["tags"][0], []).append(test)
    return grouped


def is_not_graded(data: dict) -> bool:
    return bool(data.get("extra_data", {}).get("autograder_failed"))


def by_function(data: dict) -> dict:
    """``{function: (score, max_score)}``, summed over a result's checks, in their order."""
    totals = {}
    for test in data["tests"]:
        function = test["tags"][0]
        if function != "notebook":
            score, maximum = totals.get(function, (0.0, 0.0))
            totals[function] = (score + test["score"], maximum + test["max_score"])
    return totals


def read(path: Path):
    """The results at ``path``, or None when there are none that read as results."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("tests"), list) else None


def write(folder: Path, data: dict) -> None:
    """``results.json`` and ``feedback.html`` of one submission into ``folder``. The
    result is checked against the schema first: a result that breaks it is the kit's
    bug, and no platform ever reads it."""
    from autograder.report import feedback

    _validator().validate(data)
    write_text_atomically(folder / "results.json", json.dumps(data, indent=2, default=float))
    write_text_atomically(folder / "feedback.html", feedback.render(data, data["extra_data"]["assignment"]))


@functools.lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft202012Validator(schema)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` so that a reader sees the old file or the new one, never half."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` so that a reader sees the old file or the new one, never half,
    readable by the course's other users unless ``mode`` says otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise


def copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target``, which readers see whole or not at all (it may be read-only)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    shutil.copyfile(source, temporary)
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
