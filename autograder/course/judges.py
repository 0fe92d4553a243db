"""Judge processes that live for a batch slot: each grades the submissions of one run,
one after another, so that a batch pays for starting Python and importing the judge
(pytest, nbformat, TensorFlow for some assignments) once per slot, not once per notebook.

The isolation is the same as a process per submission: every submission still runs in
a sandbox of its own, and a judge that dies, hangs or stops answering is killed with
everything it started; the batch records why, for that submission alone, and starts a
fresh judge for the next. A judge is also replaced after ``SUBMISSIONS_PER_JUDGE``
gradings, so that nothing one grading left in its memory grows without bound.

The protocol: the batch writes one JSON line per submission on the judge's stdin,
``{"notebook", "out"}``; the judge grades it into ``out`` and answers one JSON line,
``{"out"}``, on its protocol channel (its stdout, which nothing else writes to).
"""
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections import deque
from pathlib import Path

from autograder.messages import say
from autograder.processes import kill_tree

SUBMISSIONS_PER_JUDGE = 50


class Judge:
    """One judge process, started on the run in the file ``run``; ``start_next_early``:
    its slot has a core to spare (see ``grade_one_after_another``)."""

    def __init__(self, run: Path, environment: dict, start_next_early: bool = False):
        self.run = run
        self.graded = 0
        self._scratch = tempfile.TemporaryDirectory(prefix="autograder-judge-", ignore_cleanup_errors=True)
        # its sandboxes' temporary folders go where they are removed even when the judge is killed
        command = [sys.executable, "-m", "autograder", "judge", str(run)]
        command += ["--start-next-early"] if start_next_early else []
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**environment, "TMPDIR": self._scratch.name}, start_new_session=True)
        self._replies: queue.Queue = queue.Queue()
        self._errors: deque = deque(maxlen=40)
        threading.Thread(target=self._read, args=(self.process.stdout, self._replies.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self._errors.append), daemon=True).start()

    @staticmethod
    def _read(stream, keep) -> None:
        for line in stream:
            keep(line)
        keep(None)  # the end of the stream

    def grade(self, notebook: Path, out: Path, timeout: float) -> str:
        """Grade ``notebook`` into ``out``: "" when the judge answered, else why not (the
        judge is then stopped, and of no further use)."""
        try:
            self.process.stdin.write((json.dumps({"notebook": str(notebook), "out": str(out)}) + "\n").encode())
            self.process.stdin.flush()
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            return say("course.stopped_after", seconds=timeout)
        except OSError:
            reply = None
        if reply is None:  # the judge ended without answering
            self.stop()
            return _ended(self.process.returncode)
        self.graded += 1
        return ""

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def errors_tail(self) -> str:
        return b"".join(line for line in self._errors if line).decode(errors="replace").strip()[-2000:]

    def ask_to_end(self) -> None:
        """Close its stdin: it finishes the submission it has, if any, and ends."""
        try:
            self.process.stdin.close()
        except OSError:
            pass

    def close(self) -> None:
        """End the judge: it finishes when its stdin closes; it is killed if it does not."""
        self.ask_to_end()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.stop()

    def stop(self) -> None:
        kill_tree(self.process)
        self._scratch.cleanup()


def _ended(returncode: int) -> str:
    """Why a judge that ended without answering gave no result, from its exit status."""
    if returncode < 0:
        hint = say("course.out_of_memory") if -returncode == signal.SIGKILL else ""
        return say("course.killed_by", signal=signal.Signals(-returncode).name, hint=hint)
    if returncode > 0:
        return say("course.exited_with", status=returncode)
    return say("course.no_results")


def serve(run_file: Path, start_next_early: bool = False) -> int:
    """The judge's side: grade each submission the batch sends, until stdin closes."""
    from autograder.course.batch import grade_submission
    from autograder.judge.student import discard_sandbox_ahead, grade_one_after_another
    from autograder.report import results
    from autograder.run import Run

    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever else prints stays off the channel
    sys.stdout = sys.stderr
    run = Run.from_json(run_file.read_text())
    grade_one_after_another(start_next_early)
    for line in sys.stdin:
        task = json.loads(line)
        notebook, out = Path(task["notebook"]), Path(task["out"])
        try:
            grade_submission(notebook, run, out)
        except Exception:  # noqa: BLE001 (the kit failed on this one: recorded as not graded, and the judge goes on)
            results.write(out, results.not_graded(run.assignment, traceback.format_exc(), 0.0, run.seed))
        channel.write(json.dumps({"out": str(out)}) + "\n")
    discard_sandbox_ahead()
    return 0
