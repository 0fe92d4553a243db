"""What the convnets hidden tests are written with, beside the judge's checks.

Part 1's functions are plain Python, called directly; what they return is checked for
its type (tuples of ints) and against the reference. The TensorFlow functions run in
the scenarios of ``driver.py`` (``drive``), and the judge runs the same scenario on the
reference (``expected``), so the output, the variables after the call and the gradients
are compared with the very same steps taken on both sides.

``residual_unit``, ``dense_block``, ``resnet_forward`` and ``train_resnet`` use the
student's own ``batch_norm``: when one of their checks fails and that ``batch_norm`` is
wrong, the feedback says so (``uses_batch_norm``). They are not run once a function they
call, by the contract, ran past its time limit or crashed.
"""
import time
import weakref
from contextlib import contextmanager

import numpy as np
import tensorflow as tf

from autograder.assignments.convnets import ASSIGNMENT, GRADIENTS, OUTPUTS, TRAINED, TRAINING
from autograder.assignments.convnets import driver
from autograder.assignments.convnets.cases import batch_norm_case
from autograder.judge import (Failure, Scalar, Source, check_array, check_int, check_number, describe_value,
                              meanwhile, plain, remembered)
from autograder.messages import say
from solutions import convnets as reference

# what each function calls, by the contract
CALLEES = {
    "network_summary": (),
    "residual_unit": ("batch_norm",),
    "dense_block": ("batch_norm",),
    "resnet_forward": ("residual_unit", "batch_norm"),
    "train_resnet": ("resnet_forward", "residual_unit", "batch_norm"),
}
# a sample's standard deviation within 15% of the expected one: five of its standard errors
# for the smallest weight the statistics test draws (648 values)
HE_SPREAD = 0.15

# Part 1: shapes and parameter counts -------------------------------------------------


def check_shape(value, expected: tuple, name: str, case: str) -> None:
    """A tuple of ints equal to ``expected``."""
    if not (isinstance(value, tuple) and all(_is_int(n) for n in value)):
        raise Failure(say("convnets.not_shape", name=name, got=_shown(value), case=case))
    got = tuple(int(n.value) for n in value)
    if got != tuple(expected):
        raise Failure(say("convnets.wrong_shape", name=name, got=got, case=case))


def check_counts(value, expected: tuple, case: str) -> None:
    """``(weights, biases)``, two ints."""
    if not (isinstance(value, tuple) and len(value) == 2):
        raise Failure(say("convnets.not_pair", got=describe_value(value), case=case))
    for name, got, want in zip(("weights", "biases"), value, expected):
        check_int(got, int(want), f"the number of {name}", case)


def check_summary(value, expected: tuple, case: str) -> None:
    """``(shapes, params, total)``: a list of shapes, a list of ints and an int."""
    shapes, params, total = expected
    if not (isinstance(value, tuple) and len(value) == 3):
        raise Failure(say("convnets.not_summary", got=describe_value(value), case=case))
    got_shapes, got_params, got_total = value
    for name, got, want in (("shapes", got_shapes, shapes), ("params", got_params, params)):
        if not (isinstance(got, list) and len(got) == len(want)):
            raise Failure(say("convnets.not_list", name=name, count=len(want), got=describe_value(got), case=case))
    for i, (got, want) in enumerate(zip(got_shapes, shapes)):
        check_shape(got, want, f"shapes[{i}]", case)
    for i, (got, want) in enumerate(zip(got_params, params)):
        check_int(got, want, f"params[{i}]", case)
    check_int(got_total, total, "total", case)


def _is_int(value) -> bool:
    return isinstance(value, Scalar) and np.asarray(value.value).dtype.kind in "iu" and value.type_name != "bool"


def _shown(value) -> str:
    """A returned shape as the student would print it, or what it is."""
    if isinstance(value, (tuple, list)) and len(value) <= 8 and all(isinstance(n, Scalar) for n in value):
        items = ", ".join(f"{n.value!r} ({n.type_name})" for n in value)
        return f"a {type(value).__name__} ({items})"
    return describe_value(value)


