"""What the tf2_migration hidden tests are written with, beside the judge's checks.

The student's functions are reached through the scenarios of ``driver.py`` (``drive``),
which are not run once a contract function they call (read from the cells the sandbox
ran) ran past its time limit or crashed. What comes back is checked for its type
(float32, scalars, the dicts of ``init_params`` and of the driver) and against the TF1
program; the static checks read the same cells.
"""
import time

import numpy as np

from autograder.assignments.tf2_migration import ASSIGNMENT, TF1_OUTPUTS, TF1_STEPS, TRAINING
from autograder.assignments.tf2_migration.cases import NAMES, Source, contract_batches, tf1_apply_gradients
from autograder.assignments.tf2_migration.tf1_reference import TF1Network
from autograder.judge import Failure, Scalar, check_array, check_number, describe_value, meanwhile, plain, remembered
from autograder.messages import say

KERAS_CLASSES = {"sgd": "SGD", "adam": "Adam"}

# Running the student's code ---------------------------------------------------------


def drive(student, cells, function: str, timeout: float = None, **inputs):
    """Run the driver's scenario named after ``function``, unless a contract function it
    calls in the notebook ran past its time limit or crashed in an earlier check."""
    stopped = [callee for callee in Source(cells, ASSIGNMENT.functions).calls(function) if callee in student.stopped]
    if stopped:
        raise Failure(say("tf2_migration.callee_stopped", function=function, callee=stopped[0]))
    return student.drive(function, (function,), timeout, **inputs)


def drive_fit_within_budget(student, cells, budgets, **inputs):
    """``drive(..., "fit", ...)`` with the run's time budget for ``fit`` as its time limit."""
    seconds = budgets.seconds["fit"]
    started = time.monotonic()
    try:
        return drive(student, cells, "fit", timeout=seconds, **inputs)
    except Failure:
        if time.monotonic() - started >= seconds and "fit" in student.stopped:
            raise Failure(say("tf2_migration.over_budget", epochs=inputs["epochs"], seconds=seconds,
                              device=budgets.device.upper())) from None
        raise


def driven(result, key: str, function: str):
    """An item of what a scenario of the driver returned."""
    if not isinstance(result.value, dict) or key not in result.value:
        raise Failure(say("call.garbled", function=function, case=result.case))
    return result.value[key]


def is_tf_function(student, function: str) -> bool:
    """Whether ``function``, after the notebook ran, is a traceable ``tf.function``."""
    kind = plain(student.drive("is_tf_function", (function,)).value)
    return isinstance(kind, dict) and kind.get("polymorphic") is True and kind.get("traceable") is True


