"""Grade an nbgrader ``submitted/<student>/<assignment>/`` tree, several submissions at a time.

Each batch slot (``--jobs``) has a judge process of its own (``judges.py``), started in a
session of its own; each submission is graded under a wall-clock limit that kills the
judge with everything it started. Whatever a notebook does (crash, hang, eat memory),
the judge grading it is the only one it can take down, and when a judge gives no result
the batch writes a failure result that says what happened and starts a fresh judge:
every submission ends with a results.json, and no other loses its own.
Results are written atomically, so an interrupted batch loses no finished work; a rerun
grades only what is new, changed since it was graded, or failed.
"""
import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder import assignments
from autograder.messages import say
from autograder.course.judges import SUBMISSIONS_PER_JUDGE, Judge
from autograder.report import log, results

if TYPE_CHECKING:
    from autograder.run import Run

NOT_GRADED = 3  # the exit status of `autograder grade NOTEBOOK` when the autograder could not grade it
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
    """How every submission of a batch is graded: what each assignment's run is resolved
    from, once for the batch (``resolve``), and how long one submission may take."""

    seed: int
    device: str = "auto"
    limits: dict = field(default_factory=dict)  # overrides of the sandbox limits, parsed once
    hidden: tuple = ()  # folders the students' code must not see
    within: Path = None  # the submissions' root: a notebook whose real path leaves it is refused
    timeout: float = SUBMISSION_SECONDS  # seconds for one submission's whole grading
    recalibrate: bool = False  # measure the budgets again, whatever this machine kept

    def resolve(self, assignment: str) -> "Run":
        from autograder.run import resolve  # the judge's modules: only where a run is resolved

        return resolve(assignment, self.seed, self.device, self.limits, self.hidden, self.within,
                       recalibrate=self.recalibrate)


class Interrupted(Exception):
    def __init__(self, done: int, total: int):
        super().__init__(say("course.interrupted", done=done, total=total))


def find(root: Path, only: str = None) -> list:
    """Every ``root/<student>/<assignment>/`` of a known assignment that holds a notebook
    (chosen by ``notebook.choose``)."""
    from autograder import notebook  # here: grading one notebook starts its sandbox before nbformat's import

    known = set(assignments.names())
    found = []
    for folder in sorted(root.glob("*/*")):
        student, assignment = folder.parent.name, folder.name
        if not folder.is_dir() or assignment not in known or (only and assignment != only) or student.startswith("."):
            continue
        chosen = notebook.choose(folder, assignment)
        if chosen is not None:
            found.append(Submission(student, assignment, chosen))
    return found


def grade_all(submissions: list, out: Path, settings: Settings, jobs: int = 1, force: bool = False,
              report=None) -> list:
    """Grade every submission that has no up-to-date result in ``out``; return those graded.
    ``report(submission, results, seconds)``: called as each one is done."""
    todo = [s for s in submissions if force or not is_graded(s, out)]
    runs = {name: _resolve(name, out, settings) for name in sorted({s.assignment for s in todo})}
    for submission in todo:
        problem = runs[submission.assignment]
        if isinstance(problem, str):  # no budgets, no grading: not graded, and a rerun tries again
            _write_failure(submission, out, problem, 0.0, settings.seed)
            log.graded(out, f"{submission.student}/{submission.assignment}",
                       results.read(submission.folder(out) / "results.json"), 0.0)
    # one assignment after another: a slot's judge (and the sandbox it starts ahead) then
    # serves submission after submission of the same run, not a fresh judge for each
    todo = sorted((s for s in todo if isinstance(runs[s.assignment], Path)), key=lambda s: (s.assignment, s.student))
    from tqdm import tqdm  # a batch's progress bar: no cost to the command that grades one notebook

    judges = _Judges(_child_environment(jobs), start_next_early=a_core_to_spare(jobs))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade, s, out, runs[s.assignment], settings.timeout, judges): s for s in todo}
        done = 0
        try:
            for future in tqdm(as_completed(futures), total=len(futures), unit="notebook", file=sys.stderr,
                               disable=None):
                seconds = future.result()
                done += 1
                submission = futures[future]
                data = results.read(submission.folder(out) / "results.json")
                log.graded(out, f"{submission.student}/{submission.assignment}", data, seconds)
                if report:
                    report(submission, data, seconds)
        except KeyboardInterrupt:
            judges.stop_all()
            for future in futures:
                future.cancel()
            raise Interrupted(done, len(todo)) from None
        finally:
            judges.close_all()
    return todo


