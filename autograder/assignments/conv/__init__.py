"""Assignment ``conv``: convolution forward and backward, step by step, in numpy."""
from autograder.assignments import Assignment, Budget


def _forward_inputs(rng):
    """Big enough for a plain loop implementation to take tens of milliseconds."""
    return {
        "x": rng.standard_normal((4, 16, 16, 3)),
        "w": rng.standard_normal((3, 3, 3, 8)),
        "b": rng.standard_normal(8),
        "stride": 1,
        "pad": 1,
    }


def _backward_inputs(rng):
    forward = _forward_inputs(rng)
    return {"dout": rng.standard_normal((4, 16, 16, 8)), "cache": tuple(forward.values())}


ASSIGNMENT = Assignment(
    name="conv",
    functions=("conv_output_size", "zero_pad", "conv_single_step", "conv_forward", "conv_backward"),
    budgets={
        "conv_forward": Budget(inputs=_forward_inputs),
        "conv_backward": Budget(inputs=_backward_inputs),
    },
)