def drive_init_params(student, cells, input_shape, n_classes, n_kernels, units, seed):
    """``({name: array}, case)``, once the returned dict's names, order and types are right."""
    result = drive(student, cells, "init_params", input_shape=input_shape, n_classes=n_classes, n_kernels=n_kernels,
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


def drive_optimizer(student, cells, **inputs):
    """``(report, case)``: the driver's report on the student's optimizer applying each of
    ``inputs["gradients"]`` in turn, once it is the Keras class TF1's optimizer became."""
    result = drive(student, cells, "make_optimizer", **inputs)
    report = plain(result.value)
    if not isinstance(report, dict) or report.get("keras_class") is not True:
        got = report.get("type") if isinstance(report, dict) else describe_value(report)
        raise Failure(say("tf2_migration.wrong_optimizer", optimizer=inputs["name"],
                          expected=KERAS_CLASSES[inputs["name"]], got=got))
    return report, result.case


# What came back, against the TF1 program ---------------------------------------------


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


def check_labels(value, expected: np.ndarray, case: str) -> None:
    """A numpy array of integer labels equal to ``expected``."""
    if not (isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.shape == expected.shape):
        raise Failure(say("tf2_migration.not_labels", name="labels", shape=expected.shape, got=describe_value(value),
                          case=case))
    check_array(value.astype(np.int64), expected.astype(np.int64), "labels", case)


def check_python_float(value, expected: float, name: str, case: str) -> None:
    if not (isinstance(value, Scalar) and value.type_name in ("float", "float64")):
        raise Failure(say("tf2_migration.not_python_float", name=name, got=describe_value(value), case=case))
    check_number(value, expected, name, case)


def check_shapes(made: dict, expected: dict, case: str) -> None:
    """Each array of ``made`` has the shape of ``expected``'s item of its name."""
    for name, value in made.items():
        if value.shape != tuple(expected[name].shape):
            raise Failure(say("value.wrong_shape", name=name, got=value.shape, expected=tuple(expected[name].shape),
                              case=case))


def check_zero_biases(made: dict, case: str) -> None:
    for name in ("conv_b", "b1", "b2"):
        if np.any(made[name] != 0):
            raise Failure(say("tf2_migration.bias_not_zero", name=name, case=case))


def check_weights(weights: dict, expected: dict, after: str, case: str) -> None:
    """Every weight equal to TF1's ``after`` its updates."""
    for name in NAMES:
        check_array(weights[name], expected[name], f"{name} after {after}", case, tolerance=TF1_STEPS)


def check_glorot_uniform(made: dict, fans: dict, case: str) -> None:
    """Each weight of ``fans`` (``{name: (fan_in, fan_out)}``) fills U(-limit, limit)."""
    for name, (fan_in, fan_out) in fans.items():
        w = made[name].astype(np.float64)
        limit = np.sqrt(6 / (fan_in + fan_out))
        facts = {"name": name, "limit": limit, "fan_in": fan_in, "fan_out": fan_out, "case": case}
        if np.abs(w).max() > limit * (1 + 1e-6):
            raise Failure(say("tf2_migration.above_glorot_limit", high=np.abs(w).max(), **facts))
        if np.abs(w).max() <= 0.9 * limit:
            raise Failure(say("tf2_migration.below_glorot_limit", high=np.abs(w).max(), **facts))
        if abs(w.std() - limit / np.sqrt(3)) >= 0.1 * limit:
            raise Failure(say("tf2_migration.glorot_spread", std=w.std(), expected=limit / np.sqrt(3), **facts))


@remembered
def tf1_forward(weights: dict, x) -> np.ndarray:
    with TF1Network(weights) as tf1:
        return tf1.forward(x)


@remembered
def tf1_loss(weights: dict, x, y) -> float:
    with TF1Network(weights) as tf1:
        return tf1.loss(x, y)


@remembered
def tf1_train(inputs: dict) -> tuple:
    """``(losses, weights after)``: TF1's train_op on each of ``inputs["batches"]``."""
    with TF1Network(inputs["weights"], inputs["optimizer"], inputs["learning_rate"]) as tf1:
        return tf1.train(inputs["batches"]), tf1.weights()


@remembered
def tf1_fit(inputs: dict) -> tuple:
    """``(losses, validation losses, weights after)``: TF1's train_op over the contract's
    batches, epoch by epoch."""
    expected_loss, expected_val = [], []
    with TF1Network(inputs["weights"], inputs["optimizer"], inputs["learning_rate"]) as tf1:
        for epoch in range(inputs["epochs"]):
            batches = contract_batches(inputs["x"], inputs["y"], inputs["batch_size"], inputs["seed"], epoch)
            expected_loss.append(tf1.train(batches).mean())
            if "x_val" in inputs:
                expected_val.append(tf1.loss(inputs["x_val"], inputs["y_val"]))
        return expected_loss, expected_val, tf1.weights()


def check_optimizer_steps(student, cells, inputs: dict) -> None:
    """The weights after the student's optimizer applied the gradients equal TF1's, which
    the judge computes while the student's optimizer runs."""
    optimizer, gradients = inputs["name"], inputs["gradients"]
    with meanwhile(tf1_apply_gradients, inputs["weights"], optimizer, inputs["learning_rate"], gradients) as tf1:
        report, case = drive_optimizer(student, cells, **inputs)
    check_weights(report["weights"], tf1.result(), f"{len(gradients)} {KERAS_CLASSES[optimizer]} steps", case)


def check_train_steps(student, cells, inputs: dict) -> None:
    """Each loss ``train_step`` returned is TF1's before its update, and the weights after
    every batch of ``inputs`` are TF1's."""
    with meanwhile(tf1_train, inputs) as tf1:
        result = drive(student, cells, "train_step", **inputs)
    expected_losses, expected_weights = tf1.result()
    losses = driven(result, "losses", "train_step")
    for step, (loss, expected) in enumerate(zip(losses, expected_losses), start=1):
        name = f"the loss train_step returned at step {step} (the loss before its update)"
        check_scalar_loss(loss, expected, name, result.case)
    steps = f"{len(inputs['batches'])} {KERAS_CLASSES[inputs['optimizer']]} steps"
    check_weights(result.value["weights"], expected_weights, steps, result.case)


def check_fit(student, cells, inputs: dict) -> None:
    """The history and the weights ``fit`` left equal TF1's over the contract's batches."""
    epochs, validation = inputs["epochs"], "x_val" in inputs
    with meanwhile(tf1_fit, inputs) as tf1:
        result = drive(student, cells, "fit", **inputs)
    expected_loss, expected_val, expected_weights = tf1.result()
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
    check_weights(result.value["weights"], expected_weights, f"{epochs} epochs", result.case)


def check_trained(weights: dict, x, y) -> None:
    """The TF1 graph with the trained ``weights`` labels ``TRAINING["accuracy"]`` of ``x`` right."""
    with TF1Network(weights) as tf1:
        accuracy = float(np.mean(tf1.forward(x).argmax(axis=1) == y.argmax(axis=1)))
    if accuracy < TRAINING["accuracy"]:
        raise Failure(say("tf2_migration.low_accuracy", epochs=TRAINING["epochs"], accuracy=accuracy,
                          learning_rate=TRAINING["learning_rate"], batch_size=TRAINING["batch_size"],
                          count=len(x), target=TRAINING["accuracy"]))


# The cells the sandbox ran ------------------------------------------------------------


def implemented(cells, function: str) -> Source:
    """The parsed cells, once ``function`` is defined and no longer raises NotImplementedError."""
    return Source.of_implemented(cells, ASSIGNMENT.functions, function)


def check_tf2_only(cells, function: str) -> None:
    found = implemented(cells, function).tf1_uses(function)
    if found:
        raise Failure(say("tf2_migration.uses_tf1", function=function, found="; ".join(found[:3])))
