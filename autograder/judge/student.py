"""The student's notebook as the hidden tests see it: functions to call, in a sandbox.

This module is the judge's one door into ``runner/``: nothing else in the kit imports
the runner, and the types a caller needs from it (what a call did, what a load did,
the plain values that cross the wire) are named here.

A call that runs past its limit or kills the worker stops that function's remaining
checks; the other functions get a fresh worker that runs the notebook again.
"""
import copy
import importlib.util
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from autograder.judge.describe import describe_case
from autograder.messages import say
from autograder.runner.sandbox import ISOLATION, fork_sandboxes
from autograder.runner import session
from autograder.runner.lazy import import_on_first_use, kept_for_good
from autograder.runner.session import LoadReport, Outcome, SandboxUnavailable
from autograder.runner.wire import MAX_DEPTH, NUMERIC_KINDS, Other, Scalar, plain
from autograder.runner.wire import _type_name as type_name

__all__ = ["ISOLATION", "Called", "Failure", "LoadReport", "Other", "Outcome", "Returned", "SandboxUnavailable",
           "Scalar", "Student", "discard_sandbox_ahead", "explain", "fork_sandboxes", "grade_one_after_another",
           "import_on_first_use", "kept_for_good", "meanwhile", "not_allowed", "plain", "received_as", "sent_as",
           "start_sandbox_ahead"]

# in a process that grades submissions one after another: [whether to start the next
# student's sandbox while this one's checks run]
_series: list = []


def start_sandbox_ahead(assignment, hidden=()) -> None:
    """Start the sandbox of the next :class:`Student` of ``assignment`` now, in the
    background: the sandbox, and its driver's imports, get ready while the judge does
    its own work (imports, reading the notebook, the previous student's results). It
    returns once the sandbox's process exists: the judge's imports come next."""
    session.start_ahead(assignment.limits, hidden, assignment.driver, tuple(assignment.imports), until_launched=True)


def discard_sandbox_ahead() -> None:
    """Stop a sandbox started ahead that no grading took (the notebook could not be read,
    or the batch ended)."""
    session.discard_ahead()


def grade_one_after_another(start_next_early: bool = False) -> None:
    """This process grades submissions one after another (a batch's judge): from now on,
    each student's sandbox, once closed, is followed by the next one's; with
    ``start_next_early`` (a slot with a core to spare), the next one starts as soon as
    this student's notebook has run, while the checks run. Each sandbox is forked from a
    fork server that imported the worker's packages (TensorFlow: seconds) once."""
    _series[:] = [start_next_early]
    fork_sandboxes()


class Failure(AssertionError):
    """A check failed; the message is what the student reads."""


@dataclass
class Returned:
    """A call that returned: its value, the arguments as it left them, and the case."""

    value: object
    args: dict
    args_after: object
    case: str
    seconds: float
    cpu_seconds: float = 0.0


@dataclass
class Called:
    """The last call the hidden tests made (``function``: a contract function, or
    ``driver:<scenario>`` running ``functions``), for the diagnosis of a failed check."""

    function: str
    args: dict
    outcome: Outcome
    functions: tuple = ()


