"""Assignment ``relu``: the rectifier forward and backward, in numpy."""
from autograder.assignments import Assignment, Budget


def _inputs(rng):
    return {"x": rng.standard_normal((64, 64, 16))}


ASSIGNMENT = Assignment(name="relu", functions=("relu", "relu_backward"), budgets={"relu": Budget(inputs=_inputs)})
