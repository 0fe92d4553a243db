"""``summary.html``: per assignment, who scored what, what they failed, and why.

For the instructor, at the root of a graded tree: a table of students with their points
per function, each linking to the student's ``feedback.html``; per function, how many
students share each likely cause the diagnosis named; the checks most students fail;
submissions the autograder itself could not grade, apart from students who scored
nothing; pairs of submissions whose own code is nearly the same, side by side (leads for
a person to read, never verdicts: ``similarity.py``), where the submitted notebooks were
given; and what students never read (how the sandbox was built). The plots are
matplotlib figures inlined as SVG (no files beside), their labels wrapped between words.
Folder names and outputs are the students': every one of them is escaped.
"""
import importlib.util
import io
import os
import statistics
import sys
import textwrap
import threading
from collections import Counter
from itertools import groupby
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from autograder.messages import say
from autograder.report.feedback import lacks_isolation, points, split_cause
from autograder.report.results import by_function

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
HARDEST = 10  # checks listed per assignment
PLOTS = importlib.util.find_spec("matplotlib") is not None  # without it, the tables alone
LABEL_WIDTH = 34  # characters per line of a chart label
LABEL_LINES = 3  # lines per chart label at most

_ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                                  lstrip_blocks=True)


def render(graded: list, similar: dict = None) -> str:
    """The page for ``graded`` (see :func:`autograder.report.grades.collect`); with
    ``similar`` (``{assignment: Leads}``, see :func:`autograder.report.similarity.for_tree`),
    each assignment's similarity leads too."""
    by_assignment = groupby(sorted(graded, key=lambda g: g.assignment), key=lambda g: g.assignment)
    words = {key: say(f"course.summary_{key}") for key in (
        "title", "distribution", "hardest", "check", "failed_by", "functions", "function", "mean",
        "full_marks", "nothing_failed", "students", "student", "total", "why", "sandbox", "lost_by",
        "internal_errors", "similar", "similar_none", "similar_legend")}
    similar = similar or {}
    return _ENVIRONMENT.get_template("summary.html.j2").render(
        words=words, assignments=[_assignment(name, list(group), similar.get(name)) for name, group in by_assignment])


def prepare_in_background():
    """Import what drawing the charts takes (matplotlib: a second or more) in a thread of
    the lowest priority, while a batch grades: the summary is then written as soon as
    the last submission is graded, and the import takes only time the judges leave idle.
    The thread, or None without matplotlib."""
    def prepare():
        try:
            if sys.platform.startswith("linux"):  # there, a thread has a priority of its own
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
            from matplotlib.backends import backend_svg  # noqa: F401
            from matplotlib.figure import Figure  # noqa: F401
        except Exception:  # noqa: BLE001 (drawing the charts meets the same error, and says so where it always has)
            pass

    if not PLOTS:
        return None
    thread = threading.Thread(target=prepare, daemon=True, name="autograder-summary-imports")
    thread.start()
    return thread


def feedback_link(student: str, assignment: str, function: str = "") -> str:
    """The address of a student's feedback page, relative to the summary at the tree's root
    (every character of a folder name that means something in an address is escaped)."""
    anchor = f"#function-{quote(function, safe='')}" if function else ""
    return f"./{quote(student, safe='')}/{quote(assignment, safe='')}/feedback.html{anchor}"


