"""Time budgets, calibrated on the grading machine before any student code runs.

A budget is a multiple of how long a plain loop implementation (the solution code in
the assignment's source notebook, which is written as a student would) takes on inputs
of the same size here, so that a fair implementation passes on a slow machine and a far
slower one fails on a fast machine. Both are counted in CPU time of the whole sandbox
(every process and thread it has), not in wall-clock time: what else runs on the
machine, another student's CPU burners included, does not change a verdict, and work
moved into a helper thread or process still counts. Every timed try draws fresh inputs,
so remembering an earlier answer gains nothing.

Budgets are measured once per machine and kept (``measured``, in ``kept``), with what they
were measured on: the processor, the Python and package versions, and the assignment's own
files. When any of that changes they are measured again.

The device a run is graded on is chosen here too (``device_for``): it decides which
budget table applies.
"""
import datetime
import hashlib
import os
import platform
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.assignments import Assignment
from autograder.judge import kept
from autograder.judge.checks import values_before
from autograder.judge.student import Failure, SandboxUnavailable, Student
from autograder.messages import say


@dataclass
class TimeBudgets:
    """What the hidden tests' ``budgets`` fixture holds."""

    assignment: Assignment
    seconds: dict  # {function: budget seconds on this machine}
    device: str
    seed: int = 0  # the grading's seed: the timed tries' inputs follow from it


TRIES = 2
GROWTH_SLACK = 2.0  # how much faster than the work an implementation's time may grow
# How it grows is asked only of an implementation this many times slower than the plain
# loop: the rule is for the pathological, and small times are counted in 10 ms ticks.
GROWTH_CHECKED_FROM = 3.0
# A timed call's wall-clock limit, in budgets: the verdict is on CPU time, and this only
# stops a call that hangs, so it leaves room for a machine shared with other gradings.
WALL_CLOCK_BUDGETS = 10


def check_budget(student, function: str, budgets: TimeBudgets, verify) -> None:
    """The function runs within its budget in CPU time (best of ``TRIES``, each on fresh
    inputs of the budget's size), its time grows no faster than the work (where the
    budget has a smaller size), and ``verify(result)`` accepts what it returned: a fast
    wrong answer earns nothing."""
    definition = budgets.assignment.budgets[function]
    verify = values_before(say("value.about_budget", function=function), verify)
    # none measured only where the notebook cannot be read: the call then says why
    seconds = budgets.seconds.get(function, 0.0)
    best, result = _best_time(student, function, definition.inputs, budgets, "budget", verify, seconds)
    plain_loop = (seconds - definition.allowance) / definition.factor[budgets.device]
    if definition.smaller is not None and definition.seconds is None and best > GROWTH_CHECKED_FROM * plain_loop:
        # slower than the plain loop: does its time grow faster than the work? (first: it says why)
        small, smaller = _best_time(student, function, definition.smaller, budgets, "smaller", verify, seconds)
        growth = best / max(small, MEASURABLE_SECONDS)
        if growth > GROWTH_SLACK * definition.work_ratio:
            raise Failure(say("budget.grows", function=function, seconds=best, case=result.case, small=small,
                              small_case=smaller.case, growth=growth, work=definition.work_ratio))
    if best > seconds:
        factor = definition.factor[budgets.device] if definition.seconds is None else 1
        raise Failure(say("budget.over", function=function, seconds=best, case=result.case, budget=seconds,
                          factor=factor))


MEASURABLE_SECONDS = 0.01  # the kernel counts processor time in ticks of 10 ms


def _best_time(student, function: str, inputs, budgets: TimeBudgets, size: str, verify, seconds: float):
    """The least CPU time of ``TRIES`` calls on fresh ``inputs`` (stopping at the first
    within ``seconds``), and the last call."""
    timeout = max(student.limits.call_seconds, WALL_CLOCK_BUDGETS * seconds)
    tries = []
    for attempt in range(TRIES):
        rng = np.random.default_rng([budgets.seed, zlib.crc32(f"{function} {size}".encode()), attempt])
        result = student.call(function, timeout=timeout, timed=True, **inputs(rng))
        verify(result)
        tries.append(result.cpu_seconds)
        if result.cpu_seconds <= seconds and size == "budget":
            break
    return min(tries), result


