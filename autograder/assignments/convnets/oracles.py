"""The `convnets` reference against its oracles, and the notebook against the reference.

Keras judges the shapes and parameter counts (``output.shape`` and ``count_params()`` of
the same layers) and, loaded with the same weights, the batch norm (``BatchNormalization``,
its moving averages included), the residual unit, the dense block and the ResNet (built
from ``Conv2D``, ``ReLU``, ``Concatenate`` and ``Dense``); centred finite differences judge
the gradients ``tf.GradientTape`` takes through them. The reference then judges the
source notebook's solution code, its data loader and the training numbers it states.
"""
import numpy as np
import pytest

from autograder.assignments.convnets import ASSIGNMENT, GRADIENTS, OUTPUTS, TRAINED, TRAINING
from autograder.assignments.convnets.cases import (BAD_SPECS, NETWORKS, SHAPE_CASES, bad_stack,
                                                   batch_norm_case, dense_case, random_stack, residual_case,
                                                   resnet_case, train_case)
from autograder.assignments.oracle_fixtures import tf  # noqa: F401 (a fixture)
from autograder.assignments.testing import numerical_gradient, solution_namespace, source_notebook, visible_tests

# TensorFlow and the reference (which imports it) come from fixtures: collecting these
# tests imports no TensorFlow.


@pytest.fixture(scope="module")
def ref(tf):
    from solutions import convnets

    return convnets


@pytest.fixture(scope="module")
def driver(tf):
    from autograder.assignments.convnets import driver

    return driver


@pytest.fixture(scope="module")
def expected(tf):
    """The hidden tests' run of a driver scenario on the reference."""
    from autograder.assignments.convnets.checks import expected

    return expected


# --------------------------------------------------------------------------- Part 1 vs Keras


def keras_layer(tf, layer):
    if layer["type"] == "conv":
        return tf.keras.layers.Conv2D(layer["filters"], layer["kernel"], strides=layer["stride"],
                                      padding=layer["padding"], use_bias=layer["use_bias"])
    if layer["type"] == "pool":
        return tf.keras.layers.MaxPooling2D(layer["size"], strides=layer["stride"], padding=layer["padding"])
    if layer["type"] == "dense":
        return tf.keras.layers.Dense(layer["units"], use_bias=layer["use_bias"])
    return tf.keras.layers.Flatten()


def keras_summary(tf, input_shape, layers):
    """Keras's per-layer output shapes (batch left out) and count_params() of the stack."""
    model = tf.keras.Sequential([tf.keras.Input(input_shape)] + [keras_layer(tf, layer) for layer in layers])
    return [tuple(layer.output.shape[1:]) for layer in model.layers], [layer.count_params() for layer in model.layers]


def stack(name: str) -> tuple:
    """``(input_shape, layers)``: a network of the notes, or a random stack."""
    if name in NETWORKS:
        return NETWORKS[name]
    return random_stack(np.random.default_rng(int(name.rsplit(" ", 1)[-1])))


STACKS = [*NETWORKS, "random stack 0", "random stack 1", "random stack 2"]


def assert_summary_equals_keras(tf, ref, input_shape, layers):
    shapes, params, total = ref.network_summary(input_shape, layers)
    keras_shapes, keras_params = keras_summary(tf, input_shape, layers)
    assert shapes == keras_shapes and params == keras_params and total == sum(keras_params)
    assert all(type(n) is int for shape in shapes for n in shape) and all(type(p) is int for p in params)
    shape = tuple(input_shape)
    for layer, out, count in zip(layers, shapes, params):
        assert ref.layer_output_shape(shape, layer) == out
        weights, biases = ref.layer_params(shape, layer)
        assert weights + biases == count and (biases == 0 or layer.get("use_bias", False))
        shape = out


@pytest.mark.parametrize("name", STACKS)
def test_network_summary_equals_keras(tf, ref, name):
    assert_summary_equals_keras(tf, ref, *stack(name))


@pytest.mark.parametrize("case", SHAPE_CASES)
def test_every_layer_of_the_hidden_shape_cases_equals_keras(tf, ref, case):
    for input_shape, layer in SHAPE_CASES[case](np.random.default_rng(0)):
        assert_summary_equals_keras(tf, ref, input_shape, [layer])


