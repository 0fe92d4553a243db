"""The `tf2_migration` reference against the live TF1 program, and the notebook against both.

The TF1 program (placeholders, a Session, GradientDescentOptimizer / AdamOptimizer) judges
the reference's logits, losses and updated weights; the reference then judges the source
notebook's solution code, its data loader and its visible tests.
"""
import numpy as np
import pytest

from autograder.assignments.oracle_fixtures import tf  # noqa: F401 (a fixture)
from autograder.assignments.testing import run_cell, solution_namespace, source_notebook, visible_tests
from autograder.assignments.tf2_migration import ASSIGNMENT, TF1_OUTPUTS, TF1_STEPS, TRAINING
from autograder.assignments.tf2_migration.cases import NAMES

# TensorFlow, the reference (which imports it) and the TF1 program come from fixtures:
# collecting these tests imports no TensorFlow.


@pytest.fixture(scope="module")
def ref(tf):
    from solutions import tf2_migration

    return tf2_migration


@pytest.fixture(scope="module")
def TF1Network(tf):  # noqa: N802 (the class it returns)
    from autograder.assignments.tf2_migration.tf1_reference import TF1Network

    return TF1Network


def random_weights(rng, H, W, C, K, U, n):
    """Weights of every shape the network takes, with biases that make ReLUs both live and dead."""
    F = (H // 2) * (W // 2) * K
    shapes = {"conv_w": (3, 3, C, K), "conv_b": (K,), "w1": (F, U), "b1": (U,), "w2": (U, n), "b2": (n,)}
    return {name: (rng.normal(size=shape) / np.sqrt(max(1, np.prod(shape[:-1])))).astype(np.float32)
            for name, shape in shapes.items()}


def as_variables(tf, weights):
    return {name: tf.Variable(np.asarray(weights[name], np.float32)) for name in NAMES}


def as_numpy(params):
    return {name: v.numpy() for name, v in params.items()}


def max_error(a, b):
    return max(float(np.abs(a[name] - b[name]).max()) for name in NAMES)


def draw_configs(n, seed):
    """n random (N, H, W, C, K, U, n_classes, input dtype), odd sizes and a batch of 1 first."""
    rng = np.random.default_rng(seed)
    configs = [(1, 7, 9, 3, 2, 5, 4, np.float64), (5, 8, 8, 1, 10, 100, 10, np.float32)]
    while len(configs) < n:
        N, H, W, C = rng.integers(1, 7), rng.integers(2, 11), rng.integers(2, 11), rng.integers(1, 4)
        K, U, ncls = rng.integers(1, 7), rng.integers(1, 13), rng.integers(2, 11)
        configs.append((int(N), int(H), int(W), int(C), int(K), int(U), int(ncls), (np.float32, np.float64)[len(configs) % 2]))
    return configs


CONFIGS = draw_configs(12, seed=0)


def config_id(config):
    N, H, W, C, K, U, ncls, dtype = config
    return f"N{N}-{H}x{W}x{C}-K{K}-U{U}-n{ncls}-{np.dtype(dtype).name}"


@pytest.fixture(scope="module")
def notebook(tf):
    return solution_namespace("tf2_migration")


@pytest.fixture(scope="module")
def digits(notebook):
    return notebook["load_digits_split"](seed=0)


def digit_batches(x, y, batch_size, seed, epoch):
    """The contract's batch order for one epoch."""
    order = np.random.default_rng(seed + epoch).permutation(len(x))
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x) - batch_size + 1, batch_size)]


# --------------------------------------------------------------------------- init_params

