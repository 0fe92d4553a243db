"""``summary.html``: per assignment, how the scores spread and which checks most students fail.

For the instructor: it names students only where the autograder itself failed on
their submission. The plots are matplotlib figures inlined as SVG (no files beside).
"""
import importlib.util
import io
import statistics
from collections import Counter
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup

from autograder.report.results import by_function
from autograder.messages import say

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
HARDEST = 10  # checks listed per assignment
PLOTS = importlib.util.find_spec("matplotlib") is not None  # without it, the tables alone

_ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                                  lstrip_blocks=True)


def render(graded: list) -> str:
    """The page for ``graded`` (see :func:`autograder.report.grades.collect`)."""
    by_assignment = groupby(sorted(graded, key=lambda g: g.assignment), key=lambda g: g.assignment)
    words = {key: say(f"course.summary_{key}") for key in (
        "title", "distribution", "hardest", "check", "failed_by", "functions", "function", "mean",
        "full_marks", "nothing_failed")}
    return _ENVIRONMENT.get_template("summary.html.j2").render(
        words=words, assignments=[_assignment(name, list(group)) for name, group in by_assignment])


def _assignment(name: str, group: list) -> dict:
    scored = [g for g in group if not g.failed]
    scores = [g.results["score"] for g in scored]
    max_score = max(g.results["max_score"] for g in group)
    checks = [test for g in scored for test in g.results["tests"] if test["tags"][0] != "notebook"]
    failures = Counter(test["name"] for test in checks if test["score"] < test["max_score"])
    order = {check: position for position, check in enumerate(dict.fromkeys(test["name"] for test in checks))}
    hardest = [{"name": check, "count": count, "share": count / len(scored)}
               for check, count in sorted(failures.items(), key=lambda item: (-item[1], order[item[0]]))[:HARDEST]]
    overview = say("course.summary_overview", count=len(scored), mean=statistics.fmean(scores) if scores else 0,
                   max_score=max_score, median=statistics.median(scores) if scores else 0,
                   full=sum(s >= max_score for s in scores), zero=sum(s == 0 for s in scores))
    return {
        "name": name,
        "overview": overview,
        "histogram": _histogram(scores, max_score) if scores and PLOTS else "",
        "hardest": hardest,
        "hardest_plot": _bars(hardest) if hardest and PLOTS else "",
        "functions": _functions(scored),
        "not_graded_title": say("course.summary_not_graded", count=len(group) - len(scored)),
        "not_graded": [{"student": g.student, "reason": _first_line(g.results)} for g in group if g.failed],
    }


def _functions(scored: list) -> list:
    """Per contract function: the mean score, its points, and how many submissions got them all."""
    per_function = {}
    for g in scored:
        for function, (score, maximum) in by_function(g.results).items():
            per_function.setdefault(function, []).append((score, maximum))
    return [
        {
            "name": function,
            "mean": statistics.fmean(score for score, _ in pairs),
            "max_score": max(maximum for _, maximum in pairs),
            "full": sum(score >= maximum - 1e-6 for score, maximum in pairs),
        }
        for function, pairs in per_function.items()
    ]


def _histogram(scores: list, max_score: float) -> Markup:
    figure, axes = _figure(2.6)
    bins = min(24, max(4, int(max_score) * 2))
    axes.hist(scores, bins=bins, range=(0, max_score), color="#4C72B0", edgecolor="white")
    axes.set_xlim(0, max_score)
    axes.set_xlabel(say("course.summary_score"))
    axes.set_ylabel(say("course.summary_submissions"))
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _svg(figure)


def _bars(hardest: list) -> Markup:
    figure, axes = _figure(0.6 + 0.3 * len(hardest))
    rows = range(len(hardest))[::-1]  # the most failed on top
    axes.barh(rows, [check["share"] for check in hardest], color="#C44E52")
    axes.set_yticks(rows, [_shorten(check["name"]) for check in hardest])
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    axes.set_xlabel(say("course.summary_share"))
    return _svg(figure)


def _figure(height: float):
    from matplotlib.figure import Figure  # no pyplot: no backend, no global state

    figure = Figure(figsize=(7.5, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _svg(figure) -> Markup:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "summary"}):
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return Markup(text[text.index("<svg"):])  # matplotlib's own markup, with the labels escaped


def _shorten(text: str, width: int = 56) -> str:
    """Long check names keep their function and their case: ``conv_backward: dx, d…[pad 0]``."""
    half = (width - 1) // 2
    return text if len(text) <= width else text[:half] + "…" + text[-half:]


def _first_line(data: dict) -> str:
    errors = data.get("extra_data", {}).get("internal_errors") or [""]
    return str(errors[0]).strip().splitlines()[0] if str(errors[0]).strip() else ""
