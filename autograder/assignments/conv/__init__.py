"""Assignment ``conv``: convolution forward and backward, step by step, in numpy."""
from functools import partial

from autograder.assignments import Assignment, Budget


def _forward_inputs(rng, side: int = 96):
    """One image with many positions and little work at each (4 channels, one kernel):
    a plain loop takes tens of milliseconds, and time that grows faster than the number
    of positions shows."""
    return {
        "x": rng.standard_normal((1, side, side, 4)),
        "w": rng.standard_normal((3, 3, 4, 1)),
        "b": rng.standard_normal(1),
        "stride": 1,
        "pad": 1,
    }


def _backward_inputs(rng, side: int = 96):
    forward = _forward_inputs(rng, side)
    return {"dout": rng.standard_normal((1, side, side, 1)), "cache": tuple(forward.values())}


ASSIGNMENT = Assignment(
    name="conv",
    functions=("conv_output_size", "zero_pad", "conv_single_step", "conv_forward", "conv_backward"),
    budgets={
        # the smaller sizes: half the side, a quarter of the work
        "conv_forward": Budget(inputs=_forward_inputs, smaller=partial(_forward_inputs, side=48)),
        "conv_backward": Budget(inputs=_backward_inputs, smaller=partial(_backward_inputs, side=48)),
    },
)