def calibrate(assignment: Assignment, device: str, seed: int = 0) -> dict:
    """``{function: budget seconds}`` for every budgeted function of ``assignment``.

    The plain loop solution runs in the same sandbox and is timed the same way as a
    student's code, so the wire's share of the time is in both. Call it before any
    student's sandbox starts. Raises :class:`CalibrationFailed`."""
    budgets = {}
    calibrated = {f: b for f, b in assignment.budgets.items() if b.seconds is None}
    for function, budget in assignment.budgets.items():
        if budget.seconds is not None:
            budgets[function] = float(budget.seconds[device])
    if not calibrated:
        return budgets
    try:
        plain_loop = Student(_source_program(assignment), assignment.limits, driver=assignment.driver,
                             imports=assignment.imports)
    except SandboxUnavailable as error:
        raise CalibrationFailed(str(error)) from None
    try:
        if not plain_loop.first_load.ok or plain_loop.first_load.errors:
            raise CalibrationFailed(f"the source notebook of {assignment.name} does not run: {plain_loop.first_load}")
        for function, budget in calibrated.items():
            times = []
            for attempt in range(3):
                inputs = budget.inputs(np.random.default_rng([seed, attempt]))
                try:
                    times.append(plain_loop.call(function, timed=True, **inputs).cpu_seconds)
                except Failure as error:
                    raise CalibrationFailed(f"{function} of the source notebook: {error}") from None
            budgets[function] = budget.factor[device] * min(times) + budget.allowance
    finally:
        plain_loop.close()
    return budgets


class CalibrationFailed(Exception):
    """The budgets could not be measured (the kit's own notebook, or no sandbox)."""


def measured(assignment: Assignment, device: str, fresh: bool = False) -> dict:
    """The budgets of ``assignment`` on this machine: kept from an earlier measurement
    on the same machine, software and assignment files, else measured now (``calibrate``)
    and kept. ``fresh``: measure again whatever is kept."""
    if not any(budget.seconds is None for budget in assignment.budgets.values()):
        return calibrate(assignment, device)  # fixed budgets: nothing to measure
    on = measured_on(assignment, device)
    path = kept.path_for(assignment.name, on, ".json")
    found = kept.read_json(path) if path and not fresh else None
    if found and found.get("measured_on") == on and isinstance(found.get("budgets"), dict):
        return {function: float(seconds) for function, seconds in found["budgets"].items()}
    budgets = calibrate(assignment, device)
    if path:
        kept.keep_json(path, {"measured_on": on, "budgets": budgets,
                              "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
    return budgets


def measured_on(assignment: Assignment, device: str) -> dict:
    """What a measurement depends on: when any of it changes, the budgets are measured again."""
    kit = hashlib.sha256()
    for path in (assignment.source_notebook, assignment.folder / "__init__.py"):
        kit.update(path.read_bytes())
    kit.update(repr(assignment.limits).encode())
    packages = kept.versions(("numpy", *assignment.imports))
    return {"assignment": assignment.name, "device": device, "processor": processor(), "cores": os.cpu_count(),
            "machine": platform.machine(), "python": platform.python_version(), "packages": packages,
            "kit": kit.hexdigest()}


def processor() -> str:
    """The processor's model name, as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _source_program(assignment: Assignment) -> list:
    from autograder import notebook

    source = assignment.notebook("source")
    return notebook.program(source, source).cells


def device_for(choice: str, assignment: Assignment) -> str:
    """``cpu`` or ``gpu``: the budget table to use (``auto``: whatever TensorFlow sees here)."""
    if choice != "auto":
        return choice
    if not any(budget.seconds for budget in assignment.budgets.values()):
        return "cpu"  # budgets calibrated here and now do not depend on the device
    return available_device()


def available_device() -> str:
    """``gpu`` when TensorFlow sees a GPU here, else ``cpu`` (asked in a child process,
    and only where a GPU device file exists: importing TensorFlow costs seconds)."""
    import subprocess
    import sys
    from pathlib import Path

    if not any(Path("/dev").glob("nvidia[0-9]*")) and not Path("/dev/dxg").exists():
        return "cpu"
    probe = subprocess.run(
        [sys.executable, "-c", "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))"],
        capture_output=True, text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )
    return "gpu" if probe.stdout.strip() not in ("", "0") else "cpu"
