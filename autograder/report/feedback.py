"""``feedback.html``: per function, each check, passed or failed, with its message."""
from itertools import groupby
from pathlib import Path

import jinja2

from autograder.messages import say

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(results: dict, assignment: str) -> str:
    tests = results["tests"]
    functions = []
    for function, checks in groupby(tests[1:], key=lambda test: test["tags"][0]):
        checks = list(checks)
        functions.append(
            {
                "name": function,
                "checks": checks,
                "score": sum(check["score"] for check in checks),
                "max_score": sum(check["max_score"] for check in checks),
            }
        )
    return _ENVIRONMENT.get_template("feedback.html.j2").render(
        title=say("report.title", assignment=assignment),
        results=results,
        notebook=tests[0]["output"],
        functions=functions,
        words={"score": say("report.score"), "passed": say("report.passed"), "failed": say("report.failed")},
    )
