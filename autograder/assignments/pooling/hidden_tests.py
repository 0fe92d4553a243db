"""Hidden tests of the ``pooling`` assignment: a list of cases, each with its points.

Which cases run, and their shapes, windows and strides, are fixed (``cases.py``); their
values are drawn at random from the run's seed, with what a case is about (ties, an
all-zero or all-negative window) there by construction. Expected values come from the
reference in ``solutions.pooling``. ``pool_backward`` gets a cache built here, exactly
the forward call's inputs, so a wrong forward costs nothing in the backward tests.
A check about something else than the values (a cache, the inputs left unchanged, a
ValueError, the time) checks the values first, and says so when they are what failed.
"""
import numpy as np
import pytest

from autograder.assignments.pooling.cases import CORNERS, WINDOWS, output_shape, pool_case, window, windows
from autograder.judge import (Failure, check_array, check_budget, check_int, check_unmodified, describe_case,
                              describe_value, expect_value_error, graded, unpack, values_before)
from autograder.messages import say
from solutions import pooling as reference

MODES = ("max", "average")




# create_mask_from_window -----------------------------------------------------------


@graded("create_mask_from_window", points=1.75)
@pytest.mark.parametrize("kind", WINDOWS)
def test_mask_marks_the_first_maximum(student, rng, kind):
    """True at exactly one place: the first maximum in row-major order"""
    for one in windows(rng, kind):
        verify_mask(student.call("create_mask_from_window", window=one))


@graded("create_mask_from_window", points=0.25)
def test_mask_keeps_window(student, rng):
    """leaves its input unchanged"""
    result = student.call("create_mask_from_window", window=window(rng, 3, "ties"))
    check_unmodified(result, "create_mask_from_window", verify=verify_mask)


def verify_mask(result):
    check_array(result.value, reference.create_mask_from_window(**result.args), "the mask", result.case)


# distribute_value ------------------------------------------------------------------


@graded("distribute_value", points=1.0)
@pytest.mark.parametrize("shape, dtype", [((2, 2), float), ((2, 3), float), ((1, 1), float), ((3, 3), np.float32),
                                          ((4, 2), np.float32)],
                         ids=["2x2 window", "rectangular window", "1x1 window", "float32", "float32, rectangular"])
def test_distribute_value(student, rng, shape, dtype):
    """every entry is dz / (f_h * f_w), in dz's dtype"""
    dz = dtype(rng.standard_normal())
    result = student.call("distribute_value", dz=dz, shape=shape)
    case = f"dz a {type(dz).__name__} number, shape={shape}"
    check_array(result.value, reference.distribute_value(dz, shape), "the result", case)


# pool_forward ----------------------------------------------------------------------


@graded("pool_forward", points=2.4)
@pytest.mark.parametrize("corner", CORNERS)
def test_forward_values(student, rng, corner):
    """out holds each window's maximum or mean"""
    for mode in MODES:
        verify_forward(student.call("pool_forward", **pool_case(rng, corner), mode=mode))


def verify_forward(result):
    out, _ = unpack(result.value, "pool_forward", ["out", "cache"], result.case)
    check_array(out, reference.pool_forward(**result.args)[0], "out", result.case)


@graded("pool_forward", points=0.5)
@pytest.mark.parametrize("mode", MODES)
def test_forward_cache(student, rng, mode):
    """cache is exactly (x, pool_size, stride, mode)"""
    inputs = {**pool_case(rng, "overlapping, stride that does not divide"), "mode": mode}
    result = student.call("pool_forward", **inputs)
    values_before(say("value.about_cache", name="cache"), verify_forward)(result)
    _, cache = result.value
    x, pool_size, stride, cached_mode = unpack(cache, "pool_forward's cache", ["x", "pool_size", "stride", "mode"],
                                               result.case)
    check_array(x, inputs["x"], "cache's x", result.case)
    check_int(pool_size, inputs["pool_size"], "cache's pool_size", result.case)
    check_int(stride, inputs["stride"], "cache's stride", result.case)
    if not (isinstance(cached_mode, str) and cached_mode == mode):
        got = repr(cached_mode[:40]) if isinstance(cached_mode, str) else describe_value(cached_mode)
        raise Failure(say("pooling.wrong_mode", name="cache's mode", got=got, expected=mode, case=result.case))


@graded("pool_forward", points=0.25)
@pytest.mark.parametrize("mode", MODES)
def test_forward_keeps_input(student, rng, mode):
    """leaves its input unchanged"""
    result = student.call("pool_forward", **pool_case(rng, "2x2 windows, stride 2"), mode=mode)
    check_unmodified(result, "pool_forward", verify=verify_forward)


@graded("pool_forward", points=0.6)
@pytest.mark.parametrize("bad, argument, change", [
    ("stride is 0", "stride", {"stride": 0}),
    ("stride is negative", "stride", {"stride": -2}),
    ("pool_size is 0", "pool_size", {"pool_size": 0}),
    ("pool_size is larger than the input's height", "pool_size", {"x": np.ones((1, 4, 6, 1)), "pool_size": 5}),
    ("pool_size is larger than the input's width", "pool_size", {"x": np.ones((1, 6, 4, 1)), "pool_size": 5}),
    ('mode is "avg"', "mode", {"mode": "avg"}),
    ('mode is "Max"', "mode", {"mode": "Max"}),
    ('mode is "mean"', "mode", {"mode": "mean"}),
], ids=["stride 0", "negative stride", "pool_size 0", "window taller than the input",
        "window wider than the input", "mode avg", "mode Max", "mode mean"])
def test_forward_rejects_bad_arguments(student, rng, bad, argument, change):
    """raises ValueError naming the bad argument (and pools good ones)"""
    inputs = {"x": rng.standard_normal((1, 4, 5, 2)), "pool_size": 2, "stride": 2, "mode": "max"}
    expect_value_error(student, "pool_forward", bad, argument, good=inputs, verify=verify_forward,
                       **{**inputs, **change})


@graded("pool_forward", points=0.25)
def test_forward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "pool_forward", budgets,
                 verify=verify_forward)


# pool_backward ---------------------------------------------------------------------


@graded("pool_backward", points=4.2)
@pytest.mark.parametrize("corner", CORNERS)
def test_backward_values(student, rng, corner):
    """dx is the gradient of the forward pass"""
    for mode in MODES:
        verify_backward(call_backward(student, rng, pool_case(rng, corner), mode))


@graded("pool_backward", points=0.3)
@pytest.mark.parametrize("mode", MODES)
def test_backward_keeps_inputs(student, rng, mode):
    """leaves dout and the cache unchanged"""
    result = call_backward(student, rng, pool_case(rng, "overlapping windows"), mode)
    check_unmodified(result, "pool_backward", verify=verify_backward)


def call_backward(student, rng, inputs, mode):
    x, f, s = inputs["x"], inputs["pool_size"], inputs["stride"]
    dout = rng.standard_normal(output_shape(x.shape, f, s)).astype(x.dtype)
    return student.call("pool_backward", dout=dout, cache=(x, f, s, mode))


def verify_backward(result):
    dout, cache = result.args["dout"], result.args["cache"]
    case = describe_case(dout=dout, **dict(zip(["x", "pool_size", "stride", "mode"], cache)))  # the cache by name
    check_array(result.value, reference.pool_backward(dout, cache), "dx", case)


@graded("pool_backward", points=0.5)
def test_backward_within_budget(student, budgets):
    """runs within the time budget"""
    check_budget(student, "pool_backward", budgets,
                 verify=verify_backward)
