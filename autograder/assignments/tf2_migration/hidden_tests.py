"""Hidden tests of the ``tf2_migration`` assignment: a list of cases, each with its points.

The judge is the TF1 program itself (``tf1_reference.TF1Network``: placeholders, a
Session, GradientDescentOptimizer and AdamOptimizer), run on the same weights and
batches as the student's TensorFlow 2 code, which runs in the sandbox through the
scenarios of ``driver.py``. ``train_step`` and ``fit`` get an optimizer built there, so
a wrong ``make_optimizer`` costs only ``make_optimizer``. Static checks read the cells
the sandbox ran.

``fit`` comes last: a ``fit`` that never ends then costs no second run of the notebook.
"""
import time

import numpy as np
import pytest

from autograder.assignments.tf2_migration import ASSIGNMENT, TF1_OUTPUTS, TF1_STEPS, TRAINING
from autograder.assignments.tf2_migration.cases import (CORNERS, NAMES, Source, contract_batches, digits,
                                                        glorot_weights, gradient_steps, image_batches, network_case,
                                                        one_hot, tf1_apply_gradients)
from autograder.assignments.tf2_migration.tf1_reference import TF1Network
from autograder.judge import Failure, Scalar, check_array, check_number, describe_value, graded, plain
from autograder.messages import say
from solutions import tf2_migration as reference

# init_params -----------------------------------------------------------------------

INIT_CASES = {  # name: (input_shape, n_classes, n_kernels, units)
    "8x8x1 digits": ((8, 8, 1), 10, 10, 100),
    "odd 7x9 images, 3 channels": ((7, 9, 3), 5, 6, 8),
    "one kernel, one unit, 2x3 images": ((2, 3, 2), 2, 1, 1),
}


@graded("init_params", points=0.75)
@pytest.mark.parametrize("case", INIT_CASES)
def test_init_params_shapes(student, rng, case):
    """a dict of float32 tf.Variables with the contract's names, order and shapes"""
    input_shape, n_classes, n_kernels, units = INIT_CASES[case]
    made, described = init_params(student, input_shape, n_classes, n_kernels, units, seed=int(rng.integers(1000)))
    expected = reference.init_params(input_shape, n_classes, n_kernels=n_kernels, units=units)
    for name, value in made.items():
        if value.shape != tuple(expected[name].shape):
            raise Failure(say("value.wrong_shape", name=name, got=value.shape, expected=tuple(expected[name].shape),
                              case=described))


@graded("init_params", points=0.5)
def test_init_params_glorot_uniform_and_zero_biases(student, rng):
    """Glorot-uniform weights (conv_w: fan_in 9*C, fan_out 9*n_kernels) and zero biases"""
    input_shape = (int(rng.integers(12, 17)), int(rng.integers(12, 17)), int(rng.integers(2, 4)))
    n_kernels, units, n_classes = int(rng.integers(24, 33)), int(rng.integers(48, 65)), 10
    made, described = init_params(student, input_shape, n_classes, n_kernels, units, seed=int(rng.integers(1000)))
    H, W, C = input_shape
    n_features = (H // 2) * (W // 2) * n_kernels
    fans = {"conv_w": (9 * C, 9 * n_kernels), "w1": (n_features, units), "w2": (units, n_classes)}
    for name, (fan_in, fan_out) in fans.items():
        w = made[name].astype(np.float64)
        limit = np.sqrt(6 / (fan_in + fan_out))
        facts = {"name": name, "limit": limit, "fan_in": fan_in, "fan_out": fan_out, "case": described}
        if np.abs(w).max() > limit * (1 + 1e-6):
            raise Failure(say("tf2_migration.above_glorot_limit", high=np.abs(w).max(), **facts))
        if np.abs(w).max() <= 0.9 * limit:
            raise Failure(say("tf2_migration.below_glorot_limit", high=np.abs(w).max(), **facts))
        if abs(w.std() - limit / np.sqrt(3)) >= 0.1 * limit:
            raise Failure(say("tf2_migration.glorot_spread", std=w.std(), expected=limit / np.sqrt(3), **facts))
    for name in ("conv_b", "b1", "b2"):
        if np.any(made[name] != 0):
            raise Failure(say("tf2_migration.bias_not_zero", name=name, case=described))


@graded("init_params", points=0.5)
def test_init_params_seed(student, rng):
    """the same seed gives the same values, another seed other values"""
    shape, seed = ((8, 8, 1), 10, 4, 16), int(rng.integers(1000))
    (first, described), (again, _), (other, _) = (init_params(student, *shape, seed=s) for s in (seed, seed, seed + 1))
    for name in NAMES:
        if not np.array_equal(first[name], again[name]):
            raise Failure(say("tf2_migration.not_seeded", name=name, seed=seed, case=described))
    for name in ("conv_w", "w1", "w2"):
        if np.array_equal(first[name], other[name]):
            raise Failure(say("tf2_migration.seed_ignored", name=name, seed=seed, other=seed + 1, case=described))


@graded("init_params", points=0.25)
def test_init_params_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "init_params")


