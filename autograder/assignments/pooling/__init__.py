"""Assignment ``pooling``: max and average pooling, forward and backward, in numpy."""
from autograder.assignments import Assignment, Budget
from autograder.config import DEFAULT_LIMITS


def _forward_inputs(rng):
    """Big enough for the notebook's loop over output positions to take tens of
    milliseconds; few examples and channels, so that a loop over them too still fits."""
    return {"x": rng.standard_normal((2, 80, 80, 2)), "pool_size": 2, "stride": 1, "mode": "max"}


def _backward_inputs(rng):
    """Overlapping max pooling: the notebook's loop over every output entry takes tens
    of milliseconds."""
    x = rng.standard_normal((2, 20, 20, 3))
    return {"dout": rng.standard_normal((2, 19, 19, 3)), "cache": (x, 2, 1, "max")}


ASSIGNMENT = Assignment(
    name="pooling",
    functions=("create_mask_from_window", "distribute_value", "pool_forward", "pool_backward"),
    # Every hidden input is tiny (a loop solution answers in milliseconds), so a call
    # still running after 3 s is a loop that never ends.
    limits=DEFAULT_LIMITS.with_overrides(call_seconds=3.0),
    budgets={
        "pool_forward": Budget(inputs=_forward_inputs),
        "pool_backward": Budget(inputs=_backward_inputs),
    },
)