def test_the_notes_networks_have_their_published_sizes(ref):
    shapes, params, total = ref.network_summary(*NETWORKS["LeNet-5"])
    assert shapes[3] == (5, 5, 16) and shapes[4] == (400,) and total == 61706
    shapes, _, _ = ref.network_summary(*NETWORKS["AlexNet's first layers"])
    assert shapes[:2] == [(55, 55, 96), (27, 27, 96)] and shapes[-1] == (6, 6, 256)
    _, params, total = ref.network_summary(*NETWORKS["the notes' MNIST network"])
    assert params == [320, 0, 18496, 0, 0, 7 * 7 * 64 * 256 + 256, 2570]


@pytest.mark.parametrize("bad", BAD_SPECS)
def test_bad_specs_raise_value_error_naming_the_field(ref, bad):
    field, make = BAD_SPECS[bad]
    input_shape, layer, good = make(np.random.default_rng(1))
    with pytest.raises(ValueError, match=field):
        ref.layer_output_shape(input_shape, layer)
    with pytest.raises(ValueError, match=field):
        ref.network_summary(input_shape, [layer])
    if good is not None:
        ref.layer_output_shape(input_shape, good)  # the same layer, mended, is fine
    if field == "type" and layer["type"] not in ("conv", "pool", "dense", "flatten"):
        with pytest.raises(ValueError, match="type"):
            ref.layer_params(input_shape, layer)


@pytest.mark.parametrize("where", ["dense before flatten", "a pool window larger than its input"])
def test_a_bad_layer_inside_a_stack_raises(ref, where):
    input_shape, layers, field = bad_stack(np.random.default_rng(2), where)
    with pytest.raises(ValueError, match=field):
        ref.network_summary(input_shape, layers)


def test_keras_refuses_a_window_larger_than_its_input(tf):
    with pytest.raises(ValueError):
        keras_summary(tf, (4, 9, 3), [{"type": "conv", "filters": 2, "kernel": (5, 3), "stride": 1,
                                       "padding": "valid", "use_bias": True}])


# --------------------------------------------------------------------------- batch norm and units vs Keras


def keras_batch_norm(tf, weights, momentum=0.9, epsilon=1e-3):
    layer = tf.keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build((None, None, None, len(weights["gamma"])))
    layer.set_weights([weights[name] for name in ("gamma", "beta", "moving_mean", "moving_variance")])
    return layer


def moving(layer) -> dict:
    return dict(zip(("moving_mean", "moving_variance"), layer.get_weights()[2:]))


def keras_conv(tf, w, stride=1):
    layer = tf.keras.layers.Conv2D(w.shape[-1], w.shape[:2], strides=stride, padding="same", use_bias=False)
    layer.build((None, None, None, w.shape[2]))
    layer.set_weights([w])
    return layer


def keras_unit(tf, x, weights, training, stride):
    """The pre-activation unit of Keras layers; returns the output and each batch norm's moving statistics."""
    relu = tf.keras.layers.ReLU()
    bn1, bn2 = keras_batch_norm(tf, weights["bn1"]), keras_batch_norm(tf, weights["bn2"])
    a = relu(bn1(x, training=training))
    h = relu(bn2(keras_conv(tf, weights["conv1_w"], stride)(a), training=training))
    h = keras_conv(tf, weights["conv2_w"])(h)
    shortcut = keras_conv(tf, weights["proj_w"], stride)(a) if "proj_w" in weights else x
    return tf.keras.layers.Add()([h, shortcut]), {"bn1": moving(bn1), "bn2": moving(bn2)}


def keras_block(tf, x, weights, training):
    after = []
    for layer in weights:
        bn = keras_batch_norm(tf, layer["bn"])
        y = keras_conv(tf, layer["conv_w"])(tf.keras.layers.ReLU()(bn(x, training=training)))
        x = tf.keras.layers.Concatenate(axis=-1)([x, y])
        after.append({"bn": moving(bn)})
    return x, after


def keras_resnet(tf, x, weights, training):
    h = keras_conv(tf, weights["stem_w"])(x)
    after = {"units": []}
    for unit in weights["units"]:
        h, unit_after = keras_unit(tf, h, unit, training, 2 if "proj_w" in unit else 1)
        after["units"].append(unit_after)
    bn = keras_batch_norm(tf, weights["bn"])
    h = tf.keras.layers.GlobalAveragePooling2D()(tf.keras.layers.ReLU()(bn(h, training=training)))
    after["bn"] = moving(bn)
    dense = tf.keras.layers.Dense(weights["dense_w"].shape[1])
    dense.build((None, weights["dense_w"].shape[0]))
    dense.set_weights([weights["dense_w"], weights["dense_b"]])
    return dense(h), after


