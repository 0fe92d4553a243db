"""The `conv` reference agrees with TensorFlow, with finite differences and with the notebook.

Oracles: tf.nn.conv2d(zero_pad(x, pad), w, stride, "VALID") + b for the forward
pass, tf.GradientTape for the backward pass, centered finite differences
(float64) for the backward pass again. The source notebook's own solution code
must agree with the reference on the same cases.
"""
import numpy as np
import pytest

from autograder.assignments.conv import ASSIGNMENT
from autograder.assignments.oracle_fixtures import tf  # noqa: F401 (a fixture)
from autograder.assignments.testing import numerical_gradient, solution_namespace
from autograder.judge.tolerances import tolerance_for
from solutions import conv


def make_case(rng, N, H, W, C_in, C_out, kh, kw, stride, pad, dtype):
    """Random inputs of one convolution: x, w, b and an upstream gradient dout."""
    H_out = (H + 2 * pad - kh) // stride + 1
    W_out = (W + 2 * pad - kw) // stride + 1
    draw = lambda *shape: rng.standard_normal(shape).astype(dtype)
    return dict(x=draw(N, H, W, C_in), w=draw(kh, kw, C_in, C_out), b=draw(C_out),
                dout=draw(N, H_out, W_out, C_out), stride=stride, pad=pad)


def describe(case):
    x, w = case["x"], case["w"]
    return f"x{x.shape} w{w.shape} stride={case['stride']} pad={case['pad']} {x.dtype}"


def random_cases(seed=0, count=30):
    rng = np.random.default_rng(seed)
    # The corners first: rectangular kernel with a stride that does not divide,
    # 1x1 kernel, batch of one, pad=0, a kernel that fits only thanks to padding.
    fixed = [
        (2, 7, 6, 3, 4, 3, 2, 2, 1, np.float64),
        (1, 5, 5, 2, 3, 1, 1, 1, 0, np.float32),
        (1, 8, 7, 1, 2, 3, 3, 3, 0, np.float64),
        (3, 4, 6, 2, 2, 2, 4, 3, 2, np.float32),
        (1, 3, 3, 2, 1, 5, 5, 1, 1, np.float64),
    ]
    cases = [make_case(rng, *args) for args in fixed]
    while len(cases) < count:
        kh, kw = rng.integers(1, 5, size=2)
        pad, stride = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        H = int(rng.integers(max(1, kh - 2 * pad), 9))
        W = int(rng.integers(max(1, kw - 2 * pad), 9))
        N, C_in, C_out = (int(v) for v in rng.integers(1, 4, size=3))
        dtype = (np.float32, np.float64)[len(cases) % 2]
        cases.append(make_case(rng, N, H, W, C_in, C_out, int(kh), int(kw), stride, pad, dtype))
    return cases


CASES = random_cases()
IDS = [describe(c) for c in CASES]


@pytest.fixture(scope="module")
def notebook():
    return solution_namespace("conv")


def tf_conv(tf, case):
    """out and (dx, dw, db) from TensorFlow, with dout as the upstream gradient."""
    x, w, b = (tf.constant(case[k]) for k in ("x", "w", "b"))
    with tf.GradientTape() as tape:
        tape.watch([x, w, b])
        xpad = tf.pad(x, [[0, 0], [case["pad"]] * 2, [case["pad"]] * 2, [0, 0]])
        out = tf.nn.conv2d(xpad, w, case["stride"], "VALID") + b
    grads = tape.gradient(out, [x, w, b], output_gradients=tf.constant(case["dout"]))
    return out.numpy(), [g.numpy() for g in grads]


def assert_same(actual, expected, name, case):
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape} ({describe(case)})"
    assert actual.dtype == expected.dtype, f"{name}: dtype {actual.dtype} != {expected.dtype} ({describe(case)})"
    np.testing.assert_allclose(actual, expected, **tolerance_for(expected.dtype), err_msg=f"{name} ({describe(case)})")


def inputs_of(case):
    return case["x"], case["w"], case["b"], case["stride"], case["pad"]


