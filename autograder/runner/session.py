"""The judge's handle on one sandboxed worker: load the notebook, call functions.

Every answer is checked here before anyone looks at it: it must arrive within its
time limit, decode as plain numeric data, and say what happened in a form we know.
Time is measured on this side, so nothing the student's code does to its clock counts.

A sandbox that does not start (the machine out of something, a leftover of another
grading) is not the student's doing: it is retried, and then reported as
:class:`SandboxUnavailable`, which the judge records as *not graded*, never as a zero.
"""
import atexit
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.config import Limits
from autograder.runner import sandbox, wire


@dataclass
class LoadReport:
    """How running the notebook went."""

    ok: bool  # the worker survived the notebook and answered
    errors: list = field(default_factory=list)  # [{"cell", "type", "message", "where"}]
    defined: list = field(default_factory=list)  # callable names the notebook defined
    problem: str = ""  # why the notebook could not be run at all
    last_cell: str = ""  # the cell running when a problem struck
    seconds: float = 0.0


class SandboxUnavailable(Exception):
    """The sandbox could not be started; the message says why, for the instructor."""


START_TRIES = 3
START_SECONDS = 120.0  # from starting the sandbox to the worker's first word (numpy and the driver imported)
CANCEL_POLL_SECONDS = 0.05  # how soon a cancelled start stops waiting
LAUNCH_SECONDS = 5.0  # the longest a sandbox started ahead holds its caller up (its process made)


@dataclass
class Outcome:
    """What one call of a student's function did."""

    kind: str  # "returned", "raised", "missing", "timeout", "crashed", "garbled"
    value: object = None
    error: dict = field(default_factory=dict)  # for "raised": type, message, where
    args_after: object = None  # the arguments as the function left them
    seconds: float = 0.0  # wall clock, judged here
    cpu_seconds: float = 0.0  # CPU of every process of the sandbox, for timed calls


class _Timeout(Exception):
    pass