def assert_moving_statistics(driver, after: dict, keras_after, weights, training: bool):
    """The reference's variables after the call: the moving statistics Keras's, the rest unchanged."""
    keras_flat = dict(driver.leaves(keras_after))
    for path, value in driver.leaves(weights):
        got = after[path]
        if path in keras_flat:
            np.testing.assert_allclose(got, keras_flat[path], **OUTPUTS, err_msg=path)
            assert training or np.array_equal(got, value), f"{path} moved with training=False"
            assert not training or not np.allclose(got, value), f"{path} did not move with training=True"
        else:
            np.testing.assert_array_equal(got, value, err_msg=path)


BN_CASES = [(corner, training) for corner in ("plain", "float64 x", "one image, 2x2 (4 values per channel)",
                                              "one channel", "momentum=0.5, epsilon=0.1") for training in (True, False)]


@pytest.mark.parametrize("corner, training", BN_CASES)
def test_batch_norm_equals_keras(expected, tf, driver, corner, training):
    inputs = batch_norm_case(np.random.default_rng(3), corner, training)
    result = expected("batch_norm", inputs)
    options = {key: inputs[key] for key in ("momentum", "epsilon") if key in inputs}
    layer = keras_batch_norm(tf, inputs["weights"], **options)
    want = layer(tf.cast(inputs["x"], tf.float32), training=training).numpy()
    assert result["y"].dtype == np.float32
    np.testing.assert_allclose(result["y"], want, **OUTPUTS)
    assert_moving_statistics(driver, result["after"], moving(layer), inputs["weights"], training)


def test_training_normalises_each_channel_with_the_biased_variance(ref, tf):
    x = np.random.default_rng(4).normal(3.0, 2.0, (2, 3, 3, 4)).astype(np.float32)
    params = {"gamma": tf.Variable(np.ones(4, np.float32)), "beta": tf.Variable(np.zeros(4, np.float32)),
              "moving_mean": tf.Variable(np.zeros(4, np.float32), trainable=False),
              "moving_variance": tf.Variable(np.ones(4, np.float32), trainable=False)}
    y = ref.batch_norm(x, params, training=True, epsilon=0.0).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), 1, rtol=1e-4)
    np.testing.assert_allclose(params["moving_variance"].numpy(), 0.9 + 0.1 * x.var(axis=(0, 1, 2)), rtol=1e-5)


RESIDUAL_CASES = [(corner, training) for corner in ("identity shortcut, stride 1", "identity shortcut, float64 x",
                                                    "projection, stride 1", "projection, stride 2, odd 5x5 input",
                                                    "projection, stride 2, 4x6 input") for training in (True, False)]


@pytest.mark.parametrize("corner, training", RESIDUAL_CASES)
def test_residual_unit_equals_keras_layers(expected, tf, driver, corner, training):
    inputs = residual_case(np.random.default_rng(5), corner, training)
    result = expected("residual_unit", inputs)
    want, keras_after = keras_unit(tf, tf.cast(inputs["x"], tf.float32), inputs["weights"], training,
                                   inputs["stride"])
    assert result["y"].dtype == np.float32
    np.testing.assert_allclose(result["y"], want.numpy(), **OUTPUTS)
    assert_moving_statistics(driver, result["after"], keras_after, inputs["weights"], training)


@pytest.mark.parametrize("corner", ["2 layers, growth rate 3", "1 layer", "3 layers, growth rate 1", "float64 x"])
@pytest.mark.parametrize("training", [True, False])
def test_dense_block_equals_keras_layers(expected, tf, driver, corner, training):
    inputs = dense_case(np.random.default_rng(6), corner, training)
    result = expected("dense_block", inputs)
    want, keras_after = keras_block(tf, tf.cast(inputs["x"], tf.float32), inputs["weights"], training)
    np.testing.assert_allclose(result["y"], want.numpy(), **OUTPUTS)
    # the input's channels come first, unchanged
    np.testing.assert_array_equal(result["y"][..., :inputs["x"].shape[-1]], inputs["x"].astype(np.float32))
    assert_moving_statistics(driver, result["after"], keras_after, inputs["weights"], training)