# Running the student's TensorFlow code, and the reference's --------------------------


def drive(student, function: str, timeout: float = None, **inputs):
    """Run the driver's scenario named after ``function``, unless a function it calls by
    the contract ran past its time limit or crashed in an earlier check."""
    stopped = [callee for callee in CALLEES.get(function, ()) if callee in student.stopped]
    if stopped:
        raise Failure(say("convnets.callee_stopped", function=function, callee=stopped[0]))
    return student.drive(function, (function,), timeout, **inputs)


@remembered
def expected(function: str, inputs: dict):
    """What the scenario gives with the reference's functions (asked once per judge)."""
    return _run_reference(function, inputs)


def _run_reference(function: str, inputs: dict):
    """The scenario with the reference's functions. The reference trains eagerly here:
    the same steps, without the seconds that tracing a graph takes."""
    eager = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        return driver.SCENARIOS[function](vars(reference), **inputs)
    finally:
        tf.config.run_functions_eagerly(eager)


# A ReLU input this close to 0 can round to either side in the student's float32 arithmetic
# and the reference's, and flip every gradient behind it: a gradient case with one is drawn
# again, so that a right answer never loses by luck.
KINK_MARGIN = 1e-4
DRAWS = 50


@remembered
def expected_clear_of_kinks(function: str, inputs: dict) -> tuple:
    """``(expected(function, inputs), the smallest |input| of any ReLU in that run)``."""
    relu, closest = tf.nn.relu, [np.inf]

    def watched(features, name=None):
        closest.append(float(tf.reduce_min(tf.abs(features))))
        return relu(features, name=name)

    tf.nn.relu = watched
    try:
        return _run_reference(function, inputs), min(closest)
    finally:
        tf.nn.relu = relu


def closest_to_a_kink(function: str, inputs: dict) -> float:
    """The smallest |input| of any ReLU in the reference's run on ``inputs``."""
    return expected_clear_of_kinks(function, inputs)[1]


def driven(result, key: str, function: str):
    """An item of what a scenario of the driver returned."""
    if not isinstance(result.value, dict) or key not in result.value:
        raise Failure(say("call.garbled", function=function, case=result.case))
    return result.value[key]


def describe(corner: str, inputs: dict) -> str:
    """The case in words: its corner, x's shape and dtype, the flags; never values."""
    x = inputs["x"]
    flags = [f"x {tuple(x.shape)} {x.dtype}", f"training={inputs['training']}"]
    flags += [f"{key}={inputs[key]!r}" for key in ("stride", "momentum", "epsilon") if key in inputs]
    return f"{corner} ({', '.join(flags)})"


def check_float32(value, name: str, case: str) -> None:
    if isinstance(value, np.ndarray) and value.dtype != np.float32:
        raise Failure(say("convnets.not_float32", name=name, got=value.dtype, case=case))


def check_run(student, function: str, corner: str, inputs: dict, output: str) -> None:
    """The scenario's output, the variables after it (moving statistics moved in training,
    untouched otherwise) and, when ``inputs`` has a cotangent, the gradients, against the
    reference's, which runs here while the student's runs in the sandbox."""
    with uses_batch_norm(student, function):
        with meanwhile(expected, function, inputs) as reference:
            result = drive(student, function, **inputs)
        compare_run(result, reference.result(), function, describe(corner, inputs), output)


def check_run_clear_of_kinks(student, function: str, corner: str, draw, output: str) -> None:
    """:func:`check_run` on ``draw()``'s inputs, drawn and run again while the reference's
    run feeds a ReLU a value within ``KINK_MARGIN`` of 0 (rarely: a second run then)."""
    with uses_batch_norm(student, function):
        for _ in range(DRAWS):
            inputs = draw()
            with meanwhile(expected_clear_of_kinks, function, inputs) as reference:
                result = drive(student, function, **inputs)
            want, closest = reference.result()
            if closest > KINK_MARGIN:
                break
        compare_run(result, want, function, describe(corner, inputs), output)


