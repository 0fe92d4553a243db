"""The grades of a graded tree, ``<out>/<student>/<assignment>/results.json``, as one table.

``grades.csv`` has a row per submission: ``student, assignment, score, max_score, seed,
status``; ``status`` is ``graded``, or ``failed`` where the autograder itself could not
grade the submission (the row then scores 0 and a rerun of the batch retries it).
"""
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.report import results

COLUMNS = ["student", "assignment", "score", "max_score", "seed", "status"]
# a spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls, DEL and C1 controls: ESC and CSI among them move the cursor or recolour the terminal
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Graded:
    student: str
    assignment: str
    results: dict
    folder: Path

    @property
    def failed(self) -> bool:
        return results.is_not_graded(self.results)


def collect(out: Path) -> list:
    """Every graded submission under ``out``, by student then assignment."""
    graded = []
    for path in sorted(out.glob("*/*/results.json")):
        data = results.read(path)
        if data is not None and not path.parent.parent.name.startswith("."):
            graded.append(Graded(path.parent.parent.name, path.parent.name, data, path.parent))
    return graded


def rows(graded: list) -> list:
    return [
        {
            "student": g.student,
            "assignment": g.assignment,
            "score": g.results["score"],
            "max_score": g.results["max_score"],
            "seed": g.results.get("extra_data", {}).get("seed", ""),
            "status": "failed" if g.failed else "graded",
        }
        for g in graded
    ]



def write_csv(path: Path, table: list) -> None:
    """``table`` as ``grades.csv``, every text cell safe to open in a spreadsheet."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows({key: _not_a_formula(value) for key, value in row.items()} for row in table)
    results.write_text_atomically(path, text.getvalue())


def _not_a_formula(value):
    """``value``, behind a single quote where a spreadsheet would run it as a formula: folder
    names are the students' choice. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def print_table(table: list) -> None:
    """``table`` on the terminal, without control characters: a student's folder name must
    not move the cursor or recolour the terminal."""
    table = [{key: printable(value) for key, value in row.items()} for row in table]
    width = max([len(row["student"]) for row in table] + [7])
    print(f"{'student':<{width}}  {'assignment':<14}  {'score':>12}")
    for row in table:
        mark = "  (not graded)" if row["status"] == "failed" else ""
        print(f"{row['student']:<{width}}  {row['assignment']:<14}  {row['score']:>6g} / {row['max_score']:<4g}{mark}")


def printable(value):
    """``value`` without control characters, where it is text."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def write_tables(out: Path, submitted: Path = None) -> list:
    """``grades.csv`` and ``summary.html`` for everything graded under ``out``; print the
    table, and return it. With ``submitted``, the nbgrader tree the submissions were graded
    from (``submitted/<student>/<assignment>/``), the summary lists pairs of submissions
    whose code is nearly the same (``similarity.py``): leads for the instructor."""
    from autograder.messages import say
    from autograder.report import summary

    graded = collect(out)
    table = rows(graded)
    write_csv(out / "grades.csv", table)
    similar = None
    if submitted is not None:
        from autograder.report import similarity

        similar = similarity.for_tree(graded, submitted)
    results.write_text_atomically(out / "summary.html", summary.render(graded, similar))
    print_table(table)
    print(say("course.wrote", grades=out / "grades.csv", summary=out / "summary.html"))
    return table
