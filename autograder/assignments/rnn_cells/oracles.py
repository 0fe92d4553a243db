"""The `rnn_cells` reference against its three oracles, and the notebook's solutions against it.

Keras cells and layers (loaded with the same weights by `set_weights`) judge the forward
passes, `tf.GradientTape` and centered finite differences judge the backward passes.
"""
import copy
import functools
import warnings

import numpy as np
import pytest

from autograder.assignments.rnn_cells import ASSIGNMENT
from autograder.assignments.oracle_fixtures import tf  # noqa: F401 (a fixture)
from autograder.assignments.testing import numerical_gradient, solution_namespace
from autograder.judge.tolerances import tolerance_for
from solutions import rnn_cells as ref

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def draw_cases(n, seed):
    """n random (N, T, D, H, dtype) with the corners first: all ones, all largest."""
    rng = np.random.default_rng(seed)
    cases = [(1, 1, 1, 1, np.float64), (4, 6, 6, 6, np.float32)]
    while len(cases) < n:
        dtype = (np.float32, np.float64)[len(cases) % 2]
        N, T, D, H = rng.integers(1, 5), rng.integers(1, 7), rng.integers(1, 7), rng.integers(1, 7)
        cases.append((int(N), int(T), int(D), int(H), dtype))
    return cases


CASES = draw_cases(24, seed=0)
SMALL_CASES = [(1, 1, 1, 1, np.float64), (2, 3, 2, 3, np.float64), (3, 4, 3, 2, np.float64)]


def case_id(case):
    N, T, D, H, dtype = case
    return f"N{N}-T{T}-D{D}-H{H}-{np.dtype(dtype).name}"


def make_params(kind, D, H, rng, dtype, reset_after=True):
    k = GATES[kind]
    b_shape = (2, 3 * H) if kind == "gru" and reset_after else (k * H,)
    return {
        "W": rng.normal(0, 0.6, (D, k * H)).astype(dtype),
        "U": rng.normal(0, 0.6, (H, k * H)).astype(dtype),
        "b": rng.normal(0, 0.3, b_shape).astype(dtype),
    }


def make_inputs(case, seed):
    """x (N, T, D), h0, c0 (N, H) and the upstream gradient dh_seq (N, T, H)."""
    N, T, D, H, dtype = case
    rng = np.random.default_rng(seed)
    return rng, [rng.normal(0, 1, shape).astype(dtype) for shape in [(N, T, D), (N, H), (N, H), (N, T, H)]]


def assert_close(actual, expected, dtype, name):
    assert isinstance(actual, np.ndarray), f"{name} is a {type(actual).__name__}, not an array"
    assert actual.dtype == dtype, f"{name} is {actual.dtype}, expected {np.dtype(dtype)}"
    np.testing.assert_allclose(actual, np.asarray(expected), **tolerance_for(dtype), err_msg=name)


def assert_grads_close(grads, expected, params, dtype):
    assert set(grads) == set(params)
    for name in params:
        assert grads[name].shape == params[name].shape, name
        assert_close(grads[name], expected[name], dtype, f"grads[{name!r}]")


# --------------------------------------------------------------------------- Keras


@functools.lru_cache(maxsize=None)
def keras_layer(tf, kind, D, H, dtype, reset_after=True, sequence=False):
    """A built Keras cell (or LSTM / GRU layer returning sequences and states), reused per shape."""
    layers = tf.keras.layers
    dtype = np.dtype(dtype).name
    if kind == "rnn":
        layer = layers.SimpleRNNCell(H, dtype=dtype)
    elif kind == "lstm":
        layer = (layers.LSTM(H, return_sequences=True, return_state=True, dtype=dtype) if sequence
                 else layers.LSTMCell(H, dtype=dtype))
    else:
        layer = (layers.GRU(H, reset_after=reset_after, return_sequences=True, return_state=True,
                            dtype=dtype) if sequence
                 else layers.GRUCell(H, reset_after=reset_after, dtype=dtype))
    layer.build((None, None, D) if sequence else (None, D))
    return layer


def load(tf, kind, params, dtype, reset_after=True, sequence=False):
    D, kH = params["W"].shape
    layer = keras_layer(tf, kind, D, kH // GATES[kind], dtype, reset_after, sequence)
    weights = [params["W"], params["U"], params["b"]]
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)
    cell = layer.cell if sequence else layer
    variables = {"W": cell.kernel, "U": cell.recurrent_kernel, "b": cell.bias}
    assert all(variables[k].shape == params[k].shape for k in params)
    return layer, variables