def compare_run(result, want: dict, function: str, case: str, output: str) -> None:
    y = driven(result, "y", function)
    if not isinstance(y, np.ndarray):
        raise Failure(say("convnets.not_tensor", name=output, got=describe_value(y), case=case))
    check_float32(y, output, case)
    check_array(y, want["y"], output, case, tolerance=OUTPUTS)
    replaced = driven(result, "replaced", function)
    if replaced:
        raise Failure(say("convnets.variable_replaced", function=function, path=replaced[0], case=case))
    check_variables(driven(result, "after", function), want["after"], f"after `{function}`", case, OUTPUTS)
    if "gradients" in want:
        check_gradients(driven(result, "gradients", function), want["gradients"], output, case)


def check_variables(after, expected_after: dict, when: str, case: str, tolerance: dict) -> None:
    """Every variable (by its path) equal to the reference's ``when``."""
    if not isinstance(after, dict):
        raise Failure(say("call.garbled", function="the driver", case=case))
    for path, want in expected_after.items():
        if path not in after:
            raise Failure(say("convnets.variable_gone", path=path, case=case))
        check_array(after[path], want, f"{path} {when}", case, tolerance=tolerance)


def check_gradients(gradients, expected_gradients: dict, output: str, case: str) -> None:
    """The gradients of sum(cotangent * output) equal the reference's, none missing."""
    if not isinstance(gradients, dict):
        raise Failure(say("convnets.no_gradient", output=output, case=case))
    for name, want in expected_gradients.items():
        got = gradients.get(name)
        if got is None:
            raise Failure(say("convnets.gradient_none", name=name, output=output, case=case))
        check_array(got, want, f"the gradient of a weighted sum of {output} with respect to {name}", case,
                    tolerance=GRADIENTS)


# A wrong batch_norm costs the functions that use it, and their feedback says so ------

_batch_norm_right = weakref.WeakKeyDictionary()  # student: whether their batch_norm passes its plain cases


def batch_norm_passes(student) -> bool:
    """Whether the student's batch_norm gives the reference's output and moving statistics
    on a plain case, in training and in inference (with the defaults the units use)."""
    if student not in _batch_norm_right:
        rng = np.random.default_rng(0)
        try:
            for training in (True, False):
                inputs = batch_norm_case(rng, "plain", training)
                check_run(student, "batch_norm", "plain", inputs, "batch_norm's output")
            _batch_norm_right[student] = True
        except Failure:
            _batch_norm_right[student] = False
    return _batch_norm_right[student]


@contextmanager
def uses_batch_norm(student, function: str):
    """Around a check of a function that uses the student's batch_norm: its failure says
    when that batch_norm fails its own checks."""
    try:
        yield
    except Failure as failure:
        if function != "batch_norm" and not batch_norm_passes(student):
            raise Failure(f"{failure}\n{say('convnets.wrong_batch_norm', function=function)}") from None
        raise


# What the code uses ------------------------------------------------------------------

KERAS_LAYERS = ("BatchNormalization", "Conv2D", "Dense", "Concatenate", "Add", "ReLU", "GlobalAveragePooling2D")


def names_in_code(cells, function: str) -> set:
    """What the function's code and its helpers' name, read from the cells the sandbox
    ran once it is implemented (what else its cell ran, a comparison with Keras, is not
    the function's)."""
    return Source.of_implemented(cells, ASSIGNMENT.functions, function).names(function, with_cell=False)


def check_no_keras_layers(cells, function: str) -> None:
    """No Keras layer, and nothing of tf.compat.v1, in the function's code or its helpers'."""
    dotted = [name.split(".") for name in names_in_code(cells, function) if "." in name]
    found = sorted(".".join(parts) for parts in dotted
                   if "layers" in parts[1:] or parts[-1] in KERAS_LAYERS or "compat" in parts)
    if found:
        raise Failure(say("convnets.uses_keras", function=function, found=max(found, key=len)))


def check_uses_tf_function(cells, function: str) -> None:
    """The function, or a helper it calls, makes a tf.function (``tf.function``, or
    ``function`` imported from TensorFlow)."""
    if not {"function", "tf.function"} & names_in_code(cells, function):
        raise Failure(say("convnets.no_tf_function", function=function))


