"""One results.json, told to a CI run: a Markdown job summary, and the payload that
GitHub Classroom's grading reporter turns into the points the classroom shows.

    autograder report results/results.json --format markdown >> "$GITHUB_STEP_SUMMARY"
    echo "result=$(autograder report results/results.json --format classroom)" >> "$GITHUB_OUTPUT"

The reporter (``classroom-resources/autograding-grading-reporter``) reads the payload,
base64-encoded JSON, from the environment variable ``<RUNNER>_RESULTS``.
"""
import base64
import html
import json

from autograder.report.results import by_function
from autograder.messages import say


def markdown(results: dict, assignment: str) -> str:
    """A summary a student reads on the run's page: points per function, then what to fix."""
    lines = [f"### {_text(say('report.title', assignment=assignment))}: "
             f"{results['score']:g} / {results['max_score']:g}", ""]
    notebook = results["tests"][0]["output"] if results["tests"] else ""
    lines += [_text(line) + "  " for line in notebook.splitlines()] + [""]
    lines += [f"| {say('course.job_function')} | {say('course.job_points')} |", "|---|---:|"]
    lines += [f"| `{function}` | {score:g} / {maximum:g} |" for function, (score, maximum) in
              by_function(results).items()]
    failed = [test for test in results["tests"][1:] if test["score"] < test["max_score"]]
    lines += ["", f"**{say('course.job_to_fix')}**" if failed else say("course.job_all_passed"), ""]
    for test in failed:
        message = "<br>".join(_text(line) for line in test["output"].splitlines())
        lines.append(f"- **{_text(test['name'])}**: {message}")
    footer = say("course.job_footer", seed=results.get("extra_data", {}).get("seed", ""),
                 seconds=results["execution_time"])
    lines += ["", f"<sub>{footer}</sub>"]
    return "\n".join(lines) + "\n"


def classroom_payload(results: dict) -> str:
    """Base64 of the JSON that the Classroom reporter expects (version 1, status, tests)."""
    tests = [
        {
            "name": test["name"],
            "status": "pass" if test["score"] >= test["max_score"] else "fail",
            "score": test["score"],
            "max_score": test["max_score"],
            "message": test["output"],
            "line_no": 0,
        }
        for test in results["tests"]
        if test["tags"][0] != "notebook"  # worth no points; the job summary shows what it says
    ]
    payload = {
        "version": 1,
        "status": "pass" if results["score"] >= results["max_score"] else "fail",
        "max_score": results["max_score"],
        "tests": tests,
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def _text(text: str) -> str:
    """Student text shown as it is: no HTML, no Markdown table breaks."""
    return html.escape(text, quote=False).replace("|", "\\|")
