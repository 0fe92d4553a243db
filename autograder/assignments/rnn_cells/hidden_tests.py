"""Hidden tests of the ``rnn_cells`` assignment: a list of cases, each with its points.

Inputs are drawn at random from the run's seed; expected values come from the
reference in ``solutions.rnn_cells``. Backward functions get caches built here, exactly
the forward call's inputs (for a sequence, the list of the reference's step caches),
so a wrong forward costs nothing in the backward tests. Every value test has float32
cases, so a float64 result for float32 inputs loses points there.
"""
import itertools

import numpy as np
import pytest

from autograder.assignments.rnn_cells.cases import CORNERS, case, sigmoid_case
from autograder.judge import (Failure, Scalar, check_array, check_arrays, check_budget, check_unmodified,
                             describe_case, describe_value, graded, unpack)
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
RESET_AFTER = [True, False]
RESET_IDS = ["reset_after=True", "reset_after=False"]
# each GRU corner with one variant, alternately: float32 comes with both
GRU_CASES = list(zip(CORNERS, itertools.cycle(RESET_AFTER)))
GRU_IDS = [f"{corner}, reset_after={reset_after}" for corner, reset_after in GRU_CASES]


def check_call(student, function: str, inputs: dict, keeps_inputs=False):
    """Call ``function``, check what it returns (caches aside); with ``keeps_inputs``,
    then check that its inputs are as they were sent."""
    result = student.call(function, **inputs)
    verify(function)(result)
    if keeps_inputs:
        check_unmodified(result, function)
    return result


def verify(function: str):
    """A check of one returned call of ``function`` against the reference."""

    def check(result):
        names, case_text = OUTPUTS[function], describe(function, result.args)
        values = unpack(result.value, function, list(names), case_text)
        for name, value, expected in zip(names, values, getattr(reference, function)(**result.args)):
            if name == "grads":
                check_arrays(value, expected, "grads", case_text)
            elif not name.startswith("cache"):
                check_array(value, expected, name, case_text)

    return check


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


def check_forward_caches(student, function: str, inputs: dict) -> None:
    """The values first, then every step cache: (x[:, t], the states before step t, ...)."""
    result = check_call(student, function, inputs)
    case_text, kind = describe(function, inputs), function.split("_")[0]
    caches = result.value[-1]
    expected = getattr(reference, function)(**inputs)[-1]
    if not isinstance(caches, (list, tuple)) or len(caches) != len(expected):
        raise Failure(say("rnn_cells.wrong_caches", steps=len(expected), got=describe_value(caches), case=case_text))
    for t, (cache, want) in enumerate(zip(caches, expected)):
        check_cache(cache, want, kind, f"caches[{t}]", case_text)


# sigmoid ---------------------------------------------------------------------------


@graded("sigmoid", points=0.5)
@pytest.mark.parametrize("dtype, ndim", [(np.float64, 1), (np.float32, 2), (np.float64, 3)],
                         ids=["float64, 1-D", "float32, 2-D", "float64, 3-D"])
def test_sigmoid_values(student, rng, dtype, ndim):
    """1 / (1 + exp(-z)), elementwise, also at |z| = 1000; z's shape and dtype kept"""
    inputs = sigmoid_case(rng, dtype, ndim)
    result = student.call("sigmoid", **inputs)
    check_array(result.value, reference.sigmoid(inputs["z"]), "sigmoid(z)", result.case)


@graded("sigmoid", points=0.25)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sigmoid_no_overflow_warning(student, rng, dtype):
    """right values and no RuntimeWarning for |z| up to 1000"""
    z = sigmoid_case(rng, dtype, 1)["z"]
    result = student.drive("sigmoid_warnings", ("sigmoid",), z=z)
    value, caught = unpack(result.value, "sigmoid", ["s", "warnings"], result.case)
    check_array(value, reference.sigmoid(z), "sigmoid(z)", result.case)
    if caught:
        warning = str(caught[0])[:200] if isinstance(caught, list) else "?"
        raise Failure(say("rnn_cells.sigmoid_warned", warning=warning, case=result.case))


@graded("sigmoid", points=0.25)
def test_sigmoid_keeps_input(student, rng):
    """leaves z unchanged"""
    inputs = sigmoid_case(rng, np.float64, 2)
    result = student.call("sigmoid", **inputs)
    check_array(result.value, reference.sigmoid(inputs["z"]), "sigmoid(z)", result.case)
    check_unmodified(result, "sigmoid")


# rnn_cell_forward ------------------------------------------------------------------


@graded("rnn_cell_forward", points=1.5)
@pytest.mark.parametrize("corner", CORNERS)
def test_rnn_cell_forward_values(student, rng, corner):
    """h_next equals tanh(x_t W + h_prev U + b)"""
    check_call(student, "rnn_cell_forward", case("rnn_cell_forward", rng, corner))