@pytest.mark.parametrize("config", CONFIGS[:6], ids=config_id)
def test_init_params_shapes_order_and_glorot_range(tf, ref, config):
    _, H, W, C, K, U, ncls, _ = config
    params = ref.init_params((H, W, C), ncls, n_kernels=K, units=U, seed=3)
    F = (H // 2) * (W // 2) * K
    shapes = {"conv_w": (3, 3, C, K), "conv_b": (K,), "w1": (F, U), "b1": (U,), "w2": (U, ncls), "b2": (ncls,)}
    fans = {"conv_w": (9 * C, 9 * K), "w1": (F, U), "w2": (U, ncls)}
    assert list(params) == list(NAMES)
    for name, v in params.items():
        assert isinstance(v, tf.Variable) and v.dtype == tf.float32
        assert tuple(v.shape) == shapes[name]
        if name in fans:
            limit = np.sqrt(6 / sum(fans[name]))
            assert np.abs(v.numpy()).max() <= limit
        else:
            assert np.all(v.numpy() == 0)
    again = as_numpy(ref.init_params((H, W, C), ncls, n_kernels=K, units=U, seed=3))
    other = as_numpy(ref.init_params((H, W, C), ncls, n_kernels=K, units=U, seed=4))
    for name in NAMES:
        assert np.array_equal(params[name].numpy(), again[name])
    assert any(not np.array_equal(params[name].numpy(), other[name]) for name in fans)


def test_init_params_is_uniform_over_the_whole_glorot_range(ref):
    params = ref.init_params((16, 16, 2), 10, n_kernels=32, units=64, seed=0)
    for name, (fan_in, fan_out) in {"conv_w": (18, 288), "w1": (2048, 64), "w2": (64, 10)}.items():
        w = params[name].numpy().ravel()
        limit = np.sqrt(6 / (fan_in + fan_out))
        assert 0.95 * limit < np.abs(w).max() <= limit
        assert abs(w.std() - limit / np.sqrt(3)) < 0.05 * limit
        assert abs(w.mean()) < 0.05 * limit


# --------------------------------------------------------------------------- forward and loss vs TF1

@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_forward_and_loss_equal_the_tf1_graph(tf, ref, TF1Network, config):
    N, H, W, C, K, U, ncls, dtype = config
    rng = np.random.default_rng(N * 1000 + H * 100 + W)
    weights = random_weights(rng, H, W, C, K, U, ncls)
    x = rng.random((N, H, W, C)).astype(dtype)
    y = np.eye(ncls)[rng.integers(0, ncls, N)]
    params = as_variables(tf, weights)
    logits = ref.forward(params, x)
    loss = ref.compute_loss(params, x, y)
    assert logits.dtype == tf.float32 and tuple(logits.shape) == (N, ncls)
    assert loss.dtype == tf.float32 and tuple(loss.shape) == ()
    with TF1Network(weights) as net:
        np.testing.assert_allclose(logits.numpy(), net.forward(x), **TF1_OUTPUTS)
        np.testing.assert_allclose(loss.numpy(), net.loss(x, y), **TF1_OUTPUTS)


def test_flatten_keeps_nhwc_order(tf, ref, TF1Network):
    """A channels-first flatten gives other logits for the same weights: the check can fail."""
    rng = np.random.default_rng(1)
    weights = random_weights(rng, 6, 6, 1, 3, 8, 4)
    x = rng.random((2, 6, 6, 1)).astype(np.float32)
    params = as_variables(tf, weights)
    z0 = tf.nn.conv2d(x, params["conv_w"], 1, "SAME") + params["conv_b"]
    p = tf.nn.max_pool2d(tf.nn.relu(z0), 2, 2, "VALID")
    f_nchw = tf.reshape(tf.transpose(p, [0, 3, 1, 2]), [2, -1])
    nchw = tf.nn.relu(f_nchw @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]
    with TF1Network(weights) as net:
        expected = net.forward(x)
    np.testing.assert_allclose(ref.forward(params, x).numpy(), expected, **TF1_OUTPUTS)
    assert not np.allclose(nchw.numpy(), expected, **TF1_OUTPUTS)


# --------------------------------------------------------------------------- optimizers vs TF1

def run_tf2(tf, ref, weights, optimizer, batches, lr, epsilon=None):
    """Train a copy of weights with the reference's train_step; epsilon overrides make_optimizer."""
    params = as_variables(tf, weights)
    opt = ref.make_optimizer(optimizer, lr, params)
    if epsilon is not None:
        opt = tf.keras.optimizers.Adam(learning_rate=lr, epsilon=epsilon)
        opt.build(list(params.values()))
    losses = [float(ref.train_step(params, opt, x, y)) for x, y in batches]
    return np.array(losses), as_numpy(params)


def run_tf1(TF1Network, weights, optimizer, batches, lr):
    with TF1Network(weights, optimizer, lr) as net:
        return net.train(batches), net.weights()


@pytest.fixture(scope="module")
def digit_steps(ref, digits):
    x_train, y_train = digits[0], digits[1]
    weights = as_numpy(ref.init_params((8, 8, 1), 10, seed=0))
    return weights, digit_batches(x_train, y_train, 32, seed=0, epoch=0)[:8]


def test_one_sgd_step_equals_gradient_descent_optimizer(tf, ref, TF1Network, digit_steps):
    weights, batches = digit_steps
    losses, after = run_tf2(tf, ref, weights, "sgd", batches[:1], lr=0.1)
    tf1_losses, tf1_after = run_tf1(TF1Network, weights, "sgd", batches[:1], lr=0.1)
    np.testing.assert_allclose(losses, tf1_losses, **TF1_OUTPUTS)
    for name in NAMES:
        np.testing.assert_allclose(after[name], tf1_after[name], **TF1_STEPS)
    assert max_error(after, weights) > 1e-3  # the step did move the weights


def test_adam_steps_equal_adam_optimizer_and_keras_default_epsilon_does_not(tf, ref, TF1Network, digit_steps):
    weights, batches = digit_steps
    tf1_losses, tf1_after = run_tf1(TF1Network, weights, "adam", batches, lr=1e-3)
    losses, after = run_tf2(tf, ref, weights, "adam", batches, lr=1e-3)
    np.testing.assert_allclose(losses, tf1_losses, **TF1_OUTPUTS)
    for name in NAMES:
        np.testing.assert_allclose(after[name], tf1_after[name], **TF1_STEPS)
    assert max_error(after, tf1_after) < 1e-6

    # Keras' default epsilon fails the very same check
    _, keras_default = run_tf2(tf, ref, weights, "adam", batches, lr=1e-3, epsilon=1e-7)
    mismatched = [name for name in NAMES
                  if not np.allclose(keras_default[name], tf1_after[name], **TF1_STEPS)]
    assert mismatched, "epsilon 1e-7 should not pass for TF1's Adam"
    assert max_error(keras_default, tf1_after) > 10 * TF1_STEPS["atol"]


def test_fit_equals_tf1_over_the_contract_batch_order(tf, ref, TF1Network, digits):
    x_train, y_train, x_val, y_val = digits[0][:200], digits[1][:200], digits[2][:100], digits[3][:100]
    weights = as_numpy(ref.init_params((8, 8, 1), 10, n_kernels=6, units=32, seed=1))
    params = as_variables(tf, weights)
    history = ref.fit(params, ref.make_optimizer("adam", 1e-3, params), x_train.astype(np.float64), y_train,
                      epochs=3, batch_size=32, x_val=x_val, y_val=y_val, seed=7)

    tf1_loss, tf1_val = [], []
    with TF1Network(weights, "adam", 1e-3) as net:
        for e in range(3):
            batches = digit_batches(x_train, y_train, 32, seed=7, epoch=e)
            assert len(batches) == 6  # 200 = 6 * 32 + 8: the partial batch is dropped
            tf1_loss.append(net.train(batches).mean())
            tf1_val.append(net.loss(x_val, y_val))
        tf1_after = net.weights()
    assert set(history) == {"loss", "val_loss"}
    assert all(isinstance(v, float) for v in history["loss"] + history["val_loss"])
    np.testing.assert_allclose(history["loss"], tf1_loss, rtol=1e-5)
    np.testing.assert_allclose(history["val_loss"], tf1_val, rtol=1e-5)
    for name in NAMES:
        np.testing.assert_allclose(params[name].numpy(), tf1_after[name], rtol=1e-5, atol=5e-6)

    no_val = ref.fit(params, ref.make_optimizer("sgd", 0.01, params), x_train, y_train, epochs=2, batch_size=64)
    assert no_val["val_loss"] == [] and len(no_val["loss"]) == 2


# --------------------------------------------------------------------------- train_step, make_optimizer

def test_train_step_is_a_tf_function_returning_the_loss_before_the_update(tf, ref):
    assert isinstance(ref.train_step, tf.types.experimental.PolymorphicFunction)
    rng = np.random.default_rng(2)
    x, y = rng.random((8, 8, 8, 1)), np.eye(10)[rng.integers(0, 10, 8)]
    params = ref.init_params((8, 8, 1), 10, n_kernels=3, units=12, seed=0)
    optimizer = ref.make_optimizer("adam", 0.01, params)
    n_variables = len(optimizer.variables)
    traces = ref.train_step.experimental_get_tracing_count()
    for _ in range(4):
        before = float(ref.compute_loss(params, x, y))
        returned = ref.train_step(params, optimizer, x, y)
        assert returned.dtype == tf.float32 and tuple(returned.shape) == ()
        assert np.isclose(float(returned), before, rtol=1e-6)
        assert float(ref.compute_loss(params, x, y)) < before
    assert len(optimizer.variables) == n_variables
    assert ref.train_step.experimental_get_tracing_count() - traces <= 1  # one trace for the lot


def test_make_optimizer_matches_tf1_settings(tf, ref):
    params = ref.init_params((8, 8, 1), 10, n_kernels=2, units=4)
    adam = ref.make_optimizer("adam", 0.02, params)
    sgd = ref.make_optimizer("sgd", 0.3, params)
    assert isinstance(adam, tf.keras.optimizers.Adam) and adam.epsilon == 1e-8
    assert (adam.beta_1, adam.beta_2) == (0.9, 0.999)
    assert isinstance(sgd, tf.keras.optimizers.SGD) and sgd.momentum == 0 and not sgd.nesterov
    assert np.isclose(float(adam.learning_rate), 0.02) and np.isclose(float(sgd.learning_rate), 0.3)
    assert adam.built and sgd.built
    with pytest.raises(ValueError, match="name"):
        ref.make_optimizer("rmsprop", 0.01, params)


def test_predict_and_accuracy(ref):
    params = ref.init_params((8, 8, 1), 4, n_kernels=2, units=6, seed=0)
    x = np.random.default_rng(0).random((9, 8, 8, 1))
    labels = ref.predict(params, x)
    assert labels.shape == (9,) and np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(labels, ref.forward(params, x).numpy().argmax(axis=1))
    y = np.eye(4)[labels]
    y[:3] = np.eye(4)[(labels[:3] + 1) % 4]
    acc = ref.accuracy(params, x, y)
    assert isinstance(acc, float) and acc == 6 / 9


# --------------------------------------------------------------------------- the digits

def test_digits_loader(notebook, digits):
    assert "load_digits_split" in notebook  # a locked cell, so the autograder's run defines it too
    x_train, y_train, x_val, y_val, x_test, y_test = digits
    assert [len(a) for a in digits] == [1197, 1197, 300, 300, 300, 300]
    for x, y in [(x_train, y_train), (x_val, y_val), (x_test, y_test)]:
        assert x.dtype == np.float32 and x.shape[1:] == (8, 8, 1)
        assert 0 <= x.min() and x.max() <= 1
        assert y.dtype == np.float32 and y.shape[1:] == (10,)
        np.testing.assert_array_equal(y.sum(axis=1), 1)
        assert set(np.unique(y)) == {0.0, 1.0}
    again = notebook["load_digits_split"](seed=0)
    other = notebook["load_digits_split"](seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(digits, again))
    assert not np.array_equal(digits[0], other[0])
    counts = sum(y.sum(axis=0) for y in (y_train, y_val, y_test))
    from sklearn.datasets import load_digits
    np.testing.assert_array_equal(counts, np.bincount(load_digits().target))


def test_training_on_digits_reaches_the_hidden_tests_accuracy(ref, digits):
    x_train, y_train, x_val, y_val, x_test, y_test = digits
    params = ref.init_params((8, 8, 1), 10, seed=0)
    history = ref.fit(params, ref.make_optimizer("adam", TRAINING["learning_rate"], params), x_train, y_train,
                      epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"], x_val=x_val, y_val=y_val, seed=0)
    assert history["loss"][-1] < history["loss"][0] and history["val_loss"][-1] < history["val_loss"][0]
    assert ref.accuracy(params, x_val, y_val) >= TRAINING["accuracy"]
    assert ref.accuracy(params, x_test, y_test) >= TRAINING["accuracy"]


def test_notebook_states_the_hidden_training_test():
    """The numbers the hidden fit test uses are the ones the student reads and runs."""
    cells = source_notebook("tf2_migration").cells
    text = " ".join(" ".join(cell.source.split()) for cell in cells if cell.cell_type == "markdown")
    test_code = " ".join(visible_tests("tf2_migration").values())
    epochs, lr, batch, accuracy = (TRAINING[key] for key in ("epochs", "learning_rate", "batch_size", "accuracy"))
    seconds = ASSIGNMENT.budgets["fit"].seconds
    assert seconds["cpu"] == seconds["gpu"], "the notebook states one budget for CPU and GPU"
    assert (f"{epochs} epochs of Adam (learning rate {lr:g}, batches of {batch})" in text
            and f"at least {accuracy:.0%}" in text and f"within {seconds['cpu']:g} seconds" in text)
    for call in (f'make_optimizer("adam", {lr:g}, params)', f"epochs={epochs}, batch_size={batch}",
                 f"held_out >= {accuracy:g}", f"seconds < {seconds['cpu']:g}"):
        assert call in test_code, call


# --------------------------------------------------------------------------- the notebook

@pytest.mark.parametrize("config", CONFIGS[:6], ids=config_id)
def test_notebook_solution_agrees_with_reference(tf, ref, notebook, config):
    N, H, W, C, K, U, ncls, dtype = config
    nb_params = notebook["init_params"]((H, W, C), ncls, n_kernels=K, units=U, seed=5)
    ref_params = ref.init_params((H, W, C), ncls, n_kernels=K, units=U, seed=5)
    assert list(nb_params) == list(NAMES)
    for name in NAMES:
        assert nb_params[name].dtype == tf.float32
        np.testing.assert_array_equal(nb_params[name].numpy(), ref_params[name].numpy())

    rng = np.random.default_rng(N + 10 * H)
    weights = random_weights(rng, H, W, C, K, U, ncls)
    x = rng.random((N, H, W, C)).astype(dtype)
    y = np.eye(ncls)[rng.integers(0, ncls, N)]
    nb_logits = notebook["forward"](as_variables(tf, weights), x)
    assert nb_logits.dtype == tf.float32
    np.testing.assert_allclose(nb_logits.numpy(), ref.forward(as_variables(tf, weights), x).numpy(),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(float(notebook["compute_loss"](as_variables(tf, weights), x, y)),
                               float(ref.compute_loss(as_variables(tf, weights), x, y)), rtol=1e-6)
    np.testing.assert_array_equal(notebook["predict"](as_variables(tf, weights), x),
                                  ref.predict(as_variables(tf, weights), x))
    assert notebook["accuracy"](as_variables(tf, weights), x, y) == ref.accuracy(as_variables(tf, weights), x, y)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_notebook_training_agrees_with_reference(tf, ref, notebook, digits, optimizer):
    x, y, x_val, y_val = digits[0][:150], digits[1][:150], digits[2][:50], digits[3][:50]
    weights = as_numpy(ref.init_params((8, 8, 1), 10, n_kernels=4, units=16, seed=2))
    runs = []
    for impl in (notebook, vars(ref)):
        params = as_variables(tf, weights)
        opt = impl["make_optimizer"](optimizer, 0.01, params)
        assert type(opt) is type(ref.make_optimizer(optimizer, 0.01, as_variables(tf, weights)))
        assert opt.built and getattr(opt, "epsilon", 1e-8) == 1e-8
        assert isinstance(impl["train_step"], tf.types.experimental.PolymorphicFunction)
        first = float(impl["train_step"](params, opt, x[:16], y[:16]))
        history = impl["fit"](params, opt, x, y, epochs=2, batch_size=32, x_val=x_val, y_val=y_val, seed=3)
        runs.append((first, history, as_numpy(params)))
    (nb_first, nb_history, nb_after), (ref_first, ref_history, ref_after) = runs
    assert np.isclose(nb_first, ref_first, rtol=1e-6)
    np.testing.assert_allclose(nb_history["loss"], ref_history["loss"], rtol=1e-6)
    np.testing.assert_allclose(nb_history["val_loss"], ref_history["val_loss"], rtol=1e-6)
    for name in NAMES:
        np.testing.assert_allclose(nb_after[name], ref_after[name], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- the visible tests

def notebook_with(mutation=None):
    """Run the notebook's code cells (no demos) with one solution edited; return (namespace, test cells)."""
    applied = []

    def edit(grade_id, source):
        if mutation and mutation[0] == grade_id:
            assert mutation[1] in source, f"mutation {mutation} no longer applies"
            applied.append(grade_id)
            return source.replace(mutation[1], mutation[2])
        return source

    namespace = solution_namespace("tf2_migration", edit=edit)
    assert bool(applied) == bool(mutation), f"no cell {mutation[0]!r} to apply {mutation} to"
    return namespace, visible_tests("tf2_migration")


# Realistic migration mistakes, each caught by the visible test of the function it breaks.
MUTATIONS = {
    "conv-fan-in-without-9": ("init_params", '"conv_w": glorot((3, 3, C, n_kernels), 9 * C, 9 * n_kernels)',
                                  '"conv_w": glorot((3, 3, C, n_kernels), C, n_kernels)'),
    "channels-first-flatten": ("forward", "f = tf.reshape(p, [tf.shape(p)[0], -1])",
                               "f = tf.reshape(tf.transpose(p, [0, 3, 1, 2]), [tf.shape(p)[0], -1])"),
    "summed-loss": ("compute_loss", "tf.reduce_mean(", "tf.reduce_sum("),
    "keras-default-epsilon": ("make_optimizer", "Adam(learning_rate=learning_rate, epsilon=1e-8)",
                              "Adam(learning_rate=learning_rate)"),
    "optimizer-not-built": ("make_optimizer", "optimizer.build(list(params.values()))", "pass"),
    "loss-after-update": ("train_step", "    return loss", "    return compute_loss(params, x, y)"),
    "np-random-permutation": ("fit", "np.random.default_rng(seed + e).permutation(len(x))",
                              "np.random.permutation(len(x))"),
    "partial-batch-kept": ("fit", "n_batches = len(x) // batch_size", "n_batches = -(-len(x) // batch_size)"),
    "accuracy-in-percent": ("accuracy", "return float(np.mean(", "return 100 * float(np.mean("),
}


def test_visible_tests_pass_on_the_solution():
    namespace, tests = notebook_with()
    assert sorted(tests) == sorted(f"test_{name}" for name in ASSIGNMENT.functions)
    for grade_id, source in tests.items():
        run_cell("tf2_migration", grade_id, source, namespace)


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_visible_test_catches(mutation):
    function, old, new = MUTATIONS[mutation]
    namespace, tests = notebook_with((function, old, new))
    with pytest.raises(AssertionError):
        run_cell("tf2_migration", f"test_{function}", tests[f"test_{function}"], namespace)
