"""The `pooling` reference agrees with TensorFlow, with finite differences and with the notebook.

Oracles: tf.nn.max_pool2d / tf.nn.avg_pool2d ("VALID") for the forward pass,
tf.GradientTape for the backward pass (TensorFlow sends a max-pool gradient to
the first maximum of each window, row-major, as np.argmax does), and centered
finite differences (float64) where no tie makes the maximum ambiguous. The
source notebook's own solution code must agree with the reference.
"""
import numpy as np
import pytest

from autograder.assignments.pooling import ASSIGNMENT
from autograder.assignments.oracle_fixtures import tf  # noqa: F401 (a fixture)
from autograder.assignments.testing import numerical_gradient, solution_namespace
from autograder.judge.tolerances import tolerance_for
from solutions.pooling import create_mask_from_window, distribute_value, pool_backward, pool_forward

MODES = ["max", "average"]


def assert_close(actual, expected, what):
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, expected {expected.dtype}"
    np.testing.assert_allclose(actual, expected, err_msg=what, **tolerance_for(expected.dtype))


def out_shape(shape, f, s):
    N, H, W, C = shape
    return N, (H - f) // s + 1, (W - f) // s + 1, C


# (x shape, pool_size, stride): the corners first, then random shapes.
CORNERS = [
    ((2, 4, 4, 3), 2, 2),
    ((1, 5, 5, 1), 2, 1),  # overlapping
    ((3, 7, 6, 2), 3, 2),  # overlapping, stride does not divide
    ((2, 5, 8, 3), 2, 2),  # rectangular, last row uncovered
    ((1, 6, 5, 2), 1, 1),  # pool_size 1
    ((2, 5, 7, 1), 1, 3),  # pool_size 1 with gaps
    ((1, 9, 7, 2), 2, 3),  # stride > pool_size
    ((2, 3, 3, 2), 3, 1),  # one window covers the input
    ((1, 1, 1, 1), 1, 1),
    ((4, 8, 3, 5), 3, 1),  # window as wide as the input
]


def random_cases(count, seed=0):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        H, W = rng.integers(1, 11, size=2)
        f = int(rng.integers(1, min(H, W, 4) + 1))
        s = int(rng.integers(1, 5))
        cases.append(((int(rng.integers(1, 4)), int(H), int(W), int(rng.integers(1, 5))), f, s))
    return cases


CASES = CORNERS + random_cases(26)
CASE_IDS = [f"x{'x'.join(map(str, shape))}-f{f}-s{s}" for shape, f, s in CASES]


def make_x(rng, shape, dtype, kind):
    """Random inputs: "normal" (no ties), "ties" (small integers after a ReLU), "zeros"."""
    if kind == "normal":
        return rng.standard_normal(shape).astype(dtype)
    if kind == "ties":
        return np.maximum(rng.integers(-2, 3, size=shape), 0).astype(dtype)
    return np.zeros(shape, dtype=dtype)


def tf_pool(tf, x, f, s, mode):
    # tf.constant keeps float64: passing a float64 numpy array straight to
    # tf.nn.max_pool2d silently computes in float32.
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    return op(tf.constant(x), f, s, "VALID").numpy()


def tf_pool_gradient(tf, x, dout, f, s, mode):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = (tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d)(x, f, s, "VALID")
    return tape.gradient(out, x, output_gradients=tf.constant(dout)).numpy()


# --- TensorFlow as the oracle -------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_and_backward_match_tensorflow(tf, case, dtype):
    shape, f, s = case
    rng = np.random.default_rng([*shape, f, s])
    for kind in ["normal", "ties", "zeros"]:
        x = make_x(rng, shape, dtype, kind)
        dout = rng.standard_normal(out_shape(shape, f, s)).astype(dtype)
        x_before, dout_before = x.copy(), dout.copy()
        for mode in MODES:
            what = f"x{shape} {kind} f={f} s={s} {mode} {np.dtype(dtype).name}"
            out, cache = pool_forward(x, pool_size=f, stride=s, mode=mode)
            assert_close(out, tf_pool(tf, x, f, s, mode), f"out, {what}")
            assert cache[0] is x and cache[1:] == (f, s, mode), "cache must be exactly the inputs"
            dx = pool_backward(dout, cache)
            assert_close(dx, tf_pool_gradient(tf, x, dout, f, s, mode), f"dx, {what}")
        assert np.array_equal(x, x_before) and np.array_equal(dout, dout_before), "inputs were modified"