def init_params(student, input_shape, n_classes, n_kernels, units, seed):
    """``({name: array}, case)``, once the returned dict's names, order and types are right."""
    result = drive(student, "init_params", input_shape=input_shape, n_classes=n_classes, n_kernels=n_kernels,
                   units=units, seed=seed)
    made = plain(result.value)
    if not isinstance(made, list):
        got = f"a {made}" if isinstance(made, str) else describe_value(made)
        raise Failure(say("tf2_migration.not_dict", got=got, case=result.case))
    names = [item[0] for item in made]
    if names != list(NAMES):
        raise Failure(say("tf2_migration.wrong_names", expected=list(NAMES), got=names, case=result.case))
    for name, is_variable, value in made:
        if is_variable is not True:
            raise Failure(say("tf2_migration.not_variable", name=name, got=describe_value(value), case=result.case))
        check_float32(value, name, result.case)
    return {name: value for name, _, value in made}, result.case


# forward ---------------------------------------------------------------------------


@graded("forward", points=2.75)
@pytest.mark.parametrize("corner", CORNERS)
def test_forward_equals_tf1(student, rng, corner):
    """the logits equal the TF1 graph's for the same weights and images"""
    case = network_case(rng, corner)
    result = drive(student, "forward", weights=case["weights"], x=case["x"])
    with TF1Network(case["weights"]) as tf1:
        expected = tf1.forward(case["x"])
    check_float32(result.value, "logits", result.case)
    check_array(result.value, expected, "logits", result.case, tolerance=TF1_OUTPUTS)


@graded("forward", points=0.25)
def test_forward_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "forward")


# compute_loss ----------------------------------------------------------------------


@graded("compute_loss", points=1.75)
@pytest.mark.parametrize("corner", ["8x8x1 digits", "3 channels, float64 images", "batch of 1",
                                    "odd height and width"])
def test_compute_loss_equals_tf1(student, rng, corner):
    """the loss equals the TF1 graph's cost: mean softmax cross-entropy"""
    case = network_case(rng, corner)
    result = drive(student, "compute_loss", **case)
    with TF1Network(case["weights"]) as tf1:
        expected = tf1.loss(case["x"], case["y"])
    check_scalar_loss(result.value, expected, "the loss", result.case)


@graded("compute_loss", points=0.25)
def test_compute_loss_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "compute_loss")


# make_optimizer --------------------------------------------------------------------


@graded("make_optimizer", points=0.75)
def test_sgd_step_equals_gradient_descent_optimizer(student, rng):
    """'sgd': one step equals TF1's GradientDescentOptimizer"""
    check_optimizer_steps(student, rng, "sgd", learning_rate=float(rng.uniform(0.05, 0.5)), steps=1)


@graded("make_optimizer", points=1.25)
def test_adam_steps_equal_adam_optimizer(student, rng):
    """'adam': six steps equal TF1's AdamOptimizer (epsilon 1e-8)"""
    check_optimizer_steps(student, rng, "adam", learning_rate=float(rng.uniform(1e-3, 1e-2)), steps=6)


@graded("make_optimizer", points=0.75)
def test_optimizer_is_built(student, rng):
    """the optimizer is built on the parameters before it is returned"""
    report, case = optimizer_steps(student, rng, "adam", learning_rate=1e-3, steps=1)
    if report["built"] is not True:
        raise Failure(say("tf2_migration.not_built", case=case))
    if report["new_variables"] != 0:
        raise Failure(say("tf2_migration.built_late", count=report["new_variables"], case=case))


@graded("make_optimizer", points=0.25)
def test_make_optimizer_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "make_optimizer")


KERAS_CLASSES = {"sgd": "SGD", "adam": "Adam"}