@pytest.mark.parametrize("corner", ["widths (4, 6), 8x8x1 images", "three units, odd 7x9x2 images",
                                    "one unit, no projection", "float64 images"])
@pytest.mark.parametrize("training", [True, False])
def test_resnet_forward_equals_keras_layers(expected, tf, driver, corner, training):
    inputs = resnet_case(np.random.default_rng(7), corner, training)
    result = expected("resnet_forward", inputs)
    want, keras_after = keras_resnet(tf, tf.cast(inputs["x"], tf.float32), inputs["weights"], training)
    np.testing.assert_allclose(result["y"], want.numpy(), **OUTPUTS)
    assert_moving_statistics(driver, result["after"], keras_after, inputs["weights"], training)


def test_the_kink_watch_sees_the_relus_of_the_reference(expected, tf, ref):
    """Gradient cases are drawn clear of ReLU kinks by watching tf.nn.relu while the
    reference runs: were its ReLUs written another way, no case would ever be redrawn."""
    from autograder.assignments.convnets.checks import KINK_MARGIN, check_run_clear_of_kinks, closest_to_a_kink
    from autograder.judge import Returned

    class ReferenceInTheSandbox:
        """A student whose every run is the reference's: it keeps the inputs it ran last."""

        stopped = set()

        def drive(self, scenario, functions, timeout=None, **inputs):
            self.inputs = inputs
            return Returned(expected(scenario, inputs), inputs, None, scenario, 0.0)

    rng = np.random.default_rng(11)
    student = ReferenceInTheSandbox()
    for function, corner, draw in (
            ("residual_unit", "projection, stride 1", lambda: residual_case(rng, "projection, stride 1", True, True)),
            ("dense_block", "2 layers", lambda: dense_case(rng, "2 layers, growth rate 3", True, True)),
            ("resnet_forward", "widths (4, 6)", lambda: resnet_case(rng, "widths (4, 6), 8x8x1 images", True, True))):
        assert 0 <= closest_to_a_kink(function, draw()) < 1.0, function
        check_run_clear_of_kinks(student, function, corner, draw, "the output")
        assert closest_to_a_kink(function, student.inputs) > KINK_MARGIN, function


# --------------------------------------------------------------------------- gradients vs finite differences

def first_image(inputs: dict) -> dict:
    """The case cut down to its first image (still 25 values per channel in training)."""
    return {**inputs, "x": inputs["x"][:1], "cotangent": inputs["cotangent"][:1]}


GRADIENT_CASES = {
    "batch_norm": lambda rng, training: batch_norm_case(rng, "one image, 2x2 (4 values per channel)", training, True),
    "residual_unit": lambda rng, training: first_image(
        residual_case(rng, "projection, stride 2, odd 5x5 input", training, True)),
    "dense_block": lambda rng, training: first_image(dense_case(rng, "1 layer", training, True)),
}


def finite_differences(loss, array: np.ndarray, rng) -> tuple:
    """``(numeric, taped)`` pairs' makers: every entry's centred difference for a small
    array; for a larger one the derivative along one random direction, which the tape's
    gradient gives as a dot product."""
    if array.size <= 16:
        return numerical_gradient(loss, array, step=1e-3), lambda gradient: gradient
    direction, base, t = rng.standard_normal(array.shape), array.copy(), np.zeros(1)

    def along():
        array[...] = base + t[0] * direction
        return loss()

    numeric = numerical_gradient(along, t, step=1e-3)
    array[...] = base
    return numeric, lambda gradient: np.array([np.sum(gradient * direction)])


@pytest.mark.parametrize("function", GRADIENT_CASES)
@pytest.mark.parametrize("training", [True, False])
def test_gradient_tape_equals_finite_differences(expected, tf, ref, driver, function, training):
    """The scenario's gradients of sum(cotangent * output), with respect to x and every
    trainable weight, against centred differences of the same sum."""
    rng = np.random.default_rng(8)
    inputs = GRADIENT_CASES[function](rng, training)
    taped = expected(function, inputs)["gradients"]
    x, weights, cotangent = inputs["x"].astype(np.float64), inputs["weights"], inputs["cotangent"]
    options = {"stride": inputs["stride"]} if "stride" in inputs else {}

    def loss():
        params = driver.as_variables(weights)  # fresh moving statistics: each call starts alike
        y = getattr(ref, function)(x, params, training, **options)
        return float(np.sum(y.numpy().astype(np.float64) * cotangent))

    checked = {"x": x, **{path: value for path, value in driver.leaves(weights) if "moving" not in path}}
    assert sorted(taped) == sorted(checked)
    for name, array in checked.items():
        numeric, project = finite_differences(loss, array, rng)
        scale = max(np.abs(numeric).max(), 1e-3)
        np.testing.assert_allclose(project(taped[name]), numeric, rtol=1e-2, atol=1e-2 * scale, err_msg=name)


