"""Assignment ``pooling``: max and average pooling, forward and backward, in numpy."""
from functools import partial

from autograder.assignments import Assignment, Budget
from autograder.config import DEFAULT_LIMITS


def _forward_inputs(rng, side: int = 160):
    """Overlapping windows over many positions: the notebook's loop over output positions
    takes tens of milliseconds, and time that grows faster than the positions shows."""
    return {"x": rng.standard_normal((1, side, side, 2)), "pool_size": 2, "stride": 1, "mode": "max"}


def _backward_inputs(rng, side: int = 40):
    """Overlapping max pooling: the notebook's loop over every output entry takes tens
    of milliseconds."""
    x = rng.standard_normal((2, side, side, 3))
    return {"dout": rng.standard_normal((2, side - 1, side - 1, 3)), "cache": (x, 2, 1, "max")}


ASSIGNMENT = Assignment(
    name="pooling",
    functions=("create_mask_from_window", "distribute_value", "pool_forward", "pool_backward"),
    # Every hidden input is tiny (a loop solution answers in milliseconds), so a call
    # still running after 3 s is a loop that never ends.
    limits=DEFAULT_LIMITS.with_overrides(call_seconds=3.0),
    budgets={
        # the smaller sizes: half the side, about a quarter of the work
        "pool_forward": Budget(inputs=_forward_inputs, smaller=partial(_forward_inputs, side=80)),
        "pool_backward": Budget(inputs=_backward_inputs, smaller=partial(_backward_inputs, side=20)),
    },
)