def test_cases_cover_the_corners():
    def covers(rule):
        return any(rule(c["x"].shape, c["w"].shape, c["stride"], c["pad"], c["x"].dtype) for c in CASES)

    assert covers(lambda x, w, s, p, d: w[0] != w[1])
    assert covers(lambda x, w, s, p, d: w[:2] == (1, 1))
    assert covers(lambda x, w, s, p, d: p == 0)
    assert covers(lambda x, w, s, p, d: x[0] == 1)
    assert covers(lambda x, w, s, p, d: (x[1] + 2 * p - w[0]) % s != 0)
    assert covers(lambda x, w, s, p, d: w[0] > x[1])  # fits only thanks to padding
    assert {c["x"].dtype for c in CASES} == {np.dtype(np.float32), np.dtype(np.float64)}
    assert {c["pad"] for c in CASES} == {0, 1, 2} and {c["stride"] for c in CASES} == {1, 2, 3}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reference_matches_tensorflow(tf, case):
    out_tf, grads_tf = tf_conv(tf, case)
    out, cache = conv.conv_forward(*inputs_of(case))
    assert_same(out, out_tf, "out", case)
    assert len(cache) == 5 and all(a is b for a, b in zip(cache, inputs_of(case)))
    for name, actual, expected in zip(("dx", "dw", "db"), conv.conv_backward(case["dout"], cache), grads_tf):
        assert_same(actual, expected, name, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reference_leaves_inputs_alone(case):
    before = {k: v.copy() for k, v in case.items() if isinstance(v, np.ndarray)}
    flags = {k: v.flags.writeable for k, v in case.items() if isinstance(v, np.ndarray)}
    out, cache = conv.conv_forward(*inputs_of(case))
    dx, _, _ = conv.conv_backward(case["dout"], cache)
    conv.zero_pad(case["x"], case["pad"])
    for k, v in before.items():
        np.testing.assert_array_equal(case[k], v, err_msg=k)
        assert case[k].flags.writeable == flags[k]
    assert not np.shares_memory(out, case["x"]) and not np.shares_memory(dx, case["x"])


@pytest.mark.parametrize("case", [c for c in CASES if c["x"].dtype == np.float32], ids=describe)
def test_reference_keeps_float32(case):
    out, cache = conv.conv_forward(*inputs_of(case))
    assert out.dtype == np.float32
    assert conv.zero_pad(case["x"], case["pad"]).dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv.conv_backward(case["dout"], cache))
    step = conv.conv_single_step(case["x"][0, :1, :1, :], case["w"][:1, :1, :, 0], case["b"][0])
    assert np.ndim(step) == 0 and step.dtype == np.float32


def first_uncovered_row(case):
    """The first row of x that no window reaches (x.shape[1] when every row is covered)."""
    H_out = (case["x"].shape[1] + 2 * case["pad"] - case["w"].shape[0]) // case["stride"] + 1
    return min((H_out - 1) * case["stride"] + case["w"].shape[0] - case["pad"], case["x"].shape[1])


UNCOVERED = [c for c in CASES if first_uncovered_row(c) < c["x"].shape[1]]


@pytest.mark.parametrize("case", UNCOVERED, ids=describe)
def test_uncovered_rows_get_zero_gradient(case):
    dx, _, _ = conv.conv_backward(case["dout"], inputs_of(case))
    row = first_uncovered_row(case)
    assert np.all(dx[:, row:] == 0)
    assert np.any(dx[:, :row] != 0)


def test_some_cases_leave_rows_uncovered():
    assert len(UNCOVERED) >= 3


def numerical_gradients(case, h=1e-3):
    """Centered differences of L = sum(conv_forward(x, w, b) * dout) in x, w and b.

    L is linear in each argument, so the differences are exact up to rounding.
    """
    arrays = {k: case[k].copy() for k in ("x", "w", "b")}

    def loss():
        out, _ = conv.conv_forward(arrays["x"], arrays["w"], arrays["b"], case["stride"], case["pad"])
        return np.sum(out * case["dout"])

    return [numerical_gradient(loss, arrays[k], h) for k in ("x", "w", "b")]


SMALL = [c for c in CASES if c["x"].dtype == np.float64 and c["x"].size <= 150][:8]


def test_finite_difference_cases_cover_the_corners():
    assert len(SMALL) >= 5
    assert any(c["pad"] == 0 for c in SMALL) and any(c["pad"] > 0 for c in SMALL)
    assert any(c["w"].shape[0] != c["w"].shape[1] for c in SMALL)
    assert any(c["stride"] > 1 for c in SMALL)


@pytest.mark.parametrize("case", SMALL, ids=describe)
def test_reference_backward_matches_finite_differences(case):
    grads = conv.conv_backward(case["dout"], inputs_of(case))
    for name, actual, expected in zip(("dx", "dw", "db"), grads, numerical_gradients(case)):
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-8, err_msg=f"{name} ({describe(case)})")


def test_output_size_examples():
    assert conv.conv_output_size(32, 5, 0, 1) == 28  # LeNet-5
    assert conv.conv_output_size(227, 11, 0, 4) == 55  # AlexNet
    assert conv.conv_output_size(7, 3, 0, 3) == 2  # the stride does not divide
    assert conv.conv_output_size(28, 3, 1, 1) == 28  # "same" padding
    assert conv.conv_output_size(3, 5, 1, 1) == 1  # fits only thanks to padding
    assert type(conv.conv_output_size(9, 3, 1, 2)) is int


