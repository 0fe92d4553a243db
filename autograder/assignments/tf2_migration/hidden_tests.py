"""Hidden tests of the ``tf2_migration`` assignment: a list of cases, each with its points.

The judge is the TF1 program itself (``tf1_reference.TF1Network``: placeholders, a
Session, GradientDescentOptimizer and AdamOptimizer), run on the same weights and
batches as the student's TensorFlow 2 code, which runs in the sandbox through the
scenarios of ``driver.py`` (``checks.drive``). ``train_step`` and ``fit`` get an
optimizer built there, so a wrong ``make_optimizer`` costs only ``make_optimizer``.
Static checks read the cells the sandbox ran.

``fit`` comes last: a ``fit`` that never ends then costs no second run of the notebook.
"""
import numpy as np
import pytest

from autograder.assignments.tf2_migration import TF1_OUTPUTS, TRAINING
from autograder.assignments.tf2_migration.cases import (CORNERS, NAMES, digits, fit_case, glorot_weights,
                                                        network_case, one_hot, optimizer_case, train_case)
from autograder.assignments.tf2_migration.checks import (check_fit, check_float32, check_glorot_uniform, check_labels,
                                                         check_optimizer_steps, check_python_float, check_scalar_loss,
                                                         check_shapes, check_tf2_only, check_train_steps, check_trained,
                                                         check_zero_biases, drive, drive_fit_within_budget,
                                                         drive_init_params, drive_optimizer, driven, implemented,
                                                         is_tf_function, tf1_forward, tf1_loss)
from autograder.assignments.tf2_migration.tf1_reference import TF1Network
from autograder.judge import Failure, check_array, graded, meanwhile
from autograder.messages import say
from solutions import tf2_migration as reference

INIT_CASES = {  # name: (input_shape, n_classes, n_kernels, units)
    "8x8x1 digits": ((8, 8, 1), 10, 10, 100),
    "odd 7x9 images, 3 channels": ((7, 9, 3), 5, 6, 8),
    "one kernel, one unit, 2x3 images": ((2, 3, 2), 2, 1, 1),
}
LOSS_CORNERS = ["8x8x1 digits", "3 channels, float64 images", "batch of 1", "odd height and width"]

# init_params -----------------------------------------------------------------------


@graded("init_params", points=0.75)
@pytest.mark.parametrize("case", INIT_CASES)
def test_init_params_shapes(student, cells, rng, case):
    """a dict of float32 tf.Variables with the contract's names, order and shapes"""
    input_shape, n_classes, n_kernels, units = INIT_CASES[case]
    made, described = drive_init_params(student, cells, input_shape, n_classes, n_kernels, units,
                                        seed=int(rng.integers(1000)))
    check_shapes(made, reference.init_params(input_shape, n_classes, n_kernels=n_kernels, units=units), described)


@graded("init_params", points=0.5)
def test_init_params_glorot_uniform_and_zero_biases(student, cells, rng):
    """Glorot-uniform weights (conv_w: fan_in 9*C, fan_out 9*n_kernels) and zero biases"""
    H, W, C = int(rng.integers(12, 17)), int(rng.integers(12, 17)), int(rng.integers(2, 4))
    n_kernels, units, n_classes = int(rng.integers(24, 33)), int(rng.integers(48, 65)), 10
    made, case = drive_init_params(student, cells, (H, W, C), n_classes, n_kernels, units,
                                   seed=int(rng.integers(1000)))
    check_glorot_uniform(made, {"conv_w": (9 * C, 9 * n_kernels), "w1": ((H // 2) * (W // 2) * n_kernels, units),
                                "w2": (units, n_classes)}, case)
    check_zero_biases(made, case)


@graded("init_params", points=0.5)
def test_init_params_seed(student, cells, rng):
    """the same seed gives the same values, another seed other values"""
    shape, seed = ((8, 8, 1), 10, 4, 16), int(rng.integers(1000))
    (first, case), (again, _), (other, _) = (drive_init_params(student, cells, *shape, seed=s)
                                             for s in (seed, seed, seed + 1))
    for name in NAMES:
        if not np.array_equal(first[name], again[name]):
            raise Failure(say("tf2_migration.not_seeded", name=name, seed=seed, case=case))
    for name in ("conv_w", "w1", "w2"):
        if np.array_equal(first[name], other[name]):
            raise Failure(say("tf2_migration.seed_ignored", name=name, seed=seed, other=seed + 1, case=case))


@graded("init_params", points=0.25)
def test_init_params_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "init_params")


# forward ---------------------------------------------------------------------------


@graded("forward", points=2.75)
@pytest.mark.parametrize("corner", CORNERS)
def test_forward_equals_tf1(student, cells, rng, corner):
    """the logits equal the TF1 graph's for the same weights and images"""
    case = network_case(rng, corner)
    with meanwhile(tf1_forward, case["weights"], case["x"]) as expected:
        result = drive(student, cells, "forward", weights=case["weights"], x=case["x"])
    check_float32(result.value, "logits", result.case)
    check_array(result.value, expected.result(), "logits", result.case, tolerance=TF1_OUTPUTS)


@graded("forward", points=0.25)
def test_forward_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "forward")