def optimizer_steps(student, rng, optimizer, learning_rate, steps):
    """The driver's report on the student's optimizer applying ``steps`` random gradients."""
    weights = network_case(rng, "8x8x1 digits")["weights"]
    gradients = gradient_steps(rng, weights, steps)
    result = drive(student, "make_optimizer", weights=weights, name=optimizer, learning_rate=learning_rate,
                   gradients=gradients)
    report = plain(result.value)
    if not isinstance(report, dict) or report.get("keras_class") is not True:
        got = report.get("type") if isinstance(report, dict) else describe_value(report)
        raise Failure(say("tf2_migration.wrong_optimizer", optimizer=optimizer, expected=KERAS_CLASSES[optimizer],
                          got=got))
    return {**report, "gradients": gradients, "weights_before": weights}, result.case


def check_optimizer_steps(student, rng, optimizer, learning_rate, steps):
    report, case = optimizer_steps(student, rng, optimizer, learning_rate, steps)
    expected = tf1_apply_gradients(report["weights_before"], optimizer, learning_rate, report["gradients"])
    for name in NAMES:
        check_array(report["weights"][name], expected[name], f"{name} after {steps} {KERAS_CLASSES[optimizer]} steps",
                    case, tolerance=TF1_STEPS)


# train_step ------------------------------------------------------------------------


@graded("train_step", points=1.0)
def test_sgd_step_returns_the_loss_before_the_update(student, rng):
    """one SGD step on float64 images: returns the loss before the update; the weights move as TF1's train_op"""
    check_train_steps(student, rng, "sgd", learning_rate=float(rng.uniform(0.05, 0.5)), steps=1, dtype=np.float64)


@graded("train_step", points=1.0)
def test_adam_steps_equal_tf1(student, rng):
    """six Adam steps: each returned loss and the weights after equal TF1's sess.run([train_op, cost])"""
    check_train_steps(student, rng, "adam", learning_rate=1e-3, steps=6, dtype=np.float32)


@graded("train_step", points=0.5)
def test_train_step_is_a_tf_function(student, cells):
    """is a tf.function (decorated with @tf.function)"""
    source = implemented(cells, "train_step")
    if not source.wrapped_in_tf_function("train_step"):
        raise Failure(say("tf2_migration.not_decorated"))
    kind = plain(student.drive("is_tf_function", ("train_step",)).value)
    if not (isinstance(kind, dict) and kind.get("polymorphic") is True and kind.get("traceable") is True):
        raise Failure(say("tf2_migration.not_tf_function"))


@graded("train_step", points=0.25)
def test_train_step_uses_gradient_tape(cells):
    """takes its gradients from a tf.GradientTape"""
    if not implemented(cells, "train_step").uses("train_step", "GradientTape"):
        raise Failure(say("tf2_migration.no_gradient_tape"))


@graded("train_step", points=0.25)
def test_train_step_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "train_step")


def check_train_steps(student, rng, optimizer, learning_rate, steps, dtype):
    image, classes = (8, 8, 1), 10
    weights = glorot_weights(rng, image, kernels=int(rng.integers(4, 11)), units=int(rng.integers(16, 65)),
                             classes=classes)
    batches = image_batches(rng, steps, int(rng.integers(8, 33)), image, classes, dtype)
    result = drive(student, "train_step", weights=weights, optimizer=optimizer, learning_rate=learning_rate,
                   batches=batches)
    with TF1Network(weights, optimizer, learning_rate) as tf1:
        expected_losses, expected_weights = tf1.train(batches), tf1.weights()
    losses = driven(result, "losses", "train_step")
    for step, (loss, expected) in enumerate(zip(losses, expected_losses), start=1):
        name = f"the loss train_step returned at step {step} (the loss before its update)"
        check_scalar_loss(loss, expected, name, result.case)
    for name in NAMES:
        check_array(result.value["weights"][name], expected_weights[name],
                    f"{name} after {steps} {KERAS_CLASSES[optimizer]} steps", result.case, tolerance=TF1_STEPS)


# predict ---------------------------------------------------------------------------


@graded("predict", points=0.75)
def test_predict_is_the_argmax_of_the_tf1_logits(student, rng):
    """integer labels: the argmax of the TF1 graph's logits (float32 and float64 images, a batch of 1)"""
    case = network_case(rng, "8x8x1 digits", batch=24)
    images = [case["x"], case["x"].astype(np.float64), case["x"][:1]]
    with TF1Network(case["weights"]) as tf1:
        expected = [tf1.forward(x).argmax(axis=1) for x in images]
    for x, labels in zip(images, expected):
        result = drive(student, "predict", weights=case["weights"], x=x)
        if not (isinstance(result.value, np.ndarray) and result.value.dtype.kind in "iu"
                and result.value.shape == labels.shape):
            raise Failure(say("tf2_migration.not_labels", name="labels", shape=labels.shape,
                              got=describe_value(result.value), case=result.case))
        check_array(result.value.astype(np.int64), labels.astype(np.int64), "labels", result.case)


