"""``autograder``: grade a notebook or a whole nbgrader ``submitted/`` tree.

    autograder grade NOTEBOOK.ipynb --assignment NAME --out DIR
    autograder grade SUBMITTED_DIR --out DIR [--jobs N]
    autograder release [NAME ...]

The exit status is 0 whenever grading finished, whatever the scores.
"""
import argparse
import csv
import json
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder import assignments

SUBMISSION_TIMEOUT = 900  # seconds for one whole submission, a last resort


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a notebook or an nbgrader submitted/ tree")
    grade.add_argument("path", type=Path)
    grade.add_argument("--assignment", choices=assignments.names())
    grade.add_argument("--out", type=Path, required=True)
    grade.add_argument("--jobs", type=int, default=1)
    grade.add_argument("--seed", type=int, help="reproduce a grading run (results.json records its seed)")
    grade.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto")
    grade.add_argument("--force", action="store_true", help="grade again what already has results")
    grade.add_argument("--calibration", type=Path, help=argparse.SUPPRESS)  # set by a batch
    grade.add_argument("--hide", type=Path, action="append", default=[], help=argparse.SUPPRESS)
    release = commands.add_parser("release", help="generate release/ from source/ with nbgrader")
    release.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "release":
        return _release(args.names or assignments.names())
    if args.path.is_dir():
        return _grade_tree(args)
    if not args.path.exists():
        parser.error(f"{args.path} does not exist")
    if not args.assignment:
        parser.error("grading one notebook needs --assignment")
    _grade_one(args)
    return 0


def _grade_one(args) -> dict:
    from autograder.grading import grade
    from autograder.report import feedback, results

    assignment = assignments.load(args.assignment)
    device = _device(args.device, assignment)
    budgets = json.loads(args.calibration.read_text()) if args.calibration else None
    graded = grade(args.path, assignment, seed=args.seed, device=device, budgets=budgets,
                   hidden=[args.out.resolve(), *args.hide])
    data = results.to_gradescope(graded, assignment.name)
    results.write_json_atomically(args.out / "results.json", data)
    results.write_text_atomically(args.out / "feedback.html", feedback.render(data, assignment.name))
    if not args.calibration:
        print(f"{args.path}: {data['score']:g} / {data['max_score']:g}  (seed {data['extra_data']['seed']})")
    return data


def _grade_tree(args) -> int:
    from tqdm import tqdm

    from autograder.judge.budgets import calibrate
    from autograder.report import results

    submissions = _find_submissions(args.path, args.assignment)
    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    calibrations = {}
    for name in sorted({assignment for _, assignment, _ in submissions}):
        assignment = assignments.load(name)
        calibration = args.out / f".calibration-{name}.json"
        results.write_json_atomically(calibration, calibrate(assignment, _device(args.device, assignment)))
        calibrations[name] = calibration

    def grade_submission(submission):
        student, assignment, notebook = submission
        out = args.out / student / assignment
        if (out / "results.json").exists() and not args.force:
            return submission
        command = [sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", assignment,
                   "--out", str(out), "--seed", str(seed), "--device", args.device,
                   "--calibration", str(calibrations[assignment]), "--hide", str(args.path.resolve()),
                   "--hide", str(args.out.resolve())]
        try:
            finished = subprocess.run(command, capture_output=True, timeout=SUBMISSION_TIMEOUT)
            failed = finished.returncode != 0 or not (out / "results.json").exists()
            reason = finished.stderr.decode(errors="replace")[-2000:]
        except subprocess.TimeoutExpired:
            failed, reason = True, f"grading took over {SUBMISSION_TIMEOUT} s"
        if failed:
            results.write_json_atomically(out / "results.json", _autograder_failure(assignment, reason))
        return submission

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(tqdm(pool.map(grade_submission, submissions), total=len(submissions), unit="notebook",
                  file=sys.stderr, disable=None))
    rows = _grade_rows(args.out, submissions)
    _write_grades(args.out / "grades.csv", rows)
    _print_table(rows)
    return 0


def _find_submissions(root: Path, only: str = None) -> list:
    """``(student, assignment, notebook)`` for every ``root/<student>/<assignment>/*.ipynb``."""
    found = []
    for notebook in sorted(root.glob("*/*/*.ipynb")):
        student, assignment = notebook.parent.parent.name, notebook.parent.name
        if assignment in assignments.names() and (only is None or assignment == only):
            found.append((student, assignment, notebook))
    return found


def _autograder_failure(assignment: str, reason: str) -> dict:
    return {
        "score": 0.0,
        "max_score": 0.0,
        "execution_time": 0.0,
        "output": "The autograder could not grade this submission; your instructor has the details.",
        "tests": [{"name": "notebook: graded", "score": 0.0, "max_score": 0.0, "visibility": "visible",
                   "tags": ["notebook"], "output": "The autograder could not grade this submission."}],
        "extra_data": {"assignment": assignment, "internal_errors": [reason]},
    }


def _grade_rows(out: Path, submissions: list) -> list:
    rows = []
    for student, assignment, _ in submissions:
        data = json.loads((out / student / assignment / "results.json").read_text())
        rows.append({"student": student, "assignment": assignment, "score": data["score"],
                     "max_score": data["max_score"], "seed": data.get("extra_data", {}).get("seed", "")})
    return rows


def _write_grades(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["student", "assignment", "score", "max_score", "seed"])
        writer.writeheader()
        writer.writerows(rows)


def _print_table(rows: list) -> None:
    width = max([len(row["student"]) for row in rows] + [7])
    print(f"{'student':<{width}}  {'assignment':<14}  {'score':>12}")
    for row in rows:
        print(f"{row['student']:<{width}}  {row['assignment']:<14}  {row['score']:>6g} / {row['max_score']:<4g}")


def _device(choice: str, assignment) -> str:
    if choice != "auto":
        return choice
    if not any(budget.seconds for budget in assignment.budgets.values()):
        return "cpu"  # numpy budgets are calibrated here and now: the device does not matter
    from autograder.grading import available_device

    return available_device()


def _release(names: list) -> int:
    for name in names:
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"],
                       cwd=assignments.PROJECT, check=True)
    return 0