def test_zero_pad():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    xpad = conv.zero_pad(x, 2)
    assert xpad.shape == (2, 7, 8, 5) and xpad.dtype == np.float32
    np.testing.assert_array_equal(xpad[:, 2:-2, 2:-2, :], x)
    assert np.abs(xpad).sum() == np.abs(x).sum()
    np.testing.assert_array_equal(conv.zero_pad(x, 0), x)


def test_conv_single_step():
    rng = np.random.default_rng(2)
    x_slice, w = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 4))
    assert conv.conv_single_step(x_slice, w, 0.5) == pytest.approx(np.sum(x_slice * w) + 0.5, rel=1e-12)


def bad_arguments(fns):
    """(call, the argument name the ValueError must contain)."""
    x = np.zeros((1, 4, 4, 2))
    w, b, dout = np.zeros((3, 3, 2, 1)), np.zeros(1), np.zeros((1, 2, 2, 1))
    return [
        (lambda: fns["conv_output_size"](5, 3, 0, 0), "stride"),
        (lambda: fns["conv_output_size"](5, 3, 0, -2), "stride"),
        (lambda: fns["conv_output_size"](5, 3, -1, 1), "pad"),
        (lambda: fns["conv_output_size"](5, 8, 1, 1), "f"),
        (lambda: fns["zero_pad"](x, -1), "pad"),
        (lambda: fns["conv_forward"](x, w, b, 0, 0), "stride"),
        (lambda: fns["conv_forward"](x, w, b, -1, 1), "stride"),
        (lambda: fns["conv_forward"](x, w, b, 1, -1), "pad"),
        (lambda: fns["conv_forward"](x, np.zeros((5, 2, 2, 1)), b, 1, 0), "w"),
        (lambda: fns["conv_forward"](x, np.zeros((2, 7, 2, 1)), b, 1, 1), "w"),
    ]


def test_reference_rejects_bad_arguments():
    fns = {name: getattr(conv, name) for name in ASSIGNMENT.functions}
    for call, name in bad_arguments(fns):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            call()
    with pytest.raises(ValueError, match=r"\bstride\b"):
        conv.conv_backward(np.zeros((1, 2, 2, 1)), (np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 2, 1)), np.zeros(1), 0, 0))


# The notebook's solution code, as a student would write it, agrees with the reference.

def test_notebook_defines_the_contract(notebook):
    assert all(callable(notebook.get(name)) for name in ASSIGNMENT.functions)
    assert "tensorflow" not in notebook and "tf" not in notebook


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_notebook_matches_reference(notebook, case):
    out, cache = notebook["conv_forward"](*inputs_of(case))
    expected_out, _ = conv.conv_forward(*inputs_of(case))
    assert_same(out, expected_out, "out", case)
    assert len(cache) == 5
    grads = notebook["conv_backward"](case["dout"], inputs_of(case))
    for name, actual, expected in zip(("dx", "dw", "db"), grads, conv.conv_backward(case["dout"], inputs_of(case))):
        assert_same(actual, expected, name, case)
    xpad = notebook["zero_pad"](case["x"], case["pad"])
    assert_same(xpad, conv.zero_pad(case["x"], case["pad"]), "zero_pad", case)
    for n, f in ((case["x"].shape[1], case["w"].shape[0]), (case["x"].shape[2], case["w"].shape[1])):
        assert notebook["conv_output_size"](n, f, case["pad"], case["stride"]) == conv.conv_output_size(n, f, case["pad"], case["stride"])
    kh, kw = case["w"].shape[:2]
    step = notebook["conv_single_step"](xpad[0, :kh, :kw, :], case["w"][..., 0], case["b"][0])
    expected_step = conv.conv_single_step(xpad[0, :kh, :kw, :], case["w"][..., 0], case["b"][0])
    assert np.ndim(step) == 0 and np.result_type(step) == case["x"].dtype
    np.testing.assert_allclose(step, expected_step, **tolerance_for(case["x"].dtype))


@pytest.mark.parametrize("case", CASES[:10], ids=IDS[:10])
def test_notebook_leaves_inputs_alone(notebook, case):
    before = {k: v.copy() for k, v in case.items() if isinstance(v, np.ndarray)}
    notebook["conv_forward"](*inputs_of(case))
    notebook["conv_backward"](case["dout"], inputs_of(case))
    notebook["zero_pad"](case["x"], case["pad"])
    for k, v in before.items():
        np.testing.assert_array_equal(case[k], v, err_msg=k)


def test_notebook_rejects_bad_arguments(notebook):
    for call, name in bad_arguments(notebook):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            call()