@graded("predict", points=0.25)
def test_predict_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "predict")


# accuracy --------------------------------------------------------------------------


@graded("accuracy", points=0.75)
def test_accuracy_value(student, rng):
    """the fraction of images whose predicted label is the one-hot label, as a Python float"""
    case = network_case(rng, "8x8x1 digits", batch=int(rng.integers(10, 30)))
    with TF1Network(case["weights"]) as tf1:
        predicted = tf1.forward(case["x"]).argmax(axis=1)
    n = len(predicted)
    for is_right in (rng.random(n) < 0.6, np.ones(n, bool), np.zeros(n, bool)):
        labels = np.where(is_right, predicted, (predicted + rng.integers(1, 10, n)) % 10)
        result = drive(student, "accuracy", weights=case["weights"], x=case["x"],
                       y=one_hot(labels, 10, case["x"].dtype))
        if not (isinstance(result.value, Scalar) and result.value.type_name in ("float", "float64")):
            raise Failure(say("tf2_migration.not_python_float", name="the accuracy",
                              got=describe_value(result.value), case=result.case))
        check_number(result.value, float(np.mean(is_right)), "the accuracy", result.case)


@graded("accuracy", points=0.25)
def test_accuracy_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "accuracy")


# fit -------------------------------------------------------------------------------


@graded("fit", points=1.25)
def test_fit_follows_the_contract_order(student, rng):
    """each epoch visits the batches in the contract's order; the history and the weights equal TF1's"""
    check_fit(student, rng, epochs=3, validation=True)


@graded("fit", points=0.5)
def test_fit_without_validation(student, rng):
    """without validation data, val_loss is []"""
    check_fit(student, rng, epochs=2, validation=False)


@graded("fit", points=1.0)
def test_fit_trains_the_digits(student, rng, budgets):
    """reaches 90% accuracy on held-out digits within the time budget"""
    x_train, y_train, x_val, y_val, x_test, y_test = digits(int(rng.integers(1000)))
    weights = glorot_weights(rng, (8, 8, 1), kernels=10, units=100, classes=10)
    inputs = {"weights": weights, "optimizer": "adam", "learning_rate": TRAINING["learning_rate"],
              "x": x_train, "y": y_train, "epochs": TRAINING["epochs"], "batch_size": TRAINING["batch_size"],
              "seed": int(rng.integers(1000))}
    seconds = budgets.seconds["fit"]
    started = time.monotonic()
    try:
        result = drive(student, "fit", timeout=seconds, **inputs)
    except Failure:
        if time.monotonic() - started >= seconds and "fit" in student.stopped:
            raise Failure(say("tf2_migration.over_budget", epochs=TRAINING["epochs"], seconds=seconds,
                              device=budgets.device.upper())) from None
        raise
    trained = driven(result, "weights", "fit")
    x_held_out, y_held_out = np.concatenate([x_val, x_test]), np.concatenate([y_val, y_test])
    with TF1Network(trained) as tf1:
        accuracy = float(np.mean(tf1.forward(x_held_out).argmax(axis=1) == y_held_out.argmax(axis=1)))
    if accuracy < TRAINING["accuracy"]:
        raise Failure(say("tf2_migration.low_accuracy", epochs=TRAINING["epochs"], accuracy=accuracy,
                          learning_rate=TRAINING["learning_rate"], batch_size=TRAINING["batch_size"],
                          count=len(x_held_out), target=TRAINING["accuracy"]))


@graded("fit", points=0.25)
def test_fit_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "fit")