@graded("rnn_cell_forward", points=0.25)
def test_rnn_cell_forward_cache(student, rng):
    """cache is exactly (x_t, h_prev, params)"""
    inputs = case("rnn_cell_forward", rng, "D != H")
    result = check_call(student, "rnn_cell_forward", inputs)
    check_cache(result.value[-1], tuple(inputs.values()), "rnn", "cache", describe("rnn_cell_forward", inputs))


@graded("rnn_cell_forward", points=0.25)
def test_rnn_cell_forward_keeps_inputs(student, rng):
    """leaves its inputs unchanged"""
    check_call(student, "rnn_cell_forward", case("rnn_cell_forward", rng, "D != H"), keeps_inputs=True)


# rnn_cell_backward -----------------------------------------------------------------


@graded("rnn_cell_backward", points=2.5)
@pytest.mark.parametrize("corner", CORNERS)
def test_rnn_cell_backward_values(student, rng, corner):
    """dx_t, dh_prev and grads equal the gradients of the step"""
    check_call(student, "rnn_cell_backward", case("rnn_cell_backward", rng, corner))


@graded("rnn_cell_backward", points=0.5)
def test_rnn_cell_backward_keeps_inputs(student, rng):
    """leaves dh_next and the cache unchanged"""
    check_call(student, "rnn_cell_backward", case("rnn_cell_backward", rng, "D != H"), keeps_inputs=True)


# lstm_cell_forward -----------------------------------------------------------------


@graded("lstm_cell_forward", points=2.5)
@pytest.mark.parametrize("corner", CORNERS)
def test_lstm_cell_forward_values(student, rng, corner):
    """h_next and c_next equal Keras' LSTMCell (gates i, f, g, o)"""
    check_call(student, "lstm_cell_forward", case("lstm_cell_forward", rng, corner))


@graded("lstm_cell_forward", points=0.25)
def test_lstm_cell_forward_cache(student, rng):
    """cache is exactly (x_t, h_prev, c_prev, params)"""
    inputs = case("lstm_cell_forward", rng, "D != H")
    result = check_call(student, "lstm_cell_forward", inputs)
    check_cache(result.value[-1], tuple(inputs.values()), "lstm", "cache", describe("lstm_cell_forward", inputs))


@graded("lstm_cell_forward", points=0.25)
def test_lstm_cell_forward_keeps_inputs(student, rng):
    """leaves its inputs unchanged"""
    check_call(student, "lstm_cell_forward", case("lstm_cell_forward", rng, "D != H"), keeps_inputs=True)


# lstm_cell_backward ----------------------------------------------------------------


@graded("lstm_cell_backward", points=3.5)
@pytest.mark.parametrize("corner", CORNERS)
def test_lstm_cell_backward_values(student, rng, corner):
    """dx_t, dh_prev, dc_prev and grads equal the gradients of the step"""
    check_call(student, "lstm_cell_backward", case("lstm_cell_backward", rng, corner))


@graded("lstm_cell_backward", points=0.5)
def test_lstm_cell_backward_keeps_inputs(student, rng):
    """leaves dh_next, dc_next and the cache unchanged"""
    check_call(student, "lstm_cell_backward", case("lstm_cell_backward", rng, "D != H"), keeps_inputs=True)


# gru_cell_forward ------------------------------------------------------------------


@graded("gru_cell_forward", points=2.5)
@pytest.mark.parametrize("corner, reset_after", GRU_CASES, ids=GRU_IDS)
def test_gru_cell_forward_values(student, rng, corner, reset_after):
    """h_next equals Keras' GRUCell (gates z, r, h)"""
    check_call(student, "gru_cell_forward", case("gru_cell_forward", rng, corner, reset_after))


@graded("gru_cell_forward", points=0.25)
@pytest.mark.parametrize("reset_after", RESET_AFTER, ids=RESET_IDS)
def test_gru_cell_forward_cache(student, rng, reset_after):
    """cache is exactly (x_t, h_prev, params, reset_after)"""
    inputs = case("gru_cell_forward", rng, "D != H", reset_after)
    result = check_call(student, "gru_cell_forward", inputs)
    check_cache(result.value[-1], tuple(inputs.values()), "gru", "cache", describe("gru_cell_forward", inputs))


@graded("gru_cell_forward", points=0.25)
@pytest.mark.parametrize("reset_after", RESET_AFTER, ids=RESET_IDS)
def test_gru_cell_forward_keeps_inputs(student, rng, reset_after):
    """leaves its inputs unchanged"""
    check_call(student, "gru_cell_forward", case("gru_cell_forward", rng, "D != H", reset_after), keeps_inputs=True)


# gru_cell_backward -----------------------------------------------------------------


