"""Grades told to GitHub: the Markdown job summary of one results.json (a student's,
or one row of a course), and the job summary of a whole graded course.

    autograder report results/results.json --format markdown >> "$GITHUB_STEP_SUMMARY"
    python docs/github/course.py summary grading/all >> "$GITHUB_STEP_SUMMARY"   # course_markdown

``docs/github/`` holds the workflows: students' repositories run only the notebook's
visible tests; the hidden grading runs in the instructor's private repository, which
collects the students' repositories, grades them in shards, merges, and publishes this
summary, the per-student results as an artifact and, optionally, a commit status on
each student's repository.

``classroom_payload`` is the payload of GitHub Classroom's grading reporter
(``classroom-resources/autograding-grading-reporter``, base64 JSON read from
``<RUNNER>_RESULTS``). GitHub Classroom's autograding is sunset and nothing in
``docs/github/`` uses it; it stays for ``autograder report --format classroom``.
"""
import base64
import html
import json
from pathlib import Path

from autograder.report import grades
from autograder.report.results import by_function
from autograder.messages import say

SUMMARY_BYTES = 900_000  # GitHub keeps at most 1 MiB of one step's job summary


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


def course_markdown(folder: Path, problems: dict = None) -> str:
    """The job summary of a graded course (the folder ``autograder merge`` wrote): a row
    per submission, a row per student whose repository could not be collected
    (``problems``: {student: why}), then each submission's own summary, folded, as far
    as GitHub's size limit allows (every submission's files are in the artifact)."""
    graded = grades.collect(Path(folder))
    lines = [f"### Grades: {len(graded)} submissions", ""]
    for assignment in sorted({g.assignment for g in graded}):
        mine = [g for g in graded if g.assignment == assignment]
        scores = [g.results["score"] for g in mine if not g.failed]
        maximum = max(g.results["max_score"] for g in mine)
        mean = f"mean {sum(scores) / len(scores):.4g} of {maximum:g} points" if scores else "no grade"
        lines.append(f"- `{_text(assignment)}`: {mean}; full marks: {sum(s >= maximum for s in scores)}; "
                     f"not graded: {len(mine) - len(scores)}.")
    lines += ["", "| student | assignment | points | status |", "|---|---|---:|---|"]
    for g in graded:
        status = say("course.not_graded_check") if g.failed else "graded"
        lines.append(f"| {_text(g.student)} | {_text(g.assignment)} | "
                     f"{g.results['score']:g} / {g.results['max_score']:g} | {status} |")
    for student, problem in sorted((problems or {}).items()):
        lines.append(f"| {_text(student)} | | | {_text(problem)} |")
    lines.append("")
    parts = ["\n".join(lines) + "\n"]
    size = len(parts[0].encode())
    for g in graded:
        block = (f"<details><summary>{_text(g.student)}, {_text(g.assignment)}: "
                 f"{g.results['score']:g} / {g.results['max_score']:g}</summary>\n\n"
                 f"{markdown(g.results, g.assignment)}\n</details>\n")
        size += len(block.encode())
        if size > SUMMARY_BYTES:
            parts.append("\nThe other submissions' summaries are in the grades artifact (feedback.html, results.json).\n")
            break
        parts.append(block)
    return "".join(parts)


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
