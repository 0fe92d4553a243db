"""Time budgets, calibrated on the grading machine when grading starts.

A budget is a multiple of how long a plain loop implementation (the solution code in
the assignment's source notebook, which is written as a student would) takes on the
same inputs here and now, so that a fair implementation passes on a slow machine and a
far slower one fails on a fast machine.
"""
import time
from dataclasses import dataclass

import numpy as np

from autograder.assignments import Assignment
from autograder.judge.student import Failure, Student
from autograder.messages import say


@dataclass
class TimeBudgets:
    """What the hidden tests' ``budgets`` fixture holds."""

    assignment: Assignment
    seconds: dict  # {function: budget seconds on this machine}
    device: str


def check_budget(student, function: str, budgets: TimeBudgets, verify) -> None:
    """The function runs on its budget inputs within its budget (best of two tries), and
    ``verify(result)`` accepts what it returned: a fast wrong answer earns nothing."""
    definition = budgets.assignment.budgets[function]
    seconds = budgets.seconds[function]
    inputs = definition.inputs(np.random.default_rng(0))
    tries = []
    for _ in range(2):
        result = student.call(function, timeout=3 * seconds + 1, **inputs)
        verify(result)
        tries.append(result.seconds)
        if result.seconds <= seconds:
            return
    factor = definition.factor[budgets.device] if definition.seconds is None else 1
    raise Failure(say("budget.over", function=function, seconds=min(tries), case=result.case, budget=seconds,
                      factor=factor))


def calibrate(assignment: Assignment, device: str, seed: int = 0) -> dict:
    """``{function: budget seconds}`` for every budgeted function of ``assignment``.

    The plain loop solution runs in the same sandbox and is timed the same way as a
    student's code, so the wire's share of the time is in both."""
    budgets = {}
    calibrated = {f: b for f, b in assignment.budgets.items() if b.seconds is None}
    for function, budget in assignment.budgets.items():
        if budget.seconds is not None:
            budgets[function] = float(budget.seconds[device])
    if not calibrated:
        return budgets
    plain_loop = Student(_source_program(assignment), assignment.limits, driver=assignment.driver)
    try:
        if not plain_loop.first_load.ok or plain_loop.first_load.errors:
            raise RuntimeError(f"the source notebook of {assignment.name} does not run: {plain_loop.first_load}")
        for function, budget in calibrated.items():
            inputs = budget.inputs(np.random.default_rng(seed))
            fastest = min(plain_loop.call(function, **inputs).seconds for _ in range(3))
            budgets[function] = budget.factor[device] * fastest + budget.allowance
    finally:
        plain_loop.close()
    return budgets


def _source_program(assignment: Assignment) -> list:
    import nbformat

    from autograder import notebook

    source = nbformat.read(assignment.source_notebook, as_version=4)
    return notebook.program(source, source).cells