def check_fit(student, rng, epochs, validation):
    """fit with SGD on float64 images against the TF1 program over the contract's batches."""
    image, classes = (8, 8, 1), 10
    weights = glorot_weights(rng, image, kernels=int(rng.integers(4, 11)), units=int(rng.integers(16, 65)),
                             classes=classes)
    batch_size = int(rng.integers(8, 17))
    n = int(rng.integers(3, 6)) * batch_size + int(rng.integers(1, batch_size))  # a partial batch to drop
    (x, y), = image_batches(rng, 1, n, image, classes, np.float64)
    inputs = {"weights": weights, "optimizer": "sgd", "learning_rate": float(rng.uniform(0.05, 0.2)), "x": x, "y": y,
              "epochs": epochs, "batch_size": batch_size, "seed": int(rng.integers(1000))}
    if validation:
        (inputs["x_val"], inputs["y_val"]), = image_batches(rng, 1, int(rng.integers(5, 20)), image, classes,
                                                            np.float64)
    result = drive(student, "fit", **inputs)
    expected_loss, expected_val = [], []
    with TF1Network(weights, "sgd", inputs["learning_rate"]) as tf1:
        for epoch in range(epochs):
            expected_loss.append(tf1.train(contract_batches(x, y, batch_size, inputs["seed"], epoch)).mean())
            if validation:
                expected_val.append(tf1.loss(inputs["x_val"], inputs["y_val"]))
        expected_weights = tf1.weights()
    history = driven(result, "history", "fit")
    if not isinstance(history, dict) or set(history) != {"loss", "val_loss"}:
        raise Failure(say("tf2_migration.not_history", got=describe_value(history), case=result.case))
    if not validation and history["val_loss"] != []:
        raise Failure(say("tf2_migration.val_loss_not_empty", got=describe_value(history["val_loss"]),
                          case=result.case))
    for key, expected in (("loss", expected_loss), ("val_loss", expected_val)):
        values = history[key]
        if not isinstance(values, list) or len(values) != len(expected):
            raise Failure(say("tf2_migration.history_length", key=key, expected=len(expected),
                              got=describe_value(values), case=result.case))
        for epoch, (value, number) in enumerate(zip(values, expected)):
            check_number(value, float(number), f"history['{key}'][{epoch}]", result.case, tolerance=TF1_OUTPUTS)
    for name in NAMES:
        check_array(result.value["weights"][name], expected_weights[name], f"{name} after {epochs} epochs",
                    result.case, tolerance=TF1_STEPS)


# shared checks ---------------------------------------------------------------------


def implemented(cells, function: str) -> Source:
    """The parsed cells, once ``function`` is defined and no longer raises NotImplementedError."""
    source = Source(cells, ASSIGNMENT.functions)
    if not source.defines(function):
        raise Failure(say("call.missing", function=function))
    if not source.implemented(function):
        raise Failure(say("call.not_implemented", function=function))
    return source


def check_tf2_only(cells, function: str) -> None:
    found = implemented(cells, function).tf1_uses(function)
    if found:
        raise Failure(say("tf2_migration.uses_tf1", function=function, found="; ".join(found[:3])))


# What each function calls in the notebook, directly or through another: once one of them
# ran past its time limit or crashed, checks that would call it again are skipped.
CALLS = {
    "compute_loss": ("forward",),
    "train_step": ("compute_loss", "forward"),
    "fit": ("train_step", "compute_loss", "forward"),
    "predict": ("forward",),
    "accuracy": ("predict", "forward"),
}


def drive(student, function: str, timeout: float = None, **inputs):
    """Run the driver's scenario named after ``function``, unless a function it calls is stopped."""
    stopped = [callee for callee in CALLS.get(function, ()) if callee in student.stopped]
    if stopped:
        raise Failure(say("tf2_migration.callee_stopped", function=function, callee=stopped[0]))
    return student.drive(function, (function,), timeout, **inputs)


def driven(result, key: str, function: str):
    """An item of what a scenario of the driver returned."""
    if not isinstance(result.value, dict) or key not in result.value:
        raise Failure(say("call.garbled", function=function, case=result.case))
    return result.value[key]


def check_float32(value, name: str, case: str) -> None:
    if isinstance(value, np.ndarray) and value.dtype != np.float32:
        raise Failure(say("tf2_migration.not_float32", name=name, got=value.dtype, case=case))


def check_scalar_loss(value, expected, name: str, case: str) -> None:
    """A float32 scalar (what ``.numpy()`` of a scalar tensor gives) equal to the TF1 cost."""
    if isinstance(value, Scalar):
        dtype = value.type_name
    elif isinstance(value, np.ndarray) and value.shape == ():
        dtype = value.dtype.name
    else:
        raise Failure(say("tf2_migration.not_scalar", name=name, got=describe_value(value), case=case))
    if dtype != "float32":
        raise Failure(say("tf2_migration.not_float32", name=name, got=dtype, case=case))
    check_number(value, float(expected), name, case, tolerance=TF1_OUTPUTS)
