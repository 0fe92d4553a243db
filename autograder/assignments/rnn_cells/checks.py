"""The plumbing of the ``rnn_cells`` hidden tests: the cases a row of their table runs,
the table made into pytest cases, and the checks of a call against the reference.

A row is ``(function, check, points, title, cases)``: ``cases`` maps a case's name ("" for
a row of one case, named by its title alone) to ``inputs(rng)``, or is a function of the
contract function giving that map. A row's points are shared among its cases. A check
about something else than the values (a cache, the inputs left unchanged, the time)
checks the values first, and says so when they are what failed.
"""
import itertools
from functools import partial

import numpy as np
import pytest

from autograder.assignments.rnn_cells.cases import CORNERS, case, sigmoid_case
from autograder.judge import (Failure, Scalar, check_array, check_arrays, check_unmodified, describe_case,
                              describe_value, graded, unpack, values_before)
from autograder.messages import say
from solutions import rnn_cells as reference

OUTPUTS = {
    "rnn_cell_forward": ("h_next", "cache"),
    "rnn_cell_backward": ("dx_t", "dh_prev", "grads"),
    "lstm_cell_forward": ("h_next", "c_next", "cache"),
    "lstm_cell_backward": ("dx_t", "dh_prev", "dc_prev", "grads"),
    "gru_cell_forward": ("h_next", "cache"),
    "gru_cell_backward": ("dx_t", "dh_prev", "grads"),
    "lstm_forward": ("h_seq", "c_last", "caches"),
    "lstm_backward": ("dx", "dh0", "dc0", "grads"),
    "gru_forward": ("h_seq", "caches"),
    "gru_backward": ("dx", "dh0", "grads"),
}
CACHE_ITEMS = {
    "rnn": ("x_t", "h_prev", "params"),
    "lstm": ("x_t", "h_prev", "c_prev", "params"),
    "gru": ("x_t", "h_prev", "params", "reset_after"),
}

# ----------------------------------------------------------------------------- cases


def every_corner(function: str) -> dict:
    """Every corner of ``CORNERS``; a GRU's alternately with each ``reset_after`` (float32
    comes with both)."""
    if function.startswith("gru"):
        return {f"{corner}, reset_after={reset_after}": partial(case, function, corner=corner, reset_after=reset_after)
                for corner, reset_after in zip(CORNERS, itertools.cycle([True, False]))}
    return {corner: partial(case, function, corner=corner) for corner in CORNERS}


def d_not_h(function: str) -> dict:
    """The corner "D != H": one case, or for a GRU one with each ``reset_after``."""
    if function.startswith("gru"):
        return {f"reset_after={reset_after}": partial(case, function, corner="D != H", reset_after=reset_after)
                for reset_after in (True, False)}
    return {"": partial(case, function, corner="D != H")}


def sigmoid_inputs(dtype, ndim: int):
    """``inputs(rng)`` of a sigmoid case: ``z`` of ``ndim`` axes, with |z| up to 1000."""
    return partial(sigmoid_case, dtype=dtype, ndim=ndim)


def budget_tries(function: str) -> dict:
    """A time budget's one case: it draws fresh inputs for each try itself."""
    return {"": lambda rng: None}


def table_cases(table: list) -> list:
    """``pytest.param(function, check, inputs)`` for every case of every row, in the
    table's order, each marked with its row's function, points, title and its name."""
    params = []
    for function, check, points, title, cases in table:
        for name, inputs in (cases(function) if callable(cases) else cases).items():
            params.append(pytest.param(function, check, inputs, marks=graded(function, points, title, name),
                                       id="-".join(filter(None, (function, check.__name__, name)))))
    return params


# ----------------------------------------------------------------------------- checks


def describe(function: str, args: dict) -> str:
    """The case in words: shapes and flags, a cache's items by name, never values."""
    kind, named = function.split("_")[0], {}
    for name, value in args.items():
        if name == "cache":
            named.update(zip(CACHE_ITEMS[kind], value))
        elif name == "caches":
            named[name] = value
            named.update((k, v) for k, v in zip(CACHE_ITEMS[kind], value[0]) if k in ("params", "reset_after"))
        else:
            named[name] = value
    return describe_case(**named)


def verify(function: str):
    """A check of one returned call of ``function`` against the reference (caches aside)."""

    def check(result):
        case_text, expected = describe(function, result.args), getattr(reference, function)(**result.args)
        if function == "sigmoid":
            return check_array(result.value, expected, "sigmoid(z)", case_text)
        names = OUTPUTS[function]
        for name, value, want in zip(names, unpack(result.value, function, list(names), case_text), expected):
            if name == "grads":
                check_arrays(value, want, "grads", case_text)
            elif not name.startswith("cache"):
                check_array(value, want, name, case_text)

    return check




def check_call(student, function: str, inputs: dict, keeps_inputs=False):
    """Call ``function``, check what it returns (caches aside); with ``keeps_inputs``,
    then check that its inputs are as they were sent."""
    result = student.call(function, **inputs)
    if keeps_inputs:
        check_unmodified(result, function, verify=verify(function))
    else:
        verify(function)(result)
    return result


def check_cache(cache, expected: tuple, kind: str, label: str, case_text: str) -> None:
    """``cache`` is the tuple of the forward call's inputs ``expected``."""
    names = CACHE_ITEMS[kind]
    for name, item, want in zip(names, unpack(cache, label, list(names), case_text), expected):
        where = f"{label}'s {name}"
        if isinstance(want, dict):
            check_arrays(item, want, where, case_text)
        elif isinstance(want, np.ndarray):
            check_array(item, want, where, case_text)
        elif not (isinstance(item, Scalar) and item.value == want):
            got = item.value if isinstance(item, Scalar) else describe_value(item)
            raise Failure(say("rnn_cells.wrong_flag", name=where, got=got, expected=want, case=case_text))


def check_caches(student, function: str, inputs: dict) -> None:
    """The values first, then the cache a forward function returns last: a cell's is
    exactly its inputs; a sequence's is the list of every step cache (x[:, t], the states
    before step t, ...)."""
    result = student.call(function, **inputs)
    label = "cache" if "_cell_" in function else "caches"
    values_before(say("value.about_cache", name=label), verify(function))(result)
    case_text, kind = describe(function, inputs), function.split("_")[0]
    if "_cell_" in function:
        return check_cache(result.value[-1], tuple(inputs.values()), kind, "cache", case_text)
    caches, expected = result.value[-1], getattr(reference, function)(**inputs)[-1]
    if not isinstance(caches, (list, tuple)) or len(caches) != len(expected):
        raise Failure(say("rnn_cells.wrong_caches", steps=len(expected), got=describe_value(caches), case=case_text))
    for t, (cache, want) in enumerate(zip(caches, expected)):
        check_cache(cache, want, kind, f"caches[{t}]", case_text)
