"""Assignment ``rnn_cells``: RNN, LSTM and GRU cells, forward and backward, in numpy."""
from functools import partial

from autograder.assignments import Assignment, Budget
from autograder.assignments.rnn_cells.cases import budget_inputs
from autograder.config import DEFAULT_LIMITS

SEQUENCE_FUNCTIONS = ("lstm_forward", "lstm_backward", "gru_forward", "gru_backward")

ASSIGNMENT = Assignment(
    name="rnn_cells",
    functions=("sigmoid", "rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward",
               "gru_cell_forward", "gru_cell_backward", *SEQUENCE_FUNCTIONS),
    # every graded call takes milliseconds: an infinite loop is stopped soon
    limits=DEFAULT_LIMITS.with_overrides(call_seconds=3.0),
    budgets={function: Budget(inputs=partial(budget_inputs, function)) for function in SEQUENCE_FUNCTIONS},
)
