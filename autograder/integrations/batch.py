"""Grade an nbgrader ``submitted/<student>/<assignment>/`` tree, several submissions at a time.

Each submission is graded by its own ``autograder grade`` process, started in a session
of its own under a wall-clock limit that kills it with everything it started. Whatever
a notebook does (crash, hang, eat memory), its judge process is the only one it can
take down, and when a judge leaves no result the batch writes a failure result that says
what happened: every submission ends with a results.json, and no other loses its own.
Results are written atomically, so an interrupted batch loses no finished work; a rerun
grades only what is new, changed since it was graded, or failed.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, fields, replace
from pathlib import Path

import nbformat
import psutil
from tqdm import tqdm

from autograder import assignments
from autograder.config import Limits
from autograder.messages import say
from autograder.report import feedback, results

NOT_GRADED = 3  # a judge's exit status when it recorded its submission as not graded
SUBMISSION_SECONDS = 900.0  # a last resort: the sandbox's own limits stop a notebook long before
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    notebook: Path

    def folder(self, out: Path) -> Path:
        return out / self.student / self.assignment


@dataclass(frozen=True)
class Settings:
    """How every submission of a batch is graded."""

    seed: int
    device: str = "auto"
    timeout: float = SUBMISSION_SECONDS  # seconds for one submission's whole grading
    limits: tuple = ()  # "NAME=VALUE" overrides of the sandbox limits, for every child
    hide: tuple = ()  # folders the students' code must not see
    within: Path = None  # the submissions' root: a notebook whose real path leaves it is refused


class Interrupted(Exception):
    def __init__(self, done: int, total: int):
        super().__init__(say("course.interrupted", done=done, total=total))


def find(root: Path, only: str = None) -> list:
    """Every ``root/<student>/<assignment>/`` of a known assignment that holds a notebook.

    A folder with several notebooks is graded on the one named like the released
    notebook (``conv.ipynb``), else on the first by name."""
    known = set(assignments.names())
    found = []
    for folder in sorted(root.glob("*/*")):
        student, assignment = folder.parent.name, folder.name
        if not folder.is_dir() or assignment not in known or (only and assignment != only):
            continue
        notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
        named = [p for p in notebooks if p.name == f"{assignment}.ipynb"]
        if notebooks and not student.startswith("."):
            found.append(Submission(student, assignment, (named or notebooks)[0]))
    return found


def grade_all(submissions: list, out: Path, settings: Settings, jobs: int = 1, force: bool = False,
              report=None) -> list:
    """Grade every submission that has no up-to-date result in ``out``; return those graded.
    ``report(submission, results, seconds)``: called as each one is done."""
    todo = [s for s in submissions if force or not is_graded(s, out)]
    calibrations = {name: _calibrate(name, out, settings) for name in sorted({s.assignment for s in todo})}
    for submission in todo:
        problem = calibrations[submission.assignment]
        if isinstance(problem, str):  # no budgets, no grading: not graded, and a rerun tries again
            _write_failure(submission, out, problem, 0.0, settings.seed)
    todo = [s for s in todo if isinstance(calibrations[s.assignment], Path)]
    children = _Children(_child_environment(jobs))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade, s, out, settings, calibrations[s.assignment], children): s for s in todo}
        done = 0
        try:
            for future in tqdm(as_completed(futures), total=len(futures), unit="notebook", file=sys.stderr,
                               disable=None):
                seconds = future.result()
                done += 1
                if report:
                    submission = futures[future]
                    report(submission, read_results(submission.folder(out) / "results.json"), seconds)
        except KeyboardInterrupt:
            children.stop_all()
            for future in futures:
                future.cancel()
            raise Interrupted(done, len(todo)) from None
    return todo


def is_graded(submission: Submission, out: Path) -> bool:
    """A result exists, is the autograder's own (not a failure), and is of this very notebook."""
    data = read_results(submission.folder(out) / "results.json")
    if data is None:
        return False
    extra = data.get("extra_data", {})
    return not extra.get("autograder_failed") and extra.get("notebook_sha256") in (None, digest(submission.notebook))