def test_resnet_gradients_reach_every_trainable_variable(expected, tf, driver):
    inputs = resnet_case(np.random.default_rng(9), "widths (4, 6), 8x8x1 images", True, gradients=True)
    gradients = expected("resnet_forward", inputs)["gradients"]
    trainable = ["x"] + [path for path, _ in driver.leaves(inputs["weights"]) if "moving" not in path]
    assert sorted(gradients) == sorted(trainable)
    assert all(gradients[name] is not None and np.abs(gradients[name]).max() > 0 for name in trainable)


# --------------------------------------------------------------------------- init_resnet


def test_init_resnet_structure_and_starting_values(tf, ref):
    params = ref.init_resnet((7, 9, 3), 5, widths=(4, 6, 10), seed=3)
    assert set(params) == {"stem_w", "units", "bn", "dense_w", "dense_b"} and len(params["units"]) == 3
    assert "proj_w" not in params["units"][0] and all("proj_w" in unit for unit in params["units"][1:])
    assert tuple(params["units"][2]["conv1_w"].shape) == (3, 3, 6, 10)
    assert tuple(params["units"][2]["proj_w"].shape) == (1, 1, 6, 10)
    assert tuple(params["dense_w"].shape) == (10, 5)
    for variable in tf.nest.flatten(params):
        assert isinstance(variable, tf.Variable) and variable.dtype == tf.float32
        assert variable.trainable == ("moving" not in variable.name)
    default = ref.init_resnet((8, 8, 1), 10)
    assert tuple(default["stem_w"].shape) == (3, 3, 1, 8) and tuple(default["dense_w"].shape) == (16, 10)


def test_init_resnet_draws_he_normal_and_glorot_uniform_from_the_seed(tf, ref, driver):
    input_shape, n_classes, widths = (12, 12, 3), 10, (24, 48)
    made = dict(driver.leaves(ref.init_resnet(input_shape, n_classes, widths=widths, seed=0)))
    from autograder.assignments.convnets.checks import (check_glorot_uniform, check_he_normal,
                                                        check_starting_values)

    arrays = {path: v.numpy() for path, v in made.items()}
    check_he_normal(arrays, "oracle")
    check_glorot_uniform(arrays["dense_w"], "dense_w", "oracle")
    check_starting_values(arrays, "oracle")
    # the statistics themselves, more closely than the hidden test asks
    w = arrays["units[1]/conv2_w"]
    assert abs(w.std() / np.sqrt(2 / (9 * 48)) - 1) < 0.03
    # Keras's own initialisers draw the same distributions
    keras_he = tf.keras.initializers.RandomNormal(stddev=np.sqrt(2 / (9 * 48)), seed=1)((3, 3, 48, 48)).numpy()
    assert abs(keras_he.std() / w.std() - 1) < 0.05
    keras_glorot = tf.keras.initializers.GlorotUniform(seed=1)((48, 10)).numpy()
    assert abs(keras_glorot.std() / arrays["dense_w"].std() - 1) < 0.15
    again = ref.init_resnet(input_shape, n_classes, widths=widths, seed=0)
    other = ref.init_resnet(input_shape, n_classes, widths=widths, seed=1)
    for (path, v), (_, w_again), (_, w_other) in zip(made.items(), driver.leaves(again), driver.leaves(other)):
        assert np.array_equal(v.numpy(), w_again.numpy()), path
        assert v.numpy().ndim < 2 or not np.array_equal(v.numpy(), w_other.numpy()), path


def test_the_statistics_checks_catch_uniform_and_fan_out(ref, driver):
    """He-uniform (the right spread) and a fan-out scale both fail the hidden test's check."""
    from autograder.assignments.convnets.checks import check_he_normal
    from autograder.judge import Failure

    rng = np.random.default_rng(0)
    uniform = {"w": rng.uniform(-1, 1, (3, 3, 24, 48)) * np.sqrt(3 * 2 / (9 * 24))}
    fan_out = {"w": rng.standard_normal((3, 3, 3, 24)) * np.sqrt(2 / (9 * 24))}
    for made in (uniform, fan_out):
        with pytest.raises(Failure):
            check_he_normal(made, "oracle")