# init_resnet ---------------------------------------------------------------------------


def drive_init(student, input_shape, n_classes, widths, seed) -> tuple:
    """``({path: array}, case)`` of the student's init_resnet, once its structure, types,
    shapes and trainable flags are the reference's."""
    inputs = {"input_shape": input_shape, "n_classes": n_classes, "widths": widths, "seed": seed}
    with meanwhile(expected, "init_resnet", inputs) as reference:
        result = drive(student, "init_resnet", **inputs)
    case = f"input_shape={input_shape}, n_classes={n_classes}, widths={widths}"
    made = plain(result.value)
    if not isinstance(made, list):
        got = f"a {made}" if isinstance(made, str) else describe_value(made)
        raise Failure(say("convnets.not_dict", got=got, case=case))
    want = {path: (trainable, value.shape) for path, _, _, trainable, value in reference.result()}
    paths = [item[0] for item in made]
    missing, extra = [p for p in want if p not in paths], [p for p in paths if p not in want]
    if missing or extra:
        raise Failure(say("convnets.wrong_structure", missing=missing[:4] or "nothing", extra=extra[:4] or "nothing",
                          case=case))
    for path, type_name, is_variable, trainable, value in made:
        if is_variable is not True:
            raise Failure(say("convnets.not_variable", name=path, got=type_name, case=case))
        check_float32(value, path, case)
        if value.shape != want[path][1]:
            raise Failure(say("value.wrong_shape", name=path, got=value.shape, expected=want[path][1], case=case))
        if trainable is not want[path][0]:
            raise Failure(say("convnets.trainable" if want[path][0] else "convnets.not_trainable", name=path,
                              case=case))
    return {path: value for path, _, _, _, value in made}, case


def check_he_normal(made: dict, case: str) -> None:
    """Each conv weight has standard deviation sqrt(2 / fan_in) and mean 0; together they
    are normal, not uniform (a uniform of that spread never passes 1.73 of it)."""
    standardised = []
    for path, w in made.items():
        if w.ndim != 4:
            continue
        kh, kw, c_in, _ = w.shape
        std = np.sqrt(2.0 / (kh * kw * c_in))
        facts = {"name": path, "expected": std, "fan_in": kh * kw * c_in, "case": case}
        if abs(w.std() / std - 1) > HE_SPREAD:
            raise Failure(say("convnets.he_spread", got=w.std(), **facts))
        if abs(w.mean()) > 0.2 * std:
            raise Failure(say("convnets.he_mean", got=w.mean(), **facts))
        standardised.append(w.ravel() / std)
    beyond = float(np.mean(np.abs(np.concatenate(standardised)) > 2))
    if beyond < 0.01:  # a normal puts 4.6% of its values beyond 2 sigmas
        raise Failure(say("convnets.not_normal", share=beyond, case=case))


def check_glorot_uniform(w: np.ndarray, name: str, case: str) -> None:
    fan_in, fan_out = w.shape
    limit = np.sqrt(6 / (fan_in + fan_out))
    facts = {"name": name, "limit": limit, "fan_in": fan_in, "fan_out": fan_out, "case": case}
    high = float(np.abs(w).max())
    if high > limit * (1 + 1e-6):
        raise Failure(say("convnets.above_glorot_limit", high=high, **facts))
    if high <= 0.9 * limit:
        raise Failure(say("convnets.below_glorot_limit", high=high, **facts))
    if abs(w.std() / (limit / np.sqrt(3)) - 1) > HE_SPREAD:
        raise Failure(say("convnets.glorot_spread", std=w.std(), expected=limit / np.sqrt(3), **facts))


STARTS = {"gamma": 1.0, "beta": 0.0, "moving_mean": 0.0, "moving_variance": 1.0, "dense_b": 0.0}