def tape_gradients(tf, loss_fn, inputs, variables):
    """d loss / d inputs (a list of arrays) and d loss / d variables (a dict), by tf.GradientTape."""
    tensors = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        loss = loss_fn(*tensors)
    names = list(variables)
    grads = tape.gradient(loss, tensors + [variables[n] for n in names])
    return [g.numpy() for g in grads[: len(tensors)]], {
        n: g.numpy() for n, g in zip(names, grads[len(tensors):])
    }


# --------------------------------------------------------------------------- sigmoid


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_and_exact(tf, dtype):
    z = np.array([-1000, -800, -100, -30, -1, 0, 0.5, 30, 100, 800, 1000], dtype=dtype)
    z_before = z.copy()
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = ref.sigmoid(z)
        s_scalar = ref.sigmoid(dtype(-1000))
    np.testing.assert_array_equal(z, z_before)
    assert_close(s, tf.sigmoid(z.astype(np.float64)).numpy(), dtype, "sigmoid")
    assert np.all((s >= 0) & (s <= 1)) and s[5] == 0.5 and s[0] == 0 and s[-1] == 1
    assert_close(ref.sigmoid(-z), 1 - s, dtype, "sigmoid(-z)")
    assert np.asarray(s_scalar).dtype == dtype and s_scalar == 0


# --------------------------------------------------------------------------- forward vs Keras


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cells_match_keras(tf, case):
    N, T, D, H, dtype = case
    rng, (x, h0, c0, _) = make_inputs(case, seed=1)
    x_t = x[:, 0]

    params = make_params("rnn", D, H, rng, dtype)
    cell, _ = load(tf, "rnn", params, dtype)
    h, cache = ref.rnn_cell_forward(x_t, h0, params)
    assert_close(h, cell(x_t, [h0])[0], dtype, "rnn h_next")
    assert len(cache) == 3 and all(a is b for a, b in zip(cache, (x_t, h0, params)))

    params = make_params("lstm", D, H, rng, dtype)
    cell, _ = load(tf, "lstm", params, dtype)
    h, c, cache = ref.lstm_cell_forward(x_t, h0, c0, params)
    h_keras, (_, c_keras) = cell(x_t, [h0, c0])
    assert_close(h, h_keras, dtype, "lstm h_next")
    assert_close(c, c_keras, dtype, "lstm c_next")
    assert len(cache) == 4 and all(a is b for a, b in zip(cache, (x_t, h0, c0, params)))

    for reset_after in (True, False):
        params = make_params("gru", D, H, rng, dtype, reset_after)
        cell, _ = load(tf, "gru", params, dtype, reset_after)
        h, cache = ref.gru_cell_forward(x_t, h0, params, reset_after=reset_after)
        assert_close(h, cell(x_t, [h0])[0], dtype, f"gru h_next, reset_after={reset_after}")
        assert len(cache) == 4 and cache[3] is reset_after
        assert all(a is b for a, b in zip(cache, (x_t, h0, params)))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_sequences_match_keras(tf, case):
    N, T, D, H, dtype = case
    rng, (x, h0, c0, _) = make_inputs(case, seed=2)

    params = make_params("lstm", D, H, rng, dtype)
    layer, _ = load(tf, "lstm", params, dtype, sequence=True)
    h_seq, c_last, caches = ref.lstm_forward(x, h0, c0, params)
    h_keras, _, c_keras = layer(x, initial_state=[h0, c0])
    assert h_seq.shape == (N, T, H) and len(caches) == T
    assert_close(h_seq, h_keras, dtype, "lstm h_seq")
    assert_close(c_last, c_keras, dtype, "lstm c_last")
    assert all(len(cache) == 4 and cache[3] is params for cache in caches)

    for reset_after in (True, False):
        params = make_params("gru", D, H, rng, dtype, reset_after)
        layer, _ = load(tf, "gru", params, dtype, reset_after, sequence=True)
        h_seq, caches = ref.gru_forward(x, h0, params, reset_after=reset_after)
        assert h_seq.shape == (N, T, H) and len(caches) == T
        assert_close(h_seq, layer(x, initial_state=[h0])[0], dtype, f"gru h_seq, reset_after={reset_after}")
        assert all(cache[2] is params and cache[3] is reset_after for cache in caches)