# --------------------------------------------------------------------------- train_resnet


def contract_batches(x, y, batch_size, seed, epoch):
    order = np.random.default_rng(seed + epoch).permutation(len(x))
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x) - batch_size + 1, batch_size)]


def test_train_resnet_takes_the_contract_steps(expected, tf, ref, driver):
    """An eager loop by hand (Keras SGD, the contract's batches, the loss before each step)
    gives the reference's history and weights; the judge's eager run of the reference
    gives the graph's within the hidden test's tolerance."""
    inputs = train_case(np.random.default_rng(10), "sgd", epochs=3, built=False)
    graph = driver.train_resnet(vars(ref), **inputs)
    assert set(graph["history"]) == {"loss"} and all(isinstance(loss, float) for loss in graph["history"]["loss"])
    eager = expected("train_resnet", {**inputs, "built": True})
    np.testing.assert_allclose(eager["history"]["loss"], graph["history"]["loss"], **TRAINED)
    for path, value in graph["after"].items():
        np.testing.assert_allclose(eager["after"][path], value, **TRAINED, err_msg=path)

    params = driver.as_variables(inputs["weights"])
    variables = [v for _, v in driver.leaves(params) if v.trainable]
    sgd = tf.keras.optimizers.SGD(inputs["learning_rate"])
    x, y = inputs["x"].astype(np.float32), inputs["y"].astype(np.float32)
    by_hand = []
    for epoch in range(inputs["epochs"]):
        losses = []
        for xb, yb in contract_batches(x, y, inputs["batch_size"], inputs["seed"], epoch):
            with tf.GradientTape() as tape:
                logits = ref.resnet_forward(params, xb, training=True)
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=yb, logits=logits))
            sgd.apply_gradients(zip(tape.gradient(loss, variables), variables))
            losses.append(float(loss))
        by_hand.append(np.mean(losses))
    assert len(x) % inputs["batch_size"], "the case has a partial batch to drop"
    np.testing.assert_allclose(graph["history"]["loss"], by_hand, **TRAINED)
    for path, variable in driver.leaves(params):
        np.testing.assert_allclose(graph["after"][path], variable.numpy(), **TRAINED, err_msg=path)


@pytest.fixture(scope="module")
def notebook(tf):
    return solution_namespace("convnets")


@pytest.fixture(scope="module")
def digits(notebook):
    return notebook["load_digits_split"](seed=0)