def chart_label(text: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> str:
    """``text`` on at most ``lines`` lines of about ``width`` characters, broken between
    words only (the case, a trailing ``[...]``, on a line of its own when it fits on one).
    Too long, it keeps its first words (the function) and its case, and whole words of
    the middle give way to "…"."""
    words = text.split()
    tail = next((i for i in range(len(words) - 1, -1, -1) if words[i].startswith("[")), len(words))
    if tail < len(words) and words[-1].endswith("]") and len(" ".join(words[tail:])) <= width:
        words[tail:] = ["\N{NO-BREAK SPACE}".join(words[tail:])]
    head = next((i + 1 for i, word in enumerate(words[:tail]) if word.endswith(":")), min(1, tail))
    middle = words[head:tail]
    wrapped = _wrap(" ".join(words), width)
    while len(wrapped) > lines and middle:
        middle.pop()
        wrapped = _wrap(" ".join(words[:head] + middle + ["…"] + words[tail:]), width)
    return "\n".join(wrapped)


def _wrap(text: str, width: int) -> list:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def _assignment(name: str, group: list, leads=None) -> dict:
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
    functions = _functions(group)
    return {
        "name": name,
        "overview": overview,
        "histogram": _histogram(scores, max_score) if scores and PLOTS else "",
        "hardest": hardest,
        "hardest_plot": _bars(hardest) if hardest and PLOTS else "",
        "students": [_student(g, functions) for g in group],
        "functions": [{**function, **_statistics(function["name"], scored), "causes": _causes(function["name"], scored)}
                      for function in functions],
        "not_graded_title": say("course.summary_not_graded", count=len(group) - len(scored)),
        "not_graded": [{"student": g.student, "link": feedback_link(g.student, g.assignment),
                        "reason": _first_line(g.results)} for g in group if g.failed],
        "sandbox": _sandbox(group),
        "similar": _similar(name, leads) if leads is not None else None,
    }


def _similar(assignment: str, found) -> dict:
    """The similarity leads of an assignment (:class:`autograder.report.similarity.Leads`):
    each pair worded as a lead, with its regions side by side."""
    from autograder.report.similarity import THRESHOLD

    def side(lines: list) -> dict:
        return {"where": say("course.summary_similar_lines", cell=lines[0].cell, first=lines[0].number,
                             last=lines[-1].number) if lines else "",
                "lines": [{"number": line.number, "text": line.text, "match": line.match,
                           "cell": say("course.summary_similar_cell", cell=line.cell)
                           if line.first_of_cell and line is not lines[0] else ""} for line in lines]}

    leads = [{
        "text": say("course.summary_similar_pair", first=lead.first, second=lead.second,
                    share_first=lead.share_first, share_second=lead.share_second),
        "first": lead.first, "second": lead.second,
        "first_link": feedback_link(lead.first, assignment), "second_link": feedback_link(lead.second, assignment),
        "regions": [{"first": side(region.first), "second": side(region.second)} for region in lead.regions],
    } for lead in found.leads]
    return {
        "intro": say("course.summary_similar_intro", count=found.compared, threshold=THRESHOLD),
        "unread": say("course.summary_similar_unread", students=", ".join(found.unread)) if found.unread else "",
        "leads": leads,
        "more": say("course.summary_similar_more", count=found.more, shown=len(leads)) if found.more else "",
    }


def _functions(group: list) -> list:
    """The contract functions in the notebook's order, with their points."""
    maxima = {}
    for g in group:
        for function, (_, maximum) in by_function(g.results).items():
            maxima[function] = max(maxima.get(function, 0.0), maximum)
    return [{"name": function, "max_score": points(maximum)} for function, maximum in maxima.items()]


def _student(g, functions: list) -> dict:
    """A row of the students' table: the points per function, or why there are none."""
    scores = by_function(g.results)
    internal = g.results.get("extra_data", {}).get("internal_errors") or []
    cells = []
    for function in functions:
        link = feedback_link(g.student, g.assignment, function["name"])
        if function["name"] not in scores:  # results of an older edition of the assignment
            cells.append({"points": "–", "state": "missing", "link": link})
            continue
        score, maximum = scores[function["name"]]
        state = "full" if score >= maximum - 1e-6 else "zero" if score <= 1e-6 else "partial"
        cells.append({"points": points(score), "state": state, "link": link})
    return {
        "student": g.student,
        "link": feedback_link(g.student, g.assignment),
        "total": f"{points(g.results['score'])} / {points(g.results['max_score'])}",
        "cells": cells,
        "not_graded": say("course.summary_grader_failed", reason=_first_line(g.results)) if g.failed else "",
        "internal": say("course.summary_internal_one" if len(internal) == 1 else "course.summary_internal_count",
                        count=len(internal)) if internal and not g.failed else "",
    }


def _statistics(function: str, scored: list) -> dict:
    """Per contract function: the mean score, and how many submissions got all its points or lost some."""
    pairs = [totals[function] for totals in map(by_function, (g.results for g in scored)) if function in totals]
    return {
        "mean": points(statistics.fmean(score for score, _ in pairs)) if pairs else "",
        "full": sum(score >= maximum - 1e-6 for score, maximum in pairs),
        "lost": sum(score < maximum - 1e-6 for score, maximum in pairs),
        "graded": len(pairs),
    }


def _causes(function: str, scored: list) -> list:
    """How many students share each likely cause of the points they lost on ``function``,
    the most shared first: a student counts once per cause, and once under "none named"
    where no failed check of theirs names one. Checks the autograder failed on are not
    the students' doing, and are left out."""
    internal = say("report.internal_error")
    students = {}
    for g in scored:
        failed = [split_cause(test["output"]) for test in g.results["tests"]
                  if test["tags"][0] == function and test["score"] < test["max_score"]]
        failed = [(message, cause) for message, cause in failed if message.strip() != internal]
        if failed:
            causes = list(dict.fromkeys(cause for _, cause in failed if cause)) or [""]
            for cause in causes:
                students.setdefault(cause, []).append(g)
    ranked = sorted(students.items(), key=lambda item: (item[0] == "", -len(item[1])))
    return [
        {
            "text": say("course.summary_cause_one" if len(group) == 1 else "course.summary_cause", count=len(group),
                        cause=cause or say("course.summary_no_cause")),
            "named": bool(cause),
            "students": [{"student": g.student, "link": feedback_link(g.student, g.assignment, function)}
                         for g in group],
        }
        for cause, group in ranked
    ]


def _sandbox(group: list) -> list:
    """How the sandbox was built (``extra_data["sandbox"]``, which students' pages leave
    out), each distinct line with the number of submissions it was said of."""
    lines = Counter(line for g in group for line in dict.fromkeys(g.results.get("extra_data", {}).get("sandbox", [])))
    return [{"text": say("course.summary_sandbox_line", line=line, count=count, total=len(group)),
             "warning": lacks_isolation(line)} for line, count in lines.most_common()]


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
    labels = [chart_label(check["name"]) for check in hardest]
    lines = sum(label.count("\n") + 1 for label in labels)
    figure, axes = _figure(0.8 + 0.17 * lines + 0.1 * len(labels))
    rows = range(len(hardest))[::-1]  # the most failed on top
    axes.barh(rows, [check["share"] for check in hardest], color="#C44E52")
    axes.set_yticks(rows, labels, fontsize=9, linespacing=1.1)
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


def _first_line(data: dict) -> str:
    errors = data.get("extra_data", {}).get("internal_errors") or [""]
    return str(errors[0]).strip().splitlines()[0] if str(errors[0]).strip() else ""
