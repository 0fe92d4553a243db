"""Hidden tests of the ``conv`` assignment: a list of cases, each with its points.

Which cases run, and their shapes and hyper-parameters, are fixed (``cases.py``); their
values are drawn at random from the run's seed, and expected values come from the
reference in ``solutions.conv``. Backward functions get a cache built here, exactly
the forward call's inputs, so a wrong forward costs nothing in the backward tests.
A check about something else than the values (a cache, the inputs left unchanged, a
ValueError, the time) checks the values first, and says so when they are what failed.
"""
import numpy as np
import pytest

from autograder.assignments.conv.cases import CORNERS, conv_case, output_size_cases
from autograder.judge import (check_array, check_budget, check_int, check_number, check_unmodified,
                              describe_case, expect_value_error, graded, unpack, values_before)
from autograder.messages import say
from solutions import conv as reference




# conv_output_size -----------------------------------------------------------------


def verify_output_size(result):
    check_int(result.value, reference.conv_output_size(**result.args), "the output size", result.case)


@graded("conv_output_size", points=0.5)
def test_output_size_values(student, rng):
    """returns (n + 2*pad - f) // stride + 1 as an int"""
    for n, f, pad, stride in output_size_cases(rng):
        verify_output_size(student.call("conv_output_size", n=n, f=f, pad=pad, stride=stride))


@graded("conv_output_size", points=0.5)
@pytest.mark.parametrize("bad, argument, change", [
    ("stride is 0", "stride", {"stride": 0}),
    ("pad is negative", "pad", {"pad": -1}),
    ("the kernel is larger than the padded input", "f", {"n": 3, "f": 6}),
], ids=["stride 0", "negative pad", "kernel too large"])
def test_output_size_rejects_bad_arguments(student, bad, argument, change):
    """raises ValueError naming the bad argument (and works on good ones)"""
    good = {"n": 8, "f": 3, "pad": 1, "stride": 2}
    expect_value_error(student, "conv_output_size", bad, argument, good=good, verify=verify_output_size,
                       **{**good, **change})


# zero_pad --------------------------------------------------------------------------


def verify_zero_pad(result):
    check_array(result.value, reference.zero_pad(**result.args), "x_pad", result.case)


@graded("zero_pad", points=0.5)
@pytest.mark.parametrize("pad, dtype", [(2, np.float64), (0, np.float64), (1, np.float32)],
                         ids=["pad 2", "pad 0", "float32"])
def test_zero_pad_values(student, rng, pad, dtype):
    """pads the two spatial axes with zeros"""
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)  # every axis its own size
    verify_zero_pad(student.call("zero_pad", x=x, pad=pad))


@graded("zero_pad", points=0.25)
def test_zero_pad_keeps_input(student, rng):
    """leaves its input unchanged"""
    result = student.call("zero_pad", x=rng.standard_normal((2, 3, 4, 2)), pad=1)
    check_unmodified(result, "zero_pad", verify=verify_zero_pad)


@graded("zero_pad", points=0.25)
def test_zero_pad_rejects_negative_pad(student, rng):
    """raises ValueError naming pad when pad is negative (and pads otherwise)"""
    x = rng.standard_normal((1, 3, 3, 1))
    expect_value_error(student, "zero_pad", "pad is negative", "pad", good={"x": x, "pad": 2}, verify=verify_zero_pad,
                       x=x, pad=-1)


# conv_single_step ------------------------------------------------------------------


def verify_single_step(result):
    x_slice = result.args["x_slice"]
    check_number(result.value, reference.conv_single_step(**result.args), "the result", result.case,
                 dtype=x_slice.dtype)


@graded("conv_single_step", points=0.75)
@pytest.mark.parametrize("shape, dtype", [((3, 3, 4), np.float64), ((2, 5, 3), np.float64), ((3, 2, 1), np.float32)],
                         ids=["3x3x4", "rectangular", "float32"])
def test_single_step_value(student, rng, shape, dtype):
    """sum(x_slice * w) + b, as a float"""
    x_slice, w = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    b = dtype(rng.standard_normal())
    verify_single_step(student.call("conv_single_step", x_slice=x_slice, w=w, b=b))