# compute_loss ----------------------------------------------------------------------


@graded("compute_loss", points=1.75)
@pytest.mark.parametrize("corner", LOSS_CORNERS)
def test_compute_loss_equals_tf1(student, cells, rng, corner):
    """the loss equals the TF1 graph's cost: mean softmax cross-entropy"""
    case = network_case(rng, corner)
    with meanwhile(tf1_loss, case["weights"], case["x"], case["y"]) as expected:
        result = drive(student, cells, "compute_loss", **case)
    check_scalar_loss(result.value, expected.result(), "the loss", result.case)


@graded("compute_loss", points=0.25)
def test_compute_loss_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "compute_loss")


# make_optimizer --------------------------------------------------------------------


@graded("make_optimizer", points=0.75)
def test_sgd_step_equals_gradient_descent_optimizer(student, cells, rng):
    """'sgd': one step equals TF1's GradientDescentOptimizer"""
    inputs = optimizer_case(rng, "sgd", learning_rate=float(rng.uniform(0.05, 0.5)), steps=1)
    check_optimizer_steps(student, cells, inputs)


@graded("make_optimizer", points=1.25)
def test_adam_steps_equal_adam_optimizer(student, cells, rng):
    """'adam': six steps equal TF1's AdamOptimizer (epsilon 1e-8)"""
    inputs = optimizer_case(rng, "adam", learning_rate=float(rng.uniform(1e-3, 1e-2)), steps=6)
    check_optimizer_steps(student, cells, inputs)


@graded("make_optimizer", points=0.75)
def test_optimizer_is_built(student, cells, rng):
    """the optimizer is built on the parameters before it is returned"""
    report, case = drive_optimizer(student, cells, **optimizer_case(rng, "adam", learning_rate=1e-3, steps=1))
    if report["built"] is not True:
        raise Failure(say("tf2_migration.not_built", case=case))
    if report["new_variables"] != 0:
        raise Failure(say("tf2_migration.built_late", count=report["new_variables"], case=case))


@graded("make_optimizer", points=0.25)
def test_make_optimizer_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "make_optimizer")


# train_step ------------------------------------------------------------------------


@graded("train_step", points=1.0)
def test_sgd_step_returns_the_loss_before_the_update(student, cells, rng):
    """one SGD step on float64 images: returns the loss before the update; the weights move as TF1's train_op"""
    inputs = train_case(rng, "sgd", learning_rate=float(rng.uniform(0.05, 0.5)), steps=1, dtype=np.float64)
    check_train_steps(student, cells, inputs)


@graded("train_step", points=1.0)
def test_adam_steps_equal_tf1(student, cells, rng):
    """six Adam steps: each returned loss and the weights after equal TF1's sess.run([train_op, cost])"""
    inputs = train_case(rng, "adam", learning_rate=1e-3, steps=6, dtype=np.float32)
    check_train_steps(student, cells, inputs)