def is_graded(submission: Submission, out: Path) -> bool:
    """A result exists, is the autograder's own (not a failure), and is of this very notebook."""
    data = results.read(submission.folder(out) / "results.json")
    if data is None:
        return False
    return not results.is_not_graded(data) and data["extra_data"].get("notebook_sha256") in (
        None, digest(submission.notebook))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grade_submission(path: Path, run: "Run", out: Path) -> dict:
    """Grade the notebook at ``path`` under ``run`` into the folder ``out`` (its results
    and feedback); return the results. The one way every door grades a submission:
    the command line, each judge process of a batch, Gradescope."""
    from autograder.judge.student import start_sandbox_ahead

    run = run.hiding(Path(out).resolve())
    # the sandbox starts while the grader (pytest, the checks) is imported and the notebook read
    start_sandbox_ahead(run.task, run.hidden)
    from autograder.grading import grade

    graded = grade(path, run)
    if "not_graded" in graded:
        data = results.not_graded(run.assignment, graded["not_graded"], graded["seconds"], run.seed)
    else:
        data = results.from_grading(graded, run)
    try:
        data["extra_data"]["notebook_sha256"] = digest(Path(path))  # a rerun regrades a changed file
    except OSError:
        pass
    results.write(Path(out), data)
    return data


CALIBRATION_TRIES = 3


def _resolve(name: str, out: Path, settings: Settings):
    """The run of ``name``, resolved once for the whole batch before any student's code
    runs (its budgets measured here), in a file every judge process reads (out of every
    sandbox's sight); or, when its budgets could not be measured, the reason (a string)
    for the instructor."""
    from autograder.run import CalibrationFailed

    path = out / f".run-{name}.json"
    for _ in range(CALIBRATION_TRIES):
        try:
            results.write_text_atomically(path, settings.resolve(name).to_json())
            return path
        except CalibrationFailed as error:
            reason = say("course.calibration_failed", assignment=name, reason=error)
    return reason


def _write_failure(submission: Submission, out: Path, reason: str, seconds: float, seed) -> None:
    results.write(submission.folder(out), results.not_graded(submission.assignment, reason, seconds, seed))


def _grade(submission: Submission, out: Path, run: Path, timeout: float, judges: "_Judges") -> float:
    """Grade one submission with this slot's judge (a fresh one when it has none for
    ``run``), under a wall-clock limit; the seconds it took."""
    folder = submission.folder(out)
    (folder / "results.json").unlink(missing_ok=True)  # what is there now is the verdict
    started = time.monotonic()
    judge = judges.for_run(run)
    if judge is None:  # the batch is stopping
        return 0.0
    problem = judge.grade(submission.notebook, folder, timeout)
    if not problem and results.read(folder / "results.json") is None:
        problem = say("course.no_results")
    if problem and not judges.stopping:
        detail = judge.errors_tail()
        seed = json.loads(run.read_text())["seed"]
        _write_failure(submission, out, "\n".join(filter(None, [problem, detail])), time.monotonic() - started, seed)
    return time.monotonic() - started


def a_core_to_spare(jobs: int) -> bool:
    """Whether each of ``jobs`` slots has two cores of its own: the second then starts the
    next student's sandbox while the current student's checks run. With fewer, the slots'
    own work keeps every core busy."""
    return 2 * max(1, jobs) <= len(os.sched_getaffinity(0))


def _child_environment(jobs: int) -> dict:
    environment = dict(os.environ)
    if jobs > 1:  # one core per submission: the jobs share the machine, their threads would fight
        for name in THREAD_VARIABLES:
            environment.setdefault(name, "1")
    return environment


class _Judges:
    """The judge of each batch slot (a thread of the pool), and a way to stop them all."""

    def __init__(self, environment: dict, start_next_early: bool = False):
        self.environment = environment
        self.start_next_early = start_next_early
        self.stopping = False
        self._all: list = []
        self._mine = threading.local()
        self._lock = threading.Lock()

    def for_run(self, run: Path):
        """This slot's judge for ``run``: the one it has while it is alive, on the same run
        and not worn out; else a fresh one."""
        judge = getattr(self._mine, "judge", None)
        if judge and judge.alive and judge.run == run and judge.graded < SUBMISSIONS_PER_JUDGE:
            return judge
        if judge:
            judge.close()
        with self._lock:
            if self.stopping:
                return None
            self._mine.judge = Judge(run, self.environment, self.start_next_early)
            self._all.append(self._mine.judge)
            return self._mine.judge

    def close_all(self) -> None:
        for judge in self._all:  # all at once: each discards the sandbox it started for a next student
            judge.ask_to_end()
        for judge in self._all:
            judge.close()

    def stop_all(self) -> None:
        with self._lock:
            self.stopping = True
        for judge in self._all:
            judge.stop()