def check_starting_values(made: dict, case: str) -> None:
    """Biases and beta 0, gamma 1, moving mean 0, moving variance 1."""
    for path, value in made.items():
        start = STARTS.get(path.rsplit("/", 1)[-1])
        if start is not None and np.any(value != start):
            raise Failure(say("convnets.wrong_start", name=path, value=start, case=case))


# train_resnet --------------------------------------------------------------------------


def check_history(history, epochs: int, case: str) -> list:
    """``history["loss"]``: a list of ``epochs`` numbers."""
    if not isinstance(history, dict) or "loss" not in history:
        raise Failure(say("convnets.not_history", got=describe_value(history), case=case))
    losses = history["loss"]
    if not isinstance(losses, list) or len(losses) != epochs:
        raise Failure(say("convnets.history_length", expected=epochs, got=describe_value(losses), case=case))
    return losses


def describe_training(inputs: dict) -> str:
    x = inputs["x"]
    built = "built" if inputs.get("built") else "not yet built"
    return (f"x {tuple(x.shape)} {x.dtype}, {inputs['optimizer']} ({built}), epochs={inputs['epochs']}, "
            f"batch_size={inputs['batch_size']}")


def check_training(student, inputs: dict) -> None:
    """The history and every variable after train_resnet equal the reference's."""
    case = describe_training(inputs)
    with uses_batch_norm(student, "train_resnet"):
        with meanwhile(expected, "train_resnet", inputs) as reference:
            result = drive(student, "train_resnet", **inputs)
        want = reference.result()
        losses = check_history(driven(result, "history", "train_resnet"), inputs["epochs"], case)
        for epoch, (value, number) in enumerate(zip(losses, want["history"]["loss"])):
            check_number(value, number, f"history['loss'][{epoch}]", case, tolerance=TRAINED)
        check_variables(driven(result, "after", "train_resnet"), want["after"], f"after {inputs['epochs']} epochs",
                        case, TRAINED)


def drive_training_within_budget(student, budgets, **inputs):
    """``drive(..., "train_resnet", ...)`` with the run's time budget for it as its time limit."""
    seconds = budgets.seconds["train_resnet"]
    started = time.monotonic()
    try:
        return drive(student, "train_resnet", timeout=seconds, **inputs)
    except Failure:
        if time.monotonic() - started >= seconds and "train_resnet" in student.stopped:
            raise Failure(say("convnets.over_budget", epochs=inputs["epochs"], seconds=seconds,
                              device=budgets.device.upper())) from None
        raise


def as_float(value, name: str) -> float:
    if not (isinstance(value, Scalar) and value.type_name != "bool" and np.isfinite(value.value)):
        raise Failure(say("value.not_number", name=name, got=describe_value(value), case="the digits"))
    return float(value.value)


def nested(template, flat: dict, path: str = ""):
    """The arrays of ``flat`` (``{path: array}``) in the nested structure of ``template``."""
    if isinstance(template, dict):
        return {key: nested(value, flat, f"{path}/{key}" if path else key) for key, value in template.items()}
    if isinstance(template, list):
        return [nested(value, flat, f"{path}[{i}]") for i, value in enumerate(template)]
    if not isinstance(flat, dict) or path not in flat:
        raise Failure(say("convnets.variable_gone", path=path, case="the digits"))
    return flat[path]


def check_trained(weights: dict, x, y, losses: list) -> None:
    """The loss went down, and the reference network with the trained ``weights`` (in
    inference) labels ``TRAINING["accuracy"]`` of ``x`` right."""
    facts = {key: TRAINING[key] for key in ("epochs", "learning_rate", "batch_size")}
    first, last = (as_float(losses[i], f"history['loss'][{i % len(losses)}]") for i in (0, -1))
    if not last < first:
        raise Failure(say("convnets.loss_not_down", first=first, last=last, **facts))
    logits = reference.resnet_forward(driver.as_variables(weights), x, training=False).numpy()
    accuracy = float(np.mean(logits.argmax(axis=1) == y.argmax(axis=1)))
    if accuracy < TRAINING["accuracy"]:
        raise Failure(say("convnets.low_accuracy", accuracy=accuracy, count=len(x), target=TRAINING["accuracy"],
                          **facts))