@graded("gru_cell_backward", points=3.5)
@pytest.mark.parametrize("corner, reset_after", GRU_CASES, ids=GRU_IDS)
def test_gru_cell_backward_values(student, rng, corner, reset_after):
    """dx_t, dh_prev and grads equal the gradients of the step"""
    check_call(student, "gru_cell_backward", case("gru_cell_backward", rng, corner, reset_after))


@graded("gru_cell_backward", points=0.5)
@pytest.mark.parametrize("reset_after", RESET_AFTER, ids=RESET_IDS)
def test_gru_cell_backward_keeps_inputs(student, rng, reset_after):
    """leaves dh_next and the cache unchanged"""
    inputs = case("gru_cell_backward", rng, "D != H", reset_after)
    check_call(student, "gru_cell_backward", inputs, keeps_inputs=True)


# lstm_forward ----------------------------------------------------------------------


@graded("lstm_forward", points=1.25)
@pytest.mark.parametrize("corner", CORNERS)
def test_lstm_forward_values(student, rng, corner):
    """h_seq and c_last equal Keras' LSTM(return_sequences=True)"""
    check_call(student, "lstm_forward", case("lstm_forward", rng, corner))


@graded("lstm_forward", points=0.25)
def test_lstm_forward_caches(student, rng):
    """caches is the list of the step caches (x[:, t], h, c, params)"""
    check_forward_caches(student, "lstm_forward", case("lstm_forward", rng, "D != H"))


@graded("lstm_forward", points=0.25)
def test_lstm_forward_keeps_inputs(student, rng):
    """leaves its inputs unchanged"""
    check_call(student, "lstm_forward", case("lstm_forward", rng, "D != H"), keeps_inputs=True)


@graded("lstm_forward", points=0.25)
def test_lstm_forward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "lstm_forward", budgets, verify=verify("lstm_forward"))


# lstm_backward ---------------------------------------------------------------------


@graded("lstm_backward", points=3.0)
@pytest.mark.parametrize("corner", CORNERS)
def test_lstm_backward_values(student, rng, corner):
    """dx, dh0, dc0 and grads (summed over time) equal the gradients of the sequence"""
    check_call(student, "lstm_backward", case("lstm_backward", rng, corner))


@graded("lstm_backward", points=0.5)
def test_lstm_backward_keeps_inputs(student, rng):
    """leaves dh_seq and the caches unchanged"""
    check_call(student, "lstm_backward", case("lstm_backward", rng, "D != H"), keeps_inputs=True)


@graded("lstm_backward", points=0.5)
def test_lstm_backward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "lstm_backward", budgets, verify=verify("lstm_backward"))


# gru_forward -----------------------------------------------------------------------


@graded("gru_forward", points=1.25)
@pytest.mark.parametrize("corner, reset_after", GRU_CASES, ids=GRU_IDS)
def test_gru_forward_values(student, rng, corner, reset_after):
    """h_seq equals Keras' GRU(return_sequences=True)"""
    check_call(student, "gru_forward", case("gru_forward", rng, corner, reset_after))


@graded("gru_forward", points=0.25)
@pytest.mark.parametrize("reset_after", RESET_AFTER, ids=RESET_IDS)
def test_gru_forward_caches(student, rng, reset_after):
    """caches is the list of the step caches (x[:, t], h, params, reset_after)"""
    check_forward_caches(student, "gru_forward", case("gru_forward", rng, "D != H", reset_after))


@graded("gru_forward", points=0.25)
@pytest.mark.parametrize("reset_after", RESET_AFTER, ids=RESET_IDS)
def test_gru_forward_keeps_inputs(student, rng, reset_after):
    """leaves its inputs unchanged"""
    check_call(student, "gru_forward", case("gru_forward", rng, "D != H", reset_after), keeps_inputs=True)


@graded("gru_forward", points=0.25)
def test_gru_forward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "gru_forward", budgets, verify=verify("gru_forward"))


# gru_backward ----------------------------------------------------------------------


@graded("gru_backward", points=3.0)
@pytest.mark.parametrize("corner, reset_after", GRU_CASES, ids=GRU_IDS)
def test_gru_backward_values(student, rng, corner, reset_after):
    """dx, dh0 and grads (summed over time) equal the gradients of the sequence"""
    check_call(student, "gru_backward", case("gru_backward", rng, corner, reset_after))


@graded("gru_backward", points=0.5)
@pytest.mark.parametrize("reset_after", RESET_AFTER, ids=RESET_IDS)
def test_gru_backward_keeps_inputs(student, rng, reset_after):
    """leaves dh_seq and the caches unchanged"""
    check_call(student, "gru_backward", case("gru_backward", rng, "D != H", reset_after), keeps_inputs=True)


@graded("gru_backward", points=0.5)
def test_gru_backward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "gru_backward", budgets, verify=verify("gru_backward"))