# --------------------------------------------------------------------------- backward vs GradientTape


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cell_backward_matches_gradient_tape(tf, case):
    N, T, D, H, dtype = case
    rng, (x, h0, c0, dh_seq) = make_inputs(case, seed=3)
    x_t, dh, dc = x[:, 0], dh_seq[:, 0], rng.normal(size=(N, H)).astype(dtype)

    params = make_params("rnn", D, H, rng, dtype)
    cell, variables = load(tf, "rnn", params, dtype)
    (dx_tf, dh_tf), grads_tf = tape_gradients(
        tf, lambda x_t, h: tf.reduce_sum(cell(x_t, [h])[0] * dh), [x_t, h0], variables)
    dx_t, dh_prev, grads = ref.rnn_cell_backward(dh, (x_t, h0, params))
    assert_close(dx_t, dx_tf, dtype, "rnn dx_t")
    assert_close(dh_prev, dh_tf, dtype, "rnn dh_prev")
    assert_grads_close(grads, grads_tf, params, dtype)

    params = make_params("lstm", D, H, rng, dtype)
    cell, variables = load(tf, "lstm", params, dtype)

    def lstm_loss(x_t, h, c):
        h_next, (_, c_next) = cell(x_t, [h, c])
        return tf.reduce_sum(h_next * dh) + tf.reduce_sum(c_next * dc)

    (dx_tf, dh_tf, dc_tf), grads_tf = tape_gradients(tf, lstm_loss, [x_t, h0, c0], variables)
    dx_t, dh_prev, dc_prev, grads = ref.lstm_cell_backward(dh, dc, (x_t, h0, c0, params))
    assert_close(dx_t, dx_tf, dtype, "lstm dx_t")
    assert_close(dh_prev, dh_tf, dtype, "lstm dh_prev")
    assert_close(dc_prev, dc_tf, dtype, "lstm dc_prev")
    assert_grads_close(grads, grads_tf, params, dtype)

    for reset_after in (True, False):
        params = make_params("gru", D, H, rng, dtype, reset_after)
        cell, variables = load(tf, "gru", params, dtype, reset_after)
        (dx_tf, dh_tf), grads_tf = tape_gradients(
            tf, lambda x_t, h: tf.reduce_sum(cell(x_t, [h])[0] * dh), [x_t, h0], variables)
        dx_t, dh_prev, grads = ref.gru_cell_backward(dh, (x_t, h0, params, reset_after))
        assert_close(dx_t, dx_tf, dtype, f"gru dx_t, reset_after={reset_after}")
        assert_close(dh_prev, dh_tf, dtype, f"gru dh_prev, reset_after={reset_after}")
        assert_grads_close(grads, grads_tf, params, dtype)


@pytest.mark.parametrize("case", CASES[::2], ids=case_id)
def test_sequence_backward_matches_gradient_tape(tf, case):
    N, T, D, H, dtype = case
    rng, (x, h0, c0, dh_seq) = make_inputs(case, seed=4)

    params = make_params("lstm", D, H, rng, dtype)
    layer, variables = load(tf, "lstm", params, dtype, sequence=True)
    (dx_tf, dh0_tf, dc0_tf), grads_tf = tape_gradients(
        tf, lambda x, h, c: tf.reduce_sum(layer(x, initial_state=[h, c])[0] * dh_seq),
        [x, h0, c0], variables)
    _, _, caches = ref.lstm_forward(x, h0, c0, params)
    dx, dh0, dc0, grads = ref.lstm_backward(dh_seq, caches)
    assert_close(dx, dx_tf, dtype, "lstm dx")
    assert_close(dh0, dh0_tf, dtype, "lstm dh0")
    assert_close(dc0, dc0_tf, dtype, "lstm dc0")
    assert_grads_close(grads, grads_tf, params, dtype)

    for reset_after in (True, False):
        params = make_params("gru", D, H, rng, dtype, reset_after)
        layer, variables = load(tf, "gru", params, dtype, reset_after, sequence=True)
        (dx_tf, dh0_tf), grads_tf = tape_gradients(
            tf, lambda x, h: tf.reduce_sum(layer(x, initial_state=[h])[0] * dh_seq), [x, h0], variables)
        _, caches = ref.gru_forward(x, h0, params, reset_after)
        dx, dh0, grads = ref.gru_backward(dh_seq, caches)
        assert_close(dx, dx_tf, dtype, f"gru dx, reset_after={reset_after}")
        assert_close(dh0, dh0_tf, dtype, f"gru dh0, reset_after={reset_after}")
        assert_grads_close(grads, grads_tf, params, dtype)


