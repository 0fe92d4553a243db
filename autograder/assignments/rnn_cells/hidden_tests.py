"""Hidden tests of the ``rnn_cells`` assignment: a table of checks, each with its points
(shared among its cases) and the cases it runs.

Inputs are drawn at random from the run's seed; expected values come from the
reference in ``solutions.rnn_cells``. Backward functions get caches built here, exactly
the forward call's inputs (for a sequence, the list of the reference's step caches),
so a wrong forward costs nothing in the backward tests. Every value test has float32
cases, so a float64 result for float32 inputs loses points there. The plumbing is in
``checks.py``. One test runs the whole table, so that checks come out function by function.
"""
import numpy as np
import pytest

from autograder.assignments.rnn_cells.checks import (budget_tries, check_call, check_caches, d_not_h, every_corner,
                                                     sigmoid_inputs, table_cases, verify)
from autograder.judge import Failure, check_array, check_budget, unpack
from autograder.messages import say
from solutions import rnn_cells as reference


def values(student, function, inputs, budgets):
    check_call(student, function, inputs)


def keeps_inputs(student, function, inputs, budgets):
    check_call(student, function, inputs, keeps_inputs=True)


def caches(student, function, inputs, budgets):
    check_caches(student, function, inputs)


def within_budget(student, function, inputs, budgets):
    check_budget(student, function, budgets, verify=verify(function))


def no_overflow_warning(student, function, inputs, budgets):
    result = student.drive("sigmoid_warnings", (function,), **inputs)
    value, caught = unpack(result.value, function, ["s", "warnings"], result.case)
    check_array(value, reference.sigmoid(**inputs), "sigmoid(z)", result.case)
    if caught:
        warning = str(caught[0])[:200] if isinstance(caught, list) else "?"
        raise Failure(say("rnn_cells.sigmoid_warned", warning=warning, case=result.case))


KEEPS = "leaves its inputs unchanged"
BUDGET = "runs within the time budget"

TABLE = [  # function, check, points, title (what students read), cases
    ("sigmoid", values, 0.5, "1 / (1 + exp(-z)), elementwise, also at |z| = 1000; z's shape and dtype kept",
     {"float64, 1-D": sigmoid_inputs(np.float64, 1), "float32, 2-D": sigmoid_inputs(np.float32, 2),
      "float64, 3-D": sigmoid_inputs(np.float64, 3)}),
    ("sigmoid", no_overflow_warning, 0.25, "right values and no RuntimeWarning for |z| up to 1000",
     {"float64": sigmoid_inputs(np.float64, 1), "float32": sigmoid_inputs(np.float32, 1)}),
    ("sigmoid", keeps_inputs, 0.25, "leaves z unchanged", {"": sigmoid_inputs(np.float64, 2)}),

    ("rnn_cell_forward", values, 1.5, "h_next equals tanh(x_t W + h_prev U + b)", every_corner),
    ("rnn_cell_forward", caches, 0.25, "cache is exactly (x_t, h_prev, params)", d_not_h),
    ("rnn_cell_forward", keeps_inputs, 0.25, KEEPS, d_not_h),

    ("rnn_cell_backward", values, 2.5, "dx_t, dh_prev and grads equal the gradients of the step", every_corner),
    ("rnn_cell_backward", keeps_inputs, 0.5, "leaves dh_next and the cache unchanged", d_not_h),

    ("lstm_cell_forward", values, 2.5, "h_next and c_next equal Keras' LSTMCell (gates i, f, g, o)", every_corner),
    ("lstm_cell_forward", caches, 0.25, "cache is exactly (x_t, h_prev, c_prev, params)", d_not_h),
    ("lstm_cell_forward", keeps_inputs, 0.25, KEEPS, d_not_h),

    ("lstm_cell_backward", values, 3.5, "dx_t, dh_prev, dc_prev and grads equal the gradients of the step",
     every_corner),
    ("lstm_cell_backward", keeps_inputs, 0.5, "leaves dh_next, dc_next and the cache unchanged", d_not_h),

    ("gru_cell_forward", values, 2.5, "h_next equals Keras' GRUCell (gates z, r, h)", every_corner),
    ("gru_cell_forward", caches, 0.25, "cache is exactly (x_t, h_prev, params, reset_after)", d_not_h),
    ("gru_cell_forward", keeps_inputs, 0.25, KEEPS, d_not_h),

    ("gru_cell_backward", values, 3.5, "dx_t, dh_prev and grads equal the gradients of the step", every_corner),
    ("gru_cell_backward", keeps_inputs, 0.5, "leaves dh_next and the cache unchanged", d_not_h),

    ("lstm_forward", values, 1.25, "h_seq and c_last equal Keras' LSTM(return_sequences=True)", every_corner),
    ("lstm_forward", caches, 0.25, "caches is the list of the step caches (x[:, t], h, c, params)", d_not_h),
    ("lstm_forward", keeps_inputs, 0.25, KEEPS, d_not_h),
    ("lstm_forward", within_budget, 0.25, BUDGET, budget_tries),

    ("lstm_backward", values, 3.0, "dx, dh0, dc0 and grads (summed over time) equal the gradients of the sequence",
     every_corner),
    ("lstm_backward", keeps_inputs, 0.5, "leaves dh_seq and the caches unchanged", d_not_h),
    ("lstm_backward", within_budget, 0.5, BUDGET, budget_tries),

    ("gru_forward", values, 1.25, "h_seq equals Keras' GRU(return_sequences=True)", every_corner),
    ("gru_forward", caches, 0.25, "caches is the list of the step caches (x[:, t], h, params, reset_after)", d_not_h),
    ("gru_forward", keeps_inputs, 0.25, KEEPS, d_not_h),
    ("gru_forward", within_budget, 0.25, BUDGET, budget_tries),

    ("gru_backward", values, 3.0, "dx, dh0 and grads (summed over time) equal the gradients of the sequence",
     every_corner),
    ("gru_backward", keeps_inputs, 0.5, "leaves dh_seq and the caches unchanged", d_not_h),
    ("gru_backward", within_budget, 0.5, BUDGET, budget_tries),
]


@pytest.mark.parametrize("function, check, inputs", table_cases(TABLE))
def test_table(student, rng, budgets, function, check, inputs):
    """a case of a row of TABLE (its mark names the check: the row's title and the case)"""
    check(student, function, inputs(rng), budgets)