def every_maximum_gradient(x, dout, f, s):
    """The wrong rule: every entry equal to its window's maximum gets the gradient."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            window = x[:, i * s:i * s + f, j * s:j * s + f, :]
            hit = window == window.max(axis=(1, 2), keepdims=True)
            dx[:, i * s:i * s + f, j * s:j * s + f, :] += hit * dout[:, i:i + 1, j:j + 1, :]
    return dx


def test_ties_go_to_the_first_maximum_as_in_tensorflow(tf):
    # All-zero 3x3 map, overlapping 2x2 windows: each window's top-left entry.
    x = np.zeros((1, 3, 3, 1))
    dout = np.array([1.0, 10.0, 100.0, 1000.0]).reshape(1, 2, 2, 1)
    expected = np.array([[1, 10, 0], [100, 1000, 0], [0, 0, 0]], dtype=np.float64).reshape(1, 3, 3, 1)
    assert_close(tf_pool_gradient(tf, x, dout, 2, 1, "max"), expected, "TensorFlow's tie rule")
    assert_close(pool_backward(dout, (x, 2, 1, "max")), expected, "reference tie rule")
    assert not np.allclose(every_maximum_gradient(x, dout, 2, 1), expected)


def test_tie_heavy_batch_matches_tensorflow_where_every_maximum_rule_does_not(tf):
    rng = np.random.default_rng(7)
    x = np.maximum(rng.integers(-1, 2, size=(3, 9, 11, 4)), 0).astype(np.float64)
    ones = np.ones(out_shape(x.shape, 3, 2))
    counts = pool_backward(ones, (x, 3, 2, "max"))
    assert np.array_equal(counts, tf_pool_gradient(tf, x, ones, 3, 2, "max"))
    # Each window hands out exactly one unit of gradient, however many ties it has.
    assert counts.sum() == ones.size
    assert every_maximum_gradient(x, ones, 3, 2).sum() > ones.size


# --- finite differences ------------------------------------------------------------------


FD_CASES = [((1, 5, 5, 2), 3, 2), ((2, 4, 6, 1), 2, 1), ((1, 7, 4, 2), 2, 3), ((1, 3, 4, 3), 1, 1)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", FD_CASES, ids=lambda c: f"x{'x'.join(map(str, c[0]))}-f{c[1]}-s{c[2]}")
def test_backward_matches_finite_differences(case, mode):
    shape, f, s = case
    rng = np.random.default_rng(3)
    # Distinct values 0.1 apart: a step of 1e-6 never changes which entry is the maximum.
    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 10.0
    dout = rng.standard_normal(out_shape(shape, f, s))
    x = x.copy()
    numeric = numerical_gradient(lambda: np.sum(pool_forward(x, f, s, mode)[0] * dout), x)
    np.testing.assert_allclose(pool_backward(dout, (x, f, s, mode)), numeric, rtol=1e-6, atol=1e-8)


# --- the small helpers --------------------------------------------------------------------


def test_create_mask_from_window_marks_the_first_maximum():
    rng = np.random.default_rng(1)
    for f in [1, 2, 3, 4]:
        for dtype in [np.float32, np.float64]:
            for _ in range(25):
                window = rng.integers(0, 3, size=(f, f)).astype(dtype)
                before = window.copy()
                mask = create_mask_from_window(window)
                assert mask.dtype == bool and mask.shape == window.shape
                assert mask.sum() == 1 and mask.flat[np.argmax(window)]
                assert np.array_equal(window, before)
    assert np.array_equal(create_mask_from_window(np.zeros((2, 2))), [[True, False], [False, False]])
    assert np.array_equal(create_mask_from_window(np.array([[1.0, 5.0], [5.0, 0.0]])), [[False, True], [False, False]])


def test_distribute_value():
    assert_close(distribute_value(2.0, (2, 2)), np.full((2, 2), 0.5), "distribute_value")
    assert_close(distribute_value(-3.0, (2, 3)), np.full((2, 3), -0.5), "rectangular window")
    assert_close(distribute_value(np.float32(1.0), (3, 3)), np.full((3, 3), 1 / 9, np.float32), "float32")
    assert_close(distribute_value(np.float64(0.7), (1, 1)), np.array([[0.7]]), "1x1 window")


# --- bad arguments -----------------------------------------------------------------------


BAD_ARGUMENTS = [
    (dict(pool_size=2, stride=0), "stride"),
    (dict(pool_size=2, stride=-2), "stride"),
    (dict(pool_size=0, stride=1), "pool_size"),
    (dict(pool_size=-1, stride=1), "pool_size"),
    (dict(pool_size=5, stride=1), "pool_size"),  # larger than H = 4
    (dict(pool_size=6, stride=1), "pool_size"),  # larger than W = 5
    (dict(pool_size=2, stride=2, mode="avg"), "mode"),
    (dict(pool_size=2, stride=2, mode="Max"), "mode"),
    (dict(pool_size=2, stride=2, mode="mean"), "mode"),
    (dict(pool_size=2, stride=2, mode=None), "mode"),
]


@pytest.mark.parametrize("kwargs, name", BAD_ARGUMENTS, ids=[str(k) for k, _ in BAD_ARGUMENTS])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    x = np.ones((1, 4, 5, 2))
    with pytest.raises(ValueError, match=name):
        pool_forward(x, **kwargs)


def test_backward_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        pool_backward(np.ones((1, 2, 2, 1)), (np.ones((1, 4, 4, 1)), 2, 2, "avg"))


# --- the notebook's own solution agrees with the reference -----------------------------


@pytest.fixture(scope="module")
def notebook():
    return solution_namespace("pooling")


def test_notebook_defines_the_contract_functions(notebook):
    for name in ASSIGNMENT.functions:
        assert callable(notebook.get(name)), f"the source notebook does not define {name}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_notebook_solution_agrees_with_reference(notebook, dtype):
    rng = np.random.default_rng(11)
    for shape, f, s in CORNERS + random_cases(12, seed=5):
        for kind in ["normal", "ties"]:
            x = make_x(rng, shape, dtype, kind)
            dout = rng.standard_normal(out_shape(shape, f, s)).astype(dtype)
            for mode in MODES:
                what = f"notebook vs reference, x{shape} {kind} f={f} s={s} {mode} {np.dtype(dtype).name}"
                out, cache = notebook["pool_forward"](x, f, s, mode)
                assert_close(out, pool_forward(x, f, s, mode)[0], f"out, {what}")
                assert cache[0] is x and cache[1:] == (f, s, mode)
                dx = notebook["pool_backward"](dout, (x, f, s, mode))
                assert_close(dx, pool_backward(dout, (x, f, s, mode)), f"dx, {what}")
    for f in [1, 2, 3]:
        window = rng.integers(0, 2, size=(f, f)).astype(dtype)
        assert np.array_equal(notebook["create_mask_from_window"](window), create_mask_from_window(window))
        dz = dtype(rng.standard_normal())
        assert_close(notebook["distribute_value"](dz, (f, f + 1)), distribute_value(dz, (f, f + 1)), "distribute_value")


@pytest.mark.parametrize("kwargs, name", BAD_ARGUMENTS, ids=[str(k) for k, _ in BAD_ARGUMENTS])
def test_notebook_solution_raises_like_the_reference(notebook, kwargs, name):
    with pytest.raises(ValueError, match=name):
        notebook["pool_forward"](np.ones((1, 4, 5, 2)), **kwargs)
