#!/usr/bin/env python3
"""The visible checks of a released notebook, run where the student's work is (a GitHub
Actions runner of the student's repository, Classroom 50's runner, a laptop).

It needs nothing of the course kit, neither its hidden tests nor its solutions: it runs the
notebook's code cells in order, as "Run all" in Jupyter would (cells tagged ``demo`` left
out, line magics such as ``%matplotlib inline`` skipped), in a child process that a hang or
a crash cannot take down, and reports which visible test cells raised. A visible test cell
is one whose nbgrader metadata says ``grade: true`` and not ``solution: true``; it is worth
its ``points``.

    python visible_checks.py run conv.ipynb --json visible-checks.json   # exit 1: a test failed
    python visible_checks.py summary visible-checks.json >> "$GITHUB_STEP_SUMMARY"

``run`` exits 0 when every visible test passed, 1 when one did not, 2 when the notebook
could not be read. ``summary`` prints Markdown, and says so when ``run`` left no report.
Standard library only; the notebook's own imports (numpy, ...) must be installed.
"""
import argparse
import html
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

TIMEOUT_SECONDS = 900.0  # the whole notebook; the job's own limit is the last resort
MESSAGE_CHARACTERS = 600  # of one failure, in the report


def visible_tests(notebook: dict) -> list:
    """``[(cell index, name, points)]`` of the visible test cells, in order."""
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and grading.get("grade") and not grading.get("solution"):
            found.append((index, str(grading.get("grade_id") or f"cell {index}"), float(grading.get("points") or 0)))
    return found


def cells_to_run(notebook: dict) -> list:
    """``[(cell index, code)]``: every code cell but the demos, magics made inert."""
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code" or "demo" in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cells.append((index, "\n".join(_inert_magic(line) for line in source.splitlines()) + "\n"))
    return cells


def _inert_magic(line: str) -> str:
    """A line magic or shell escape (``%matplotlib inline``, ``!pip ...``) becomes a comment."""
    stripped = line.lstrip()
    if stripped.startswith(("%", "!")):
        return f"{line[:len(line) - len(stripped)]}pass  # {stripped}"
    return line


def run(path: str, timeout: float = TIMEOUT_SECONDS) -> dict:
    """Run the notebook at ``path``; the report (see :func:`summary` for its fields)."""
    with open(path, encoding="utf-8") as file:
        notebook = json.load(file)
    tests = visible_tests(notebook)
    stopped = None
    with tempfile.TemporaryDirectory(prefix="visible-checks-") as scratch:
        cells_file, outcomes_file = os.path.join(scratch, "cells.json"), os.path.join(scratch, "outcomes.jsonl")
        with open(cells_file, "w", encoding="utf-8") as file:
            json.dump(cells_to_run(notebook), file)
        open(outcomes_file, "w").close()
        environment = {**os.environ, "MPLBACKEND": "Agg"}
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_child", cells_file, outcomes_file],
                                 cwd=os.path.dirname(os.path.abspath(path)), env=environment,
                                 start_new_session=True)
        try:
            code = child.wait(timeout=timeout)
            if code != 0:
                stopped = f"the notebook's process ended with exit status {code}"
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            stopped = f"the notebook did not finish within {timeout:g} seconds"
        seconds = time.monotonic() - started
        with open(outcomes_file, encoding="utf-8") as file:
            outcomes = {}
            for line in file:
                try:
                    record = json.loads(line)
                    outcomes[int(record["cell"])] = record.get("error")
                except (ValueError, KeyError, TypeError):
                    continue
    results = []
    for index, name, points in tests:
        if index not in outcomes:
            passed, message = False, f"not run: {stopped or 'the cell was not reached'}"
        else:
            passed, message = outcomes[index] is None, outcomes[index] or ""
        results.append({"name": name, "cell": index, "passed": passed, "score": points if passed else 0.0,
                        "max_score": points, "message": message[:MESSAGE_CHARACTERS]})
    return {"notebook": os.path.basename(path), "score": sum(r["score"] for r in results),
            "max_score": sum(r["max_score"] for r in results), "tests": results, "stopped": stopped,
            "seconds": round(seconds, 1)}