def test_training_on_digits_reaches_the_hidden_tests_accuracy(tf, ref, digits):
    x_train, y_train, x_val, y_val, x_test, y_test = digits
    params = ref.init_resnet((8, 8, 1), 10, widths=TRAINING["widths"], seed=0)
    history = ref.train_resnet(params, tf.keras.optimizers.Adam(TRAINING["learning_rate"]), x_train, y_train,
                               epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"], seed=0)
    assert history["loss"][-1] < history["loss"][0]
    x, y = np.concatenate([x_val, x_test]), np.concatenate([y_val, y_test])
    labels = ref.resnet_forward(params, x, training=False).numpy().argmax(axis=1)
    assert np.mean(labels == y.argmax(axis=1)) >= TRAINING["accuracy"]


def test_digits_loader(notebook, digits):
    assert "load_digits_split" in notebook  # a locked cell, so the autograder's run defines it too
    assert [len(a) for a in digits] == [1197, 1197, 300, 300, 300, 300]
    for x, y in zip(digits[::2], digits[1::2]):
        assert x.dtype == np.float32 and x.shape[1:] == (8, 8, 1) and 0 <= x.min() and x.max() <= 1
        assert y.dtype == np.float32 and y.shape[1:] == (10,)
        np.testing.assert_array_equal(y.sum(axis=1), 1)
    from autograder.assignments.convnets.cases import digits as hidden_digits

    assert all(np.array_equal(a, b) for a, b in zip(hidden_digits(0), digits))


def test_notebook_states_the_hidden_training_test():
    """The numbers the hidden train_resnet test uses are the ones the student reads and runs."""
    cells = source_notebook("convnets").cells
    text = " ".join(" ".join(cell.source.split()) for cell in cells if cell.cell_type == "markdown")
    test_code = visible_tests("convnets")["test_train_resnet"]
    epochs, lr, batch, accuracy = (TRAINING[key] for key in ("epochs", "learning_rate", "batch_size", "accuracy"))
    seconds = ASSIGNMENT.budgets["train_resnet"].seconds
    assert seconds["cpu"] == seconds["gpu"], "the notebook states one budget for CPU and GPU"
    assert TRAINING["widths"] == (8, 16)  # init_resnet's default, which the notebook trains
    assert (f"{epochs} epochs of Adam (learning rate {lr:g}, batches of {batch})" in text
            and f"at least {accuracy:.0%}" in text and f"within {seconds['cpu']:g} seconds" in text)
    for call in (f"Adam({lr:g})", f"epochs={epochs}, batch_size={batch}", f"held_out >= {accuracy:g}",
                 f"seconds < {seconds['cpu']:g}"):
        assert call in test_code, call


# --------------------------------------------------------------------------- the notebook


def test_notebook_defines_the_contract(notebook):
    assert all(callable(notebook.get(function)) for function in ASSIGNMENT.functions)


@pytest.mark.parametrize("name", ["LeNet-5", "AlexNet's first layers", "random stack 0", "random stack 1"])
def test_notebook_part_1_agrees_with_reference(ref, notebook, name):
    input_shape, layers = stack(name)
    assert notebook["network_summary"](input_shape, layers) == ref.network_summary(input_shape, layers)
    shape = input_shape
    for layer in layers:
        assert notebook["layer_params"](shape, layer) == ref.layer_params(shape, layer)
        assert notebook["layer_output_shape"](shape, layer) == ref.layer_output_shape(shape, layer)
        shape = ref.layer_output_shape(shape, layer)
    for bad in BAD_SPECS.values():
        input_shape, layer, _ = bad[1](np.random.default_rng(12))
        with pytest.raises(ValueError, match=bad[0]):
            notebook["layer_output_shape"](input_shape, layer)


NOTEBOOK_CASES = [("batch_norm", batch_norm_case, "plain"), ("batch_norm", batch_norm_case, "float64 x"),
                  ("residual_unit", residual_case, "projection, stride 2, odd 5x5 input"),
                  ("residual_unit", residual_case, "identity shortcut, stride 1"),
                  ("dense_block", dense_case, "2 layers, growth rate 3"),
                  ("resnet_forward", resnet_case, "three units, odd 7x9x2 images")]


@pytest.mark.parametrize("function, case, corner", NOTEBOOK_CASES)
@pytest.mark.parametrize("training", [True, False])
def test_notebook_units_agree_with_reference(ref, driver, notebook, function, case, corner, training):
    """Within the hidden tests' tolerances, gradients included."""
    inputs = case(np.random.default_rng(13), corner, training, gradients=function != "resnet_forward")
    ours, theirs = (driver.SCENARIOS[function](namespace, **inputs) for namespace in (vars(ref), notebook))
    assert theirs["y"].dtype == np.float32
    np.testing.assert_allclose(theirs["y"], ours["y"], **OUTPUTS)
    for path, value in ours["after"].items():
        np.testing.assert_allclose(theirs["after"][path], value, **OUTPUTS, err_msg=path)
    for name, value in (ours.get("gradients") or {}).items():
        np.testing.assert_allclose(theirs["gradients"][name], value, **GRADIENTS, err_msg=name)


def test_notebook_init_resnet_agrees_with_reference(ref, driver, notebook):
    args = ((7, 9, 3), 5, (4, 6, 10), 21)
    ours, theirs = (driver.init_resnet(namespace, *args) for namespace in (vars(ref), notebook))
    assert [item[:4] for item in theirs] == [item[:4] for item in ours]


def test_notebook_training_agrees_with_reference(expected, driver, notebook):
    """The notebook's traced steps against the reference's, run as the hidden test runs them."""
    inputs = train_case(np.random.default_rng(14), "sgd", epochs=2, built=False)
    ours, theirs = expected("train_resnet", inputs), driver.train_resnet(notebook, **inputs)
    np.testing.assert_allclose(theirs["history"]["loss"], ours["history"]["loss"], **TRAINED)
    for path, value in ours["after"].items():
        np.testing.assert_allclose(theirs["after"][path], value, **TRAINED, err_msg=path)