@graded("conv_single_step", points=0.25)
def test_single_step_keeps_inputs(student, rng):
    """leaves its inputs unchanged"""
    x_slice, w = rng.standard_normal((3, 3, 2)), rng.standard_normal((3, 3, 2))
    result = student.call("conv_single_step", x_slice=x_slice, w=w, b=0.5)
    check_unmodified(result, "conv_single_step", verify=verify_single_step)


# conv_forward ----------------------------------------------------------------------


def verify_forward(result):
    out, _ = unpack(result.value, "conv_forward", ["out", "cache"], result.case)
    check_array(out, reference.conv_forward(**result.args)[0], "out", result.case)


@graded("conv_forward", points=2.5)
@pytest.mark.parametrize("corner", CORNERS)
def test_forward_values(student, rng, corner):
    """out equals the cross-correlation plus bias"""
    verify_forward(student.call("conv_forward", **conv_case(rng, corner)))


@graded("conv_forward", points=0.5)
def test_forward_cache(student, rng):
    """cache is exactly (x, w, b, stride, pad)"""
    inputs = conv_case(rng, "stride 3, pad 2")
    result = student.call("conv_forward", **inputs)
    values_before(say("value.about_cache", name="cache"), verify_forward)(result)
    _, cache = unpack(result.value, "conv_forward", ["out", "cache"], result.case)
    cache_items = unpack(cache, "conv_forward's cache", ["x", "w", "b", "stride", "pad"], result.case)
    for name, item in zip(["x", "w", "b"], cache_items):
        check_array(item, inputs[name], f"cache's {name}", result.case)
    for name, item in zip(["stride", "pad"], cache_items[3:]):
        check_int(item, inputs[name], f"cache's {name}", result.case)


@graded("conv_forward", points=0.25)
def test_forward_keeps_inputs(student, rng):
    """leaves its inputs unchanged"""
    result = student.call("conv_forward", **conv_case(rng, "3x3 kernel, pad 1"))
    check_unmodified(result, "conv_forward", verify=verify_forward)


@graded("conv_forward", points=0.5)
@pytest.mark.parametrize("bad, argument, change", [
    ("stride is 0", "stride", {"stride": 0}),
    ("pad is negative", "pad", {"pad": -1}),
    ("the kernel is larger than the padded input", "w", {"w": np.ones((9, 2, 1, 1)), "pad": 0}),
], ids=["stride 0", "negative pad", "kernel too large"])
def test_forward_rejects_bad_arguments(student, rng, bad, argument, change):
    """raises ValueError naming the bad argument"""
    inputs = {"x": rng.standard_normal((1, 4, 4, 1)), "w": rng.standard_normal((2, 2, 1, 1)),
              "b": rng.standard_normal(1), "stride": 1, "pad": 0}
    expect_value_error(student, "conv_forward", bad, argument, good=inputs, verify=verify_forward,
                       **{**inputs, **change})


@graded("conv_forward", points=0.25)
def test_forward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "conv_forward", budgets,
                 verify=verify_forward)


# conv_backward ---------------------------------------------------------------------


@graded("conv_backward", points=4.0)
@pytest.mark.parametrize("corner", CORNERS)
def test_backward_values(student, rng, corner):
    """dx, dw and db equal the gradients of the forward pass"""
    verify_backward(call_backward(student, rng, conv_case(rng, corner)))


@graded("conv_backward", points=0.5)
def test_backward_keeps_inputs(student, rng):
    """leaves dout and the cache unchanged"""
    result = call_backward(student, rng, conv_case(rng, "stride 3, pad 2"))
    check_unmodified(result, "conv_backward", verify=verify_backward)


def call_backward(student, rng, inputs):
    out, cache = reference.conv_forward(**inputs)
    dout = rng.standard_normal(out.shape).astype(out.dtype)
    return student.call("conv_backward", dout=dout, cache=cache)


def verify_backward(result):
    dout, cache = result.args["dout"], result.args["cache"]
    case = describe_case(dout=dout, **dict(zip(["x", "w", "b", "stride", "pad"], cache)))  # the cache by name
    gradients = unpack(result.value, "conv_backward", ["dx", "dw", "db"], case)
    for name, value, expected in zip(["dx", "dw", "db"], gradients, reference.conv_backward(dout, cache)):
        check_array(value, expected, name, case)


@graded("conv_backward", points=0.5)
def test_backward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "conv_backward", budgets,
                 verify=verify_backward)
