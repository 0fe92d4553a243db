"""``feedback.html``: the page a student reads top-down in half a minute.

First the score and what the notebook as a whole did; then "What to fix first", one
line per function that lost points (its first failing check and its diagnosis); then
each function with its failing checks spelled out and its passed checks folded away.
A notebook that did not run cleanly is the first thing to fix, and functions that
could not be called because of it are not listed again. Points read as the notebook
writes them (``0.17``, ``1.5``, ``2``). What only the instructor needs (how the sandbox
was built) is left out: :func:`for_students`.
Every string from a grading is escaped; none is markup.
"""
from itertools import groupby
from pathlib import Path

import jinja2

from autograder.messages import say
from autograder.report.results import is_not_graded

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
# How the last line of a failed check's output starts where the diagnosis
# (``judge/diagnosis.py``, ``diagnosis.likely``) found a likely cause, in English.
LIKELY_CAUSE = "Likely cause: "
# The messages of a value that has the right type and shape, and only wrong numbers in it,
# with the fields each one is filled with (``value.mismatch`` comes after the shape,
# dtype and finiteness checks of ``judge.checks.check_array`` have passed).
VALUES_ONLY = {
    "value.mismatch": ("name", "error", "index", "count", "total", "rtol", "atol", "case"),
    "value.wrong_number": ("name", "got", "case"),
    "value.wrong_int": ("name", "got", "case"),
    "value.wrong_mark_count": ("name", "got", "total", "expected", "case"),
    "value.wrong_marks": ("name", "index", "count", "total", "case"),
}


def render(results: dict, assignment: str) -> str:
    tests = results["tests"]
    not_graded = is_not_graded(results)
    functions = [_function(name, list(checks), not_graded)
                 for name, checks in groupby(tests[1:], key=lambda test: test["tags"][0])]
    notebook = tests[0]["output"] if tests else ""
    notebook_ok = not_graded or not notebook or notebook.splitlines()[0] == say("notebook.ran")
    return _ENVIRONMENT.get_template("feedback.html.j2").render(
        title=say("report.title", assignment=assignment),
        score=f"{points(results['score'])} / {points(results['max_score'])}",
        notebook=notebook,
        notebook_ok=notebook_ok,
        not_graded=not_graded,
        functions=functions,
        to_fix=[function for function in functions if function["first"] and not
                (function["first"]["blocked"] and not notebook_ok)],
        footer=say("report.footer", seed=results.get("extra_data", {}).get("seed", ""),
                   seconds=f"{results.get('execution_time', 0):.1f}"),
        words={key: say(f"report.{key}") for key in ("score", "passed", "failed", "fix_first", "nothing_to_fix",
                                                      "values_only")},
    )


def points(value) -> str:
    """Points as the notebook writes them: at most two decimals, no trailing zeros
    (``0.166667`` is ``0.17``, ``1.50`` is ``1.5``, ``2.0`` is ``2``)."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def lacks_isolation(line: str) -> bool:
    """Whether ``line`` says the machine could not isolate the notebook in some way."""
    return line.startswith(_fixed_words("notebook.no_isolation", ("features",))[0])


def split_cause(output: str) -> tuple:
    """``(message, cause)``: a failed check's output, and the likely cause its last line
    names (``""`` when it names none)."""
    lines, start = str(output).rstrip().splitlines(), _likely_cause()
    if lines and lines[-1].startswith(start):
        return "\n".join(lines[:-1]).rstrip(), lines[-1][len(start):].strip()
    return "\n".join(lines), ""


def _likely_cause() -> str:
    """How the diagnosis's line starts, in the language the sentences are read in."""
    try:
        return _fixed_words("diagnosis.likely", ("cause",))[0] or LIKELY_CAUSE
    except (KeyError, OSError):  # an edition without the diagnosis's sentences
        return LIKELY_CAUSE


def values_only(message: str) -> bool:
    """Whether ``message`` says a value had the right type and shape, and only its numbers were off."""
    first = message.splitlines()[0] if message else ""
    for key, fields in VALUES_ONLY.items():
        words = _fixed_words(key, fields)
        if first.startswith(words[0]) and _in_order(first, words):
            return True
    return False


def _function(name: str, checks: list, not_graded: bool) -> dict:
    views = [_check(name, check, not_graded) for check in checks]
    failed = [view for view in views if not view["passed"]]
    student_fixable = [view for view in failed if not view["internal"]]
    first = (student_fixable or failed or [None])[0]
    return {
        "name": name,
        "anchor": f"function-{name}",
        "score": points(sum(check["score"] for check in checks)),
        "max_score": points(sum(check["max_score"] for check in checks)),
        "passed": [view for view in views if view["passed"]],
        "failed": failed,
        "first": None if not_graded else first,
        "more_failed": say("report.more_failed", count=len(failed) - 1) if len(failed) > 1 else "",
        "passed_title": say("report.passed_checks", count=len(views) - len(failed)),
    }


def _check(function: str, check: dict, not_graded: bool) -> dict:
    passed = check.get("status", "passed" if check["score"] >= check["max_score"] else "failed") == "passed"
    message, cause = split_cause(check.get("output", ""))
    name = check["name"]
    short = name[len(function) + 2:] if name.startswith(f"{function}: ") else name
    return {
        "name": short,
        "passed": passed,
        "points": f"{points(check['score'])} / {points(check['max_score'])}",
        "message": "" if passed or not_graded else message,
        "cause": _likely_cause() + cause if cause and not passed else "",
        "values_only": not passed and values_only(message),
        "internal": message.strip() == say("report.internal_error"),
        "blocked": message.strip() == say("call.unavailable", function=function),  # by the notebook
    }


class _Hole:
    """What a sentence's field is filled with to find the sentence's fixed words."""

    def __format__(self, spec):
        return "\0"

    def __repr__(self):
        return "\0"

    __str__ = __repr__


def _fixed_words(key: str, fields: tuple) -> list:
    """The runs of fixed words of sentence ``key``, between its ``fields``, in the
    language the sentences are read in."""
    return say(key, **dict.fromkeys(fields, _Hole())).split("\0")


def _in_order(text: str, parts: list) -> bool:
    """Whether the fixed words ``parts`` of a sentence occur in ``text`` in order."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True
