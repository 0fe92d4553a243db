"""Gradescope-style ``results.json``, written atomically."""
import json
import os
import tempfile
from pathlib import Path

from autograder.messages import say

SCHEMA = Path(__file__).with_name("results.schema.json")


def to_gradescope(graded: dict, assignment: str) -> dict:
    tests = [
        {
            "name": "notebook: runs from top to bottom",
            "score": 0.0,
            "max_score": 0.0,
            "output": graded["notebook"],
            "visibility": "visible",
            "tags": ["notebook"],
        }
    ]
    for check in graded["checks"]:
        tests.append(
            {
                "name": check.name,
                "score": round(check.max_score if check.passed else 0.0, 6),
                "max_score": round(check.max_score, 6),
                "output": "" if check.passed else check.output,
                "status": "passed" if check.passed else "failed",
                "visibility": "visible",
                "tags": [check.function],
            }
        )
    internal = [f"{c.name}\n{c.internal_error}" for c in graded["checks"] if c.internal_error]
    checks = graded["checks"]
    return {
        "score": round(sum(c.max_score for c in checks if c.passed), 6),
        "max_score": round(sum(c.max_score for c in checks), 6),
        "execution_time": round(graded["seconds"], 3),
        "output": say("report.title", assignment=assignment),
        "tests": tests,
        "extra_data": {
            "assignment": assignment,
            "seed": graded["seed"],
            "device": graded["device"],
            "budgets_seconds": {k: round(v, 4) for k, v in graded["budgets"].items()},
            "internal_errors": internal,
        },
    }


def write_json_atomically(path: Path, data) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, default=float))


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide results from the course's other users
    os.replace(temporary, path)