@graded("train_step", points=0.5)
def test_train_step_is_a_tf_function(student, cells):
    """is a tf.function (decorated with @tf.function)"""
    if not implemented(cells, "train_step").wrapped_in_tf_function("train_step"):
        raise Failure(say("tf2_migration.not_decorated"))
    if not is_tf_function(student, "train_step"):
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


# predict ---------------------------------------------------------------------------


@graded("predict", points=0.75)
def test_predict_is_the_argmax_of_the_tf1_logits(student, cells, rng):
    """integer labels: the argmax of the TF1 graph's logits (float32 and float64 images, a batch of 1)"""
    case = network_case(rng, "8x8x1 digits", batch=64)
    # Centred images and no biases: each label then follows its own image, not what all
    # images share, so a network that flattens in another order cannot agree by chance.
    case["weights"] = {name: np.zeros_like(value) if name.startswith("b") else value
                       for name, value in case["weights"].items()}
    case["x"] = case["x"] - case["x"].dtype.type(0.5)
    images = [case["x"], case["x"].astype(np.float64), case["x"][:1]]
    with TF1Network(case["weights"]) as tf1:
        expected = [tf1.forward(x).argmax(axis=1) for x in images]
    for x, labels in zip(images, expected):
        result = drive(student, cells, "predict", weights=case["weights"], x=x)
        check_labels(result.value, labels, result.case)


@graded("predict", points=0.25)
def test_predict_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "predict")


# accuracy --------------------------------------------------------------------------


@graded("accuracy", points=0.75)
def test_accuracy_value(student, cells, rng):
    """the fraction of images whose predicted label is the one-hot label, as a Python float"""
    case = network_case(rng, "8x8x1 digits", batch=int(rng.integers(10, 30)))
    with TF1Network(case["weights"]) as tf1:
        predicted = tf1.forward(case["x"]).argmax(axis=1)
    n = len(predicted)
    for is_right in (rng.random(n) < 0.6, np.ones(n, bool), np.zeros(n, bool)):
        labels = np.where(is_right, predicted, (predicted + rng.integers(1, 10, n)) % 10)
        result = drive(student, cells, "accuracy", weights=case["weights"], x=case["x"],
                       y=one_hot(labels, 10, case["x"].dtype))
        check_python_float(result.value, float(np.mean(is_right)), "the accuracy", result.case)


@graded("accuracy", points=0.25)
def test_accuracy_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "accuracy")


# fit -------------------------------------------------------------------------------


@graded("fit", points=1.25)
def test_fit_follows_the_contract_order(student, cells, rng):
    """each epoch visits the batches in the contract's order; the history and the weights equal TF1's"""
    inputs = fit_case(rng, epochs=3, validation=True)
    check_fit(student, cells, inputs)


@graded("fit", points=0.5)
def test_fit_without_validation(student, cells, rng):
    """without validation data, val_loss is []"""
    inputs = fit_case(rng, epochs=2, validation=False)
    check_fit(student, cells, inputs)


@graded("fit", points=1.0)
def test_fit_trains_the_digits(student, cells, budgets):
    """reaches 90% accuracy on held-out digits within the time budget"""
    # One split, start and order for every run: whether a network that trains badly
    # still reaches the target must not depend on the seed (the other fit tests check
    # the values on random cases).
    rng = np.random.default_rng(TRAINING["seed"])
    x, y, x_val, y_val, x_test, y_test = digits(int(rng.integers(1000)))
    weights = glorot_weights(rng, (8, 8, 1), kernels=10, units=100, classes=10)
    result = drive_fit_within_budget(student, cells, budgets, weights=weights, optimizer="adam",
                                     learning_rate=TRAINING["learning_rate"], x=x, y=y, epochs=TRAINING["epochs"],
                                     batch_size=TRAINING["batch_size"], seed=int(rng.integers(1000)))
    check_trained(driven(result, "weights", "fit"), np.concatenate([x_val, x_test]), np.concatenate([y_val, y_test]))


@graded("fit", points=0.25)
def test_fit_is_tf2(cells):
    """uses no TF1 API (tf.compat.v1, Session, placeholder, feed_dict, tf.contrib)"""
    check_tf2_only(cells, "fit")
