"""Hidden tests of ``relu``: a list of cases, each with its points."""
import numpy as np
import pytest

from autograder.judge import Failure, check_array, check_budget, graded
from autograder.messages import say
from solutions import relu as reference

SHAPES = {"a vector": (7,), "a batch of images": (2, 5, 5, 3)}


@graded("relu", points=1.5)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_relu_values(student, rng, shape):
    """max(x, 0), elementwise"""
    x = rng.standard_normal(shape)
    result = student.call("relu", x=x)
    if isinstance(result.value, np.ndarray) and (result.value < 0).any():
        raise Failure(say("relu.negative_left", case=result.case))
    check_array(result.value, reference.relu(x), "the output", result.case)


@graded("relu", points=0.5)
def test_relu_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "relu", budgets,
                 verify=lambda result: check_array(result.value, reference.relu(**result.args), "the output",
                                                   result.case))


@graded("relu_backward", points=2)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_relu_backward_values(student, rng, shape):
    """dout where x > 0, else 0"""
    dout, x = rng.standard_normal(shape), rng.standard_normal(shape)
    result = student.call("relu_backward", dout=dout, x=x)
    check_array(result.value, reference.relu_backward(dout, x), "dx", result.case)