class Runner:
    """One worker process. Call :meth:`load` once, then :meth:`call` as often as needed.

    A call that times out or crashes the worker ends this runner; the judge starts a
    fresh one (:class:`RunnerPool`) for the functions still to grade.
    """

    def __init__(self, limits: Limits, hidden=(), driver=None, imports=(), cancelled: threading.Event = None,
                 launched: threading.Event = None):
        """``cancelled``: once set, a start still waiting for the worker stops at once,
        and no other is tried (a sandbox started ahead that no grading will take).
        ``launched``: set once the first try's sandbox process exists, or the fork server
        it waits for (or once neither could be made)."""
        self.limits = limits
        problems = []
        for _ in range(START_TRIES):
            problem = self._start(hidden, driver, imports, cancelled, launched)
            if not problem:
                return
            if cancelled is not None and cancelled.is_set():
                raise SandboxUnavailable("the start was cancelled")
            problems.append(problem)
        raise SandboxUnavailable(f"the sandbox did not start ({START_TRIES} tries): {problems[-1]}")

    def _start(self, hidden, driver, imports, cancelled=None, launched=None) -> str:
        """Start a sandbox and wait for the worker's first word: "" or why it failed."""
        try:
            self.box = sandbox.start(self.limits, hidden, driver, imports, cancelled, launched)
        except (OSError, sandbox.identities.NoIdentity) as error:
            return str(error)
        finally:
            if launched is not None:
                launched.set()
        self.alive = True
        try:
            reply = self._receive(time.monotonic() + START_SECONDS, cancelled)
            if isinstance(reply, dict) and reply.get("event") == "ready":
                return ""
            problem = "the worker's first message was not 'ready'"
            if isinstance(reply, dict) and reply.get("event") == "broken":
                problem = f"the assignment's driver could not be imported: {str(reply.get('message'))[:2000]}"
        except _Timeout:
            problem = f"no word from the worker within {START_SECONDS:g} s"
        except (EOFError, OSError, ValueError):
            problem = "the worker ended before it was ready"
        if cancelled is None or not cancelled.is_set():
            self.box.start_failed()
        self.close()
        tail = self.box.errors_tail()
        return f"{problem}; exit status {self.box.process.returncode}" + (f"; stderr: {tail}" if tail else "")

    @property
    def isolation(self) -> list:
        return self.box.isolation

    def load(self, cells: list) -> LoadReport:
        """Run the notebook's cells: ``[{"label": str, "source": str}]``."""
        started = time.monotonic()
        deadline = started + self.limits.notebook_seconds
        last = ""
        try:
            self._send({"op": "load", "cells": cells})
            while True:
                reply = self._receive(deadline)
                if not isinstance(reply, dict):
                    raise ValueError("not a dict")
                if reply.get("event") == "cell":
                    last = cells[int(wire.plain(reply["index"]))]["label"]
                    continue
                if reply.get("event") != "loaded":
                    raise ValueError("unexpected event")
                return LoadReport(
                    ok=True,
                    errors=_error_list(reply.get("errors")),
                    defined=[str(name) for name in reply.get("defined", []) if isinstance(name, str)],
                    seconds=time.monotonic() - started,
                )
        except _Timeout:
            self.close()
            return LoadReport(ok=False, problem="timeout", last_cell=last, seconds=time.monotonic() - started)
        except (EOFError, OSError):
            self.close()
            return LoadReport(ok=False, problem="crashed", last_cell=last, seconds=time.monotonic() - started)
        except (ValueError, KeyError, IndexError, TypeError):
            self.close()
            return LoadReport(ok=False, problem="garbled", last_cell=last, seconds=time.monotonic() - started)

    def call(self, function: str, args: tuple, kwargs: dict, timeout: float, timed: bool = False) -> Outcome:
        """Call a student's function (or, for ``function="driver:<scenario>"``, run a
        scenario of the assignment's driver with ``kwargs`` as its inputs). ``timed``:
        also measure the CPU time the whole sandbox spent on the call."""
        if not self.alive:
            return Outcome("crashed")
        cpu_before = self.box.cpu_seconds() if timed else 0.0
        started = time.monotonic()
        if function.startswith("driver:"):
            request = {"op": "drive", "scenario": function.split(":", 1)[1], "inputs": dict(kwargs)}
        else:
            request = {"op": "call", "function": function, "args": tuple(args), "kwargs": dict(kwargs)}
        try:
            self._send(request)
            reply = self._receive(started + timeout)
            seconds = time.monotonic() - started
            cpu_seconds = self.box.cpu_seconds() - cpu_before if timed else 0.0
        except _Timeout:
            self.close()
            return Outcome("timeout", seconds=time.monotonic() - started)
        except (EOFError, OSError):
            self.close()
            return Outcome("crashed", seconds=time.monotonic() - started)
        except ValueError:
            self.close()
            return Outcome("garbled", seconds=time.monotonic() - started)
        if not isinstance(reply, dict) or reply.get("event") not in ("returned", "raised", "missing"):
            return Outcome("garbled", seconds=seconds)
        if reply["event"] == "raised":
            error = (_error_list([reply]) or [{"type": "Exception", "message": "", "where": []}])[0]
            return Outcome("raised", error=error, args_after=reply.get("args_after"), seconds=seconds,
                           cpu_seconds=cpu_seconds)
        return Outcome(reply["event"], value=reply.get("value"), args_after=reply.get("args_after"), seconds=seconds,
                       cpu_seconds=cpu_seconds)

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self.box.stop()

    def _send(self, message) -> None:
        wire.write_message(self.box.process.stdin, wire.encode(message))

    def _receive(self, deadline: float, cancelled: threading.Event = None):
        """One message, or :class:`_Timeout` once ``deadline`` (monotonic) passes or
        ``cancelled`` is set."""
        result = {}

        def read():
            try:
                result["payload"] = wire.read_message(self.box.process.stdout.read)
            except BaseException as error:  # handed to the waiting thread
                result["error"] = error

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if cancelled is None:
            reader.join(max(0.0, deadline - time.monotonic()))
        else:
            while reader.is_alive() and time.monotonic() < deadline and not cancelled.is_set():
                reader.join(min(CANCEL_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        if reader.is_alive():
            raise _Timeout()
        if "error" in result:
            error = result["error"]
            raise error if isinstance(error, (EOFError, OSError, ValueError)) else ValueError(str(error))
        return wire.decode(result["payload"])


class _Ahead:
    """A sandbox started in the background before its notebook is known, while the judge
    imports what the hidden tests need or writes the previous student's results: the
    next :func:`started_runner` of the same kind takes it. It holds nothing of any
    student's, and it is a sandbox of its own like any other."""

    def __init__(self, kind: tuple, until_launched: bool = False):
        """``until_launched``: return only once the sandbox's process exists (or could not
        be made)."""
        self.kind = kind
        self.runner, self.problem = None, None
        self.cancelled, launched = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._start, args=(launched,), daemon=True)
        self.thread.start()
        if until_launched:
            launched.wait(LAUNCH_SECONDS)

    def _start(self, launched: threading.Event) -> None:
        try:
            self.runner = Runner(*self.kind, cancelled=self.cancelled, launched=launched)
        except BaseException as problem:  # raised where the sandbox is taken, as a start there would
            self.problem = problem

    def take(self) -> "Runner":
        """The started runner, or what starting it raised (:class:`SandboxUnavailable`)."""
        self.thread.join()
        if self.problem:
            raise self.problem
        return self.runner

    def discard(self) -> None:
        """Stop it, without waiting for a start still under way to finish (TensorFlow's
        import, say): the end of a batch waits on this."""
        self.cancelled.set()
        self.thread.join()
        if self.runner:
            self.runner.close()


_ahead: list = []  # at most one _Ahead


def start_ahead(limits: Limits, hidden=(), driver=None, imports=(), until_launched: bool = False) -> None:
    """Start the sandbox for the next grading now, in the background, unless one that
    serves it is on its way already.

    ``until_launched``: the caller waits the tenths of a second until the sandbox's
    process exists, for a caller about to import TensorFlow in a thread of its own, whose
    hold on the GIL would otherwise delay the start by as much again (and the sandbox's
    own imports, the longest wait, with it). A batch's judge, which writes results
    meanwhile, does not wait."""
    kind = (limits, tuple(hidden), driver, tuple(imports))
    if not (_ahead and _serves(_ahead[0].kind, kind)):
        discard_ahead()
        _ahead.append(_Ahead(kind, until_launched))


def started_runner(limits: Limits, hidden=(), driver=None, imports=()) -> Runner:
    """The sandbox started ahead, when it is one for this grading, else a new one."""
    kind = (limits, tuple(hidden), driver, tuple(imports))
    if _ahead and _serves(_ahead[0].kind, kind):
        runner = _ahead.pop().take()
        if runner.alive and runner.box.process.poll() is None:
            return runner
        runner.close()
    discard_ahead()
    return Runner(*kind)


def _serves(ahead: tuple, wanted: tuple) -> bool:
    """Whether a sandbox started as ``ahead`` is one for ``wanted``: the same limits, driver
    and packages, and every folder to hide hidden (a folder hides what it holds: a batch's
    results folder hides each student's)."""
    (limits, hidden, driver, imports), (limits_wanted, hidden_wanted, driver_wanted, imports_wanted) = ahead, wanted
    covers = [Path(folder).resolve() for folder in hidden]
    return ((limits, driver, imports) == (limits_wanted, driver_wanted, imports_wanted)
            and all(any(Path(folder).resolve().is_relative_to(cover) for cover in covers) for folder in hidden_wanted))


@atexit.register
def discard_ahead() -> None:
    """Stop a sandbox started ahead that no grading took."""
    while _ahead:
        _ahead.pop().discard()


def _error_list(errors) -> list:
    """Untrusted error descriptions, reduced to short strings."""
    clean = []
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        where = error.get("where")
        clean.append(
            {
                "cell": str(error.get("cell", ""))[:200],
                "type": str(error.get("type", "Exception"))[:100],
                "message": str(error.get("message", ""))[:2000],
                "where": [str(line)[:300] for line in where[:3]] if isinstance(where, list) else [],
                "module": str(error.get("module", ""))[:200],
            }
        )
    return clean