def _child(cells_file: str, outcomes_file: str) -> None:
    """Inside the child: run the cells in one namespace, one outcome line per cell."""
    import builtins
    import linecache

    with open(cells_file, encoding="utf-8") as file:
        cells = json.load(file)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    outcomes = open(outcomes_file, "a", encoding="utf-8")
    grouped = os.environ.get("GITHUB_ACTIONS") == "true"  # folded in the Actions log
    for index, code in cells:
        filename = f"<notebook cell {index}>"
        # inspect.getsource reads a function's code from here, as it does in Jupyter
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        print(f"::group::cell {index}" if grouped else f"-- cell {index}", flush=True)
        error = None
        try:
            exec(compile(code, filename, "exec"), namespace)
        except BaseException as raised:  # noqa: BLE001 - a student's cell may raise anything, SystemExit too
            traceback.print_exc()
            error = f"{type(raised).__name__}: {raised}".strip().rstrip(":")
            where = traceback.extract_tb(raised.__traceback__)[-1].name
            if where != "<module>":
                error += f" (in {where})"
        sys.stdout.flush()
        sys.stderr.flush()
        if grouped:
            print("::endgroup::", flush=True)
        outcomes.write(json.dumps({"cell": index, "error": error}) + "\n")
        outcomes.flush()
    outcomes.close()


def summary(report, title: str = "Visible tests") -> str:
    """Markdown for a job summary or a release: points, a row per visible test, what failed."""
    if report is None:
        return (f"### {title}: no report\n\nThe notebook's checks did not finish (see the job's log); "
                "nothing was scored.\n")
    lines = [f"### {title} of `{_text(report['notebook'])}`: {report['score']:g} / {report['max_score']:g} points",
             "", "| visible test | points | result |", "|---|---:|---|"]
    for test in report["tests"]:
        result = "passed" if test["passed"] else "**failed**"
        lines.append(f"| `{_text(test['name'])}` | {test['score']:g} / {test['max_score']:g} | {result} |")
    failed = [test for test in report["tests"] if not test["passed"]]
    if failed:
        lines += ["", "**To fix**", ""]
        lines += [f"- `{_text(test['name'])}`: {_text(test['message'])}" for test in failed]
    elif not report["tests"]:
        lines += ["", "This notebook has no visible test cells."]
    lines += ["", "<sub>These are the tests you can run in the notebook yourself. The course grades your "
                  "submission with further, hidden tests, later and elsewhere.</sub>"]
    return "\n".join(lines) + "\n"


def _text(text) -> str:
    """Student text shown as it is: no HTML, no Markdown table breaks, one line."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("run", help="run the notebook and its visible tests")
    running.add_argument("notebook")
    running.add_argument("--json", help="write the report here")
    running.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS)
    summarising = commands.add_parser("summary", help="print a report as Markdown")
    summarising.add_argument("report")
    summarising.add_argument("--title", default="Visible tests")
    child = commands.add_parser("_child")
    child.add_argument("cells")
    child.add_argument("outcomes")
    args = parser.parse_args(argv)

    if args.command == "_child":
        _child(args.cells, args.outcomes)
        return 0
    if args.command == "summary":
        try:
            with open(args.report, encoding="utf-8") as file:
                report = json.load(file)
        except (OSError, ValueError):
            report = None
        print(summary(report, args.title), end="")
        return 0
    try:
        report = run(args.notebook, args.timeout)
    except (OSError, ValueError) as problem:
        print(f"::error::cannot read the notebook {args.notebook}: {problem}", file=sys.stderr)
        return 2
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(report, file, indent=1)
    for test in report["tests"]:
        print(f"{'PASS' if test['passed'] else 'FAIL'}  {test['name']}  ({test['score']:g}/{test['max_score']:g})"
              + ("" if test["passed"] else f"  {' '.join(test['message'].split())}"))
    print(f"visible tests: {report['score']:g} / {report['max_score']:g} points")
    return 0 if all(test["passed"] for test in report["tests"]) else 1


if __name__ == "__main__":
    sys.exit(main())