@contextmanager
def meanwhile(work, *args):
    """``work(*args)``, run in a thread of the judge's while the block runs: a student's
    call inside the block runs in its sandbox, so the two use both cores. The block gets
    a future with ``work``'s value; leaving the block waits for ``work`` to end. Not
    around a timed call: ``work`` would take the student's CPU time."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(work, *args)


def sent_as(value):
    """The judge's own ``value`` (arrays, numbers, tuples, dicts) as student code receives
    it: what crosses the wire, made plain, which for such values is a deep copy."""
    return copy.deepcopy(value)


def received_as(value, depth: int = 0):
    """Trusted code's ``value`` as the judge would receive it from the sandbox: the structure
    :func:`encode` keeps (numeric arrays, scalars with their type names, strings, tuples,
    lists, dicts), built directly (not encoded and decoded: the course's own code is not hostile)."""
    if type(value) is np.ndarray:
        return value.copy() if value.dtype.kind in NUMERIC_KINDS else Other(f"numpy array of dtype {value.dtype}")
    if isinstance(value, (bool, int, float, np.generic)) and type(value).__module__ in ("builtins", "numpy"):
        scalar = np.asarray(value)
        return Scalar(scalar[()], type(value).__name__) if scalar.dtype.kind in NUMERIC_KINDS else Other(
            type(value).__name__)
    if value is None or type(value) is str:
        return value
    is_dict = type(value) is dict and all(type(key) is str for key in value)
    if (type(value) in (tuple, list) or is_dict) and depth >= MAX_DEPTH:
        return Other("structure too deep")
    if type(value) in (tuple, list):
        return type(value)(received_as(item, depth + 1) for item in value)
    if is_dict:
        return {key: received_as(item, depth + 1) for key, item in value.items()}
    return Other(type_name(value))


class Student:
    """Raises :class:`SandboxUnavailable` when no sandbox can be started for the notebook;
    when that happens later (a fresh worker after a crash), ``grader_failure`` says why
    and the grading is not the student's."""

    def __init__(self, cells: list, limits, hidden=(), driver=None, imports=()):
        self.cells = cells
        self.limits = limits
        self.hidden = hidden
        self.driver = driver
        self.imports = tuple(imports)  # what the assignment lets student code import
        self.stopped: set = set()  # functions whose calls ran too long or crashed
        self.last: Called = None  # the last call, for the diagnosis of a failed check
        self.grader_failure = ""
        self.runner = None
        self.first_load = self._fresh_runner()
        self.isolation = self.runner.isolation if self.runner else []
        if _series and _series[0]:
            self._start_the_next_ahead()

    def _fresh_runner(self) -> LoadReport:
        self.runner = session.started_runner(self.limits, self.hidden, self.driver, self.imports)
        report = self.runner.load(self.cells)
        if not report.ok:
            self.runner.close()
        return report

    def call(self, function: str, timeout: float = None, timed: bool = False, **args) -> Returned:
        """Call ``function`` with ``args`` (sent positionally, in order); raise
        :class:`Failure` unless it returns. ``timed``: measure the sandbox's CPU time."""
        outcome = self.outcome(function, timeout, timed, **args)
        case = describe_case(**args)
        if outcome.kind == "returned":
            return Returned(outcome.value, args, outcome.args_after, case, outcome.seconds, outcome.cpu_seconds)
        raise Failure(explain(outcome, function, case, timeout or self.limits.call_seconds, self.imports))

    def drive(self, scenario: str, functions: tuple, timeout: float = None, **inputs) -> Returned:
        """Run a scenario of the assignment's driver, which calls ``functions`` of the
        student's in order; a time-out or crash stops all of them."""
        if any(function in self.stopped for function in functions):
            outcome = Outcome("stopped")
        else:
            outcome = self.outcome(f"driver:{scenario}", timeout, **inputs)
        self.last = Called(f"driver:{scenario}", inputs, outcome, tuple(functions))
        if outcome.kind in ("timeout", "crashed", "garbled"):
            self.stopped.update(functions)
        case = describe_case(**inputs)
        if outcome.kind == "returned":
            return Returned(outcome.value, inputs, None, case, outcome.seconds, outcome.cpu_seconds)
        raise Failure(explain(outcome, " → ".join(functions), case, timeout or self.limits.call_seconds, self.imports))

    def outcome(self, function: str, timeout: float = None, timed: bool = False, **args) -> Outcome:
        outcome = self._outcome(function, timeout, timed, **args)
        # a timed call's inputs are large, and its values are checked on small cases too:
        # the diagnosis looks at those
        self.last = None if timed else Called(function, args, outcome, (function,))
        return outcome

    def _outcome(self, function: str, timeout: float = None, timed: bool = False, **args) -> Outcome:
        if not self.first_load.ok or self.grader_failure:
            return Outcome("unavailable")
        if function in self.stopped:
            return Outcome("stopped")
        if not self.runner.alive:
            try:
                report = self._fresh_runner()
            except SandboxUnavailable as error:
                self.grader_failure = str(error)
                return Outcome("unavailable")
            if not report.ok:
                return Outcome("unavailable")
        # a student's function gets its arguments in order; a driver scenario, by name
        positional, named = ((), args) if function.startswith("driver:") else (tuple(args.values()), {})
        outcome = self.runner.call(function, positional, named, timeout or self.limits.call_seconds, timed)
        if outcome.kind in ("timeout", "crashed", "garbled"):
            self.stopped.add(function)
        return outcome

    def close(self) -> None:
        if self.runner:
            self.runner.close()
        if _series:
            self._start_the_next_ahead()  # unless one is on its way already

    def _start_the_next_ahead(self) -> None:
        session.start_ahead(self.limits, self.hidden, self.driver, self.imports)


def explain(outcome: Outcome, function: str, case: str, timeout: float, imports=()) -> str:
    """The student-facing sentence for a call that did not return. ``imports``: what
    the assignment allows, to explain an import of anything else."""
    if outcome.kind == "raised":
        error = outcome.error
        if error["type"] == "NotImplementedError":
            return say("call.not_implemented", function=function)
        missing = not_allowed(error, imports)
        if missing:
            return say("call.import_not_allowed", function=function, **missing)
        where = f" ({error['where'][-1]})" if error["where"] else ""
        return say("call.raised", function=function, type=error["type"], message=error["message"], where=where, case=case)
    if outcome.kind == "timeout":
        return say("call.timeout", function=function, seconds=timeout, case=case)
    return say(f"call.{outcome.kind}", function=function, case=case)


def not_allowed(error: dict, imports) -> dict:
    """For an import of a package the assignment does not allow (installed for the
    grader, absent from the sandbox): ``{"module", "allowed"}`` for the message; else {}."""
    module = str(error.get("module") or "").split(".")[0]
    if not module or not imports or module in imports or error.get("type") not in ("ModuleNotFoundError", "ImportError"):
        return {}
    try:
        installed = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        installed = False
    return {"module": module, "allowed": " and ".join(imports)} if installed else {}