# --------------------------------------------------------------------------- backward vs finite differences


def assert_matches_finite_differences(loss, analytic):
    """analytic: {name: (array the loss reads, its gradient from a backward function)}."""
    for name, (x, grad) in analytic.items():
        np.testing.assert_allclose(grad, numerical_gradient(loss, x), rtol=1e-5, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("case", SMALL_CASES, ids=case_id)
def test_backward_matches_finite_differences(case):
    N, T, D, H, dtype = case
    rng, (x, h0, c0, dh_seq) = make_inputs(case, seed=5)
    x_t, dh, dc = x[:, 0].copy(), dh_seq[:, 0], rng.normal(size=(N, H))

    def named(inputs, d_inputs, params, grads):
        return {**{k: (v, d_inputs[k]) for k, v in inputs.items()},
                **{k: (params[k], grads[k]) for k in params}}

    params = make_params("rnn", D, H, rng, dtype)
    dx_t, dh_prev, grads = ref.rnn_cell_backward(dh, (x_t, h0, params))
    assert_matches_finite_differences(
        lambda: np.sum(ref.rnn_cell_forward(x_t, h0, params)[0] * dh),
        named({"x_t": x_t, "h_prev": h0}, {"x_t": dx_t, "h_prev": dh_prev}, params, grads))

    params = make_params("lstm", D, H, rng, dtype)
    dx_t, dh_prev, dc_prev, grads = ref.lstm_cell_backward(dh, dc, (x_t, h0, c0, params))

    def lstm_cell_loss():
        h_next, c_next, _ = ref.lstm_cell_forward(x_t, h0, c0, params)
        return np.sum(h_next * dh) + np.sum(c_next * dc)

    assert_matches_finite_differences(lstm_cell_loss, named(
        {"x_t": x_t, "h_prev": h0, "c_prev": c0},
        {"x_t": dx_t, "h_prev": dh_prev, "c_prev": dc_prev}, params, grads))

    params = make_params("lstm", D, H, rng, dtype)
    dx, dh0, dc0, grads = ref.lstm_backward(dh_seq, ref.lstm_forward(x, h0, c0, params)[2])
    assert_matches_finite_differences(
        lambda: np.sum(ref.lstm_forward(x, h0, c0, params)[0] * dh_seq),
        named({"x": x, "h0": h0, "c0": c0}, {"x": dx, "h0": dh0, "c0": dc0}, params, grads))

    for reset_after in (True, False):
        params = make_params("gru", D, H, rng, dtype, reset_after)
        dx_t, dh_prev, grads = ref.gru_cell_backward(dh, (x_t, h0, params, reset_after))
        assert_matches_finite_differences(
            lambda: np.sum(ref.gru_cell_forward(x_t, h0, params, reset_after)[0] * dh),
            named({"x_t": x_t, "h_prev": h0}, {"x_t": dx_t, "h_prev": dh_prev}, params, grads))

        params = make_params("gru", D, H, rng, dtype, reset_after)
        dx, dh0, grads = ref.gru_backward(dh_seq, ref.gru_forward(x, h0, params, reset_after)[1])
        assert_matches_finite_differences(
            lambda: np.sum(ref.gru_forward(x, h0, params, reset_after)[0] * dh_seq),
            named({"x": x, "h0": h0}, {"x": dx, "h0": dh0}, params, grads))


# --------------------------------------------------------------------------- dtypes, inputs, the notebook


def every_call(module, case, seed):
    """(name, args, kwargs) for a call of every contract function on one case."""
    N, T, D, H, dtype = case
    rng, (x, h0, c0, dh_seq) = make_inputs(case, seed)
    x_t, dh, dc = x[:, 0], dh_seq[:, 0], rng.normal(size=(N, H)).astype(dtype)
    p_rnn, p_lstm = make_params("rnn", D, H, rng, dtype), make_params("lstm", D, H, rng, dtype)
    calls = [
        ("sigmoid", (np.concatenate([x.ravel(), np.array([-1000, 1000], dtype)]),), {}),
        ("rnn_cell_forward", (x_t, h0, p_rnn), {}),
        ("rnn_cell_backward", (dh, (x_t, h0, p_rnn)), {}),
        ("lstm_cell_forward", (x_t, h0, c0, p_lstm), {}),
        ("lstm_cell_backward", (dh, dc, (x_t, h0, c0, p_lstm)), {}),
        ("lstm_forward", (x, h0, c0, p_lstm), {}),
        ("lstm_backward", (dh_seq, module.lstm_forward(x, h0, c0, p_lstm)[2]), {}),
    ]
    for reset_after in (True, False):
        p_gru = make_params("gru", D, H, rng, dtype, reset_after)
        calls += [
            ("gru_cell_forward", (x_t, h0, p_gru), dict(reset_after=reset_after)),
            ("gru_cell_backward", (dh, (x_t, h0, p_gru, reset_after)), {}),
            ("gru_forward", (x, h0, p_gru), dict(reset_after=reset_after)),
            ("gru_backward", (dh_seq, module.gru_forward(x, h0, p_gru, reset_after)[1]), {}),
        ]
    return calls


def output_arrays(result):
    """Every array in a function's result, caches left out, as a flat list of (label, array)."""
    if isinstance(result, np.ndarray):
        return [("", result)]
    arrays = []
    for i, item in enumerate(result):
        if isinstance(item, np.ndarray):
            arrays.append((f"[{i}]", item))
        elif isinstance(item, dict):
            arrays += [(f"[{i}][{k!r}]", v) for k, v in item.items()]
    return arrays


@pytest.mark.parametrize("case", CASES[:8], ids=case_id)
def test_dtype_kept_and_inputs_unmodified(case):
    dtype = case[-1]
    for name, args, kwargs in every_call(ref, case, seed=6):
        before = copy.deepcopy(args)
        result = getattr(ref, name)(*args, **kwargs)
        for label, array in output_arrays(result):
            assert array.dtype == dtype, f"{name}{label} is {array.dtype}"
        for arg, old in zip(args, before):
            for new_leaf, old_leaf in zip(leaves(arg), leaves(old)):
                np.testing.assert_array_equal(new_leaf, old_leaf, err_msg=f"{name} changed its input")


def leaves(obj):
    if isinstance(obj, dict):
        return [a for v in obj.values() for a in leaves(v)]
    if isinstance(obj, (tuple, list)):
        return [a for v in obj for a in leaves(v)]
    return [obj]


def test_every_call_covers_the_contract():
    assert {name for name, _, _ in every_call(ref, CASES[0], seed=0)} == set(ASSIGNMENT.functions)


@pytest.fixture(scope="module")
def notebook():
    return solution_namespace("rnn_cells")


def test_notebook_defines_the_contract(notebook):
    missing = [name for name in ASSIGNMENT.functions if not callable(notebook.get(name))]
    assert not missing, f"the source notebook does not define {missing}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_notebook_solutions_agree_with_reference(notebook, case):
    dtype = case[-1]
    for name, args, kwargs in every_call(ref, case, seed=7):
        expected = output_arrays(getattr(ref, name)(*args, **kwargs))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            actual = output_arrays(notebook[name](*args, **kwargs))
        assert [label for label, _ in actual] == [label for label, _ in expected], name
        for (label, a), (_, e) in zip(actual, expected):
            assert_close(a, e, dtype, f"notebook {name}{label}")


def test_notebook_caches_are_the_inputs(notebook):
    rng, (x, h0, c0, _) = make_inputs((2, 3, 4, 5, np.float64), seed=8)
    x_t = x[:, 0]
    p_rnn, p_lstm = make_params("rnn", 4, 5, rng, np.float64), make_params("lstm", 4, 5, rng, np.float64)
    p_gru = make_params("gru", 4, 5, rng, np.float64, reset_after=False)
    _, cache = notebook["rnn_cell_forward"](x_t, h0, p_rnn)
    assert len(cache) == 3 and all(a is b for a, b in zip(cache, (x_t, h0, p_rnn)))
    _, _, cache = notebook["lstm_cell_forward"](x_t, h0, c0, p_lstm)
    assert len(cache) == 4 and all(a is b for a, b in zip(cache, (x_t, h0, c0, p_lstm)))
    _, cache = notebook["gru_cell_forward"](x_t, h0, p_gru, reset_after=False)
    assert len(cache) == 4 and all(a is b for a, b in zip(cache, (x_t, h0, p_gru, False)))
    _, _, caches = notebook["lstm_forward"](x, h0, c0, p_lstm)
    assert len(caches) == 3 and caches[0][1] is h0 and caches[0][2] is c0
    _, caches = notebook["gru_forward"](x, h0, p_gru, reset_after=False)
    assert len(caches) == 3 and caches[0][1] is h0 and caches[-1][3] is False