def read_results(path: Path):
    """The results at ``path``, or None when there are none that read as results."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("tests"), list) else None


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_assignment(name: str, limits: dict = None):
    """The assignment, with its sandbox limits overridden by ``limits``."""
    assignment = assignments.load(name)
    return replace(assignment, limits=assignment.limits.with_overrides(**limits)) if limits else assignment


def parse_limits(specs) -> dict:
    """``["notebook_seconds=20", "memory_mb=4096"]`` → ``{"notebook_seconds": 20.0, "memory_mb": 4096}``."""
    types = {field.name: field.type for field in fields(Limits)}
    overrides = {}
    for spec in specs:
        name, _, value = (part.strip() for part in spec.partition("="))
        try:
            overrides[name] = types[name](value)
        except (KeyError, ValueError):
            raise ValueError(say("course.bad_limit", names=", ".join(types), spec=spec)) from None
    return overrides


def device_for(choice: str, assignment) -> str:
    """``cpu`` or ``gpu``: the budget table to use (``auto``: whatever TensorFlow sees here)."""
    if choice != "auto":
        return choice
    if not any(budget.seconds for budget in assignment.budgets.values()):
        return "cpu"  # numpy budgets are calibrated here and now: the device does not matter
    from autograder.grading import available_device

    return available_device()


def function_points(assignment_name: str) -> dict:
    """``{function: points}`` from the released notebook's visible test cells, whose points
    equal the hidden tests' (the project's tests keep them equal)."""
    assignment = assignments.load(assignment_name)
    released = nbformat.read(assignment.released_notebook, as_version=4)
    points = {}
    for cell in released.cells:
        flags = cell.metadata.get("nbgrader", {})
        function = str(flags.get("grade_id", "")).removeprefix("test_")
        if flags.get("grade") and not flags.get("solution") and function in assignment.functions:
            points[function] = float(flags.get("points", 0))
    return {function: points[function] for function in assignment.functions if function in points}


def failure_result(assignment: str, reason: str, seconds: float, seed, message: str = None) -> dict:
    """A results.json for a submission the autograder could not grade: every function
    listed with its points and none scored, ``message`` for the student (by default: not
    your fault) and ``reason`` for the instructor."""
    message = message or say("course.not_graded")
    tests = [{"name": "notebook: runs from top to bottom", "score": 0.0, "max_score": 0.0, "output": message,
              "visibility": "visible", "tags": ["notebook"]}]
    for function, points in function_points(assignment).items():
        tests.append({"name": f"{function}: {say('course.not_graded_check')}", "score": 0.0, "max_score": points,
                      "output": message, "status": "failed", "visibility": "visible", "tags": [function]})
    return {
        "score": 0.0,
        "max_score": sum(test["max_score"] for test in tests),
        "execution_time": round(seconds, 3),
        "output": message,
        "tests": tests,
        "extra_data": {"assignment": assignment, "seed": seed, "autograder_failed": True, "internal_errors": [reason]},
    }


def kill_tree(process: subprocess.Popen) -> None:
    """Kill ``process``, its session, and every process below it (sandboxes start their own sessions)."""
    try:
        below = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        below = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    for child in below:
        try:
            child.kill()
        except psutil.Error:
            pass


CALIBRATION_TRIES = 3


def _calibrate(name: str, out: Path, settings: Settings):
    """Time budgets for ``name``, measured once for the whole batch before any student's
    code runs, in a file the children read (out of every sandbox's sight); or, when they
    could not be measured, the reason (a string) for the instructor."""
    from autograder.judge.budgets import CalibrationFailed, calibrate

    assignment = load_assignment(name, parse_limits(settings.limits))
    path = out / f".calibration-{name}.json"
    for _ in range(CALIBRATION_TRIES):
        try:
            results.write_json_atomically(path, calibrate(assignment, device_for(settings.device, assignment)))
            return path
        except CalibrationFailed as error:
            reason = say("course.calibration_failed", assignment=name, reason=error)
    return reason


def _write_failure(submission: Submission, out: Path, reason: str, seconds: float, seed) -> None:
    data = failure_result(submission.assignment, reason, seconds, seed)
    folder = submission.folder(out)
    results.write_json_atomically(folder / "results.json", data)
    results.write_text_atomically(folder / "feedback.html", feedback.render(data, submission.assignment))


def _grade(submission: Submission, out: Path, settings: Settings, calibration: Path, children) -> float:
    """Grade one submission in a judge process of its own; the seconds it took."""
    folder = submission.folder(out)
    (folder / "results.json").unlink(missing_ok=True)  # what is there now is the verdict
    command = [sys.executable, "-m", "autograder", "grade", str(submission.notebook),
               "--assignment", submission.assignment, "--out", str(folder), "--seed", str(settings.seed),
               "--device", settings.device, "--calibration", str(calibration)]
    command += [option for path in settings.hide for option in ("--hide", str(path))]
    command += ["--within", str(settings.within)] if settings.within else []
    command += [option for limit in settings.limits for option in ("--limit", limit)]
    started = time.monotonic()
    # the judge's temporary files (its sandboxes' folders) go where they are removed even
    # when the judge is killed
    with tempfile.TemporaryDirectory(prefix="autograder-judge-", ignore_cleanup_errors=True) as scratch:
        process = children.start(command, scratch)
        if process is None:
            return 0.0
        try:
            _, stderr = process.communicate(timeout=settings.timeout)
            problem = _problem(process.returncode, folder)
        except subprocess.TimeoutExpired:
            kill_tree(process)
            _, stderr = process.communicate()
            problem = say("course.stopped_after", seconds=settings.timeout)
        finally:
            children.finished(process)
    if problem and not children.stopping:
        detail = stderr.decode(errors="replace").strip()[-2000:]
        _write_failure(submission, out, "\n".join(filter(None, [problem, detail])), time.monotonic() - started,
                       settings.seed)
    return time.monotonic() - started


def _problem(returncode: int, folder: Path) -> str:
    """Why the judge process left no result, or "" when it did (a result that says it is
    not graded, with the reason, is one)."""
    data = read_results(folder / "results.json")
    if returncode == NOT_GRADED and data and data.get("extra_data", {}).get("autograder_failed"):
        return ""
    if returncode < 0:
        hint = say("course.out_of_memory") if -returncode == signal.SIGKILL else ""
        return say("course.killed_by", signal=signal.Signals(-returncode).name, hint=hint)
    if returncode > 0:
        return say("course.exited_with", status=returncode)
    return "" if read_results(folder / "results.json") else say("course.no_results")


def _child_environment(jobs: int) -> dict:
    environment = dict(os.environ)
    if jobs > 1:  # one core per submission: the jobs share the machine, their threads would fight
        for name in THREAD_VARIABLES:
            environment.setdefault(name, "1")
    return environment


class _Children:
    """The judge processes running now, so that an interrupt stops every one of them."""

    def __init__(self, environment: dict):
        self.environment = environment
        self.stopping = False
        self._running = set()
        self._lock = threading.Lock()

    def start(self, command: list, scratch: str):
        with self._lock:
            if self.stopping:
                return None
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, env={**self.environment, "TMPDIR": scratch},
                                       start_new_session=True)
            self._running.add(process)
            return process

    def finished(self, process) -> None:
        with self._lock:
            self._running.discard(process)

    def stop_all(self) -> None:
        with self._lock:
            self.stopping = True
            running = list(self._running)
        for process in running:
            kill_tree(process)
