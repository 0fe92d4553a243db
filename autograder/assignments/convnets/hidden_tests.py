"""Hidden tests of the ``convnets`` assignment: lists of cases, each test with its points.

Points per function, equal to the notebook's visible test cells ``test_<function>``:
layer_output_shape 2, layer_params 1, network_summary 1, batch_norm 3, residual_unit 3,
dense_block 2, init_resnet 2, resnet_forward 2, train_resnet 2 (18 in all).

Part 1 is plain Python: the student's functions are called directly and judged by the
reference, which the oracles prove equal to Keras's shapes and ``count_params()``. The
TensorFlow functions run in the scenarios of ``driver.py`` on weights sent from here, and
the same scenario runs the reference here: the output (float32), every variable after
the call (the moving statistics move in training only) and the gradients of a fixed
random weighted sum of the output, from a ``tf.GradientTape``, must agree. A wrong
``batch_norm`` costs the functions that use it, and their feedback says so. The judge
also reads each TensorFlow function's code and its helpers' in the cells the sandbox ran
(never asking the sandbox, whose ``inspect`` the student's code can rewrite), as the
notebook's visible tests do: no Keras layers, and training steps in a ``tf.function``.

``train_resnet`` comes last: one that never ends then costs no second run of the notebook.
"""
import numpy as np
import pytest

from autograder.assignments.convnets import TRAINING
from autograder.assignments.convnets.cases import (BAD_SPECS, BATCH_NORM_CORNERS, DENSE_CORNERS, INIT_CASES,
                                                   INIT_STATISTICS, PARAMS_CASES, RESIDUAL_CORNERS, RESNET_CORNERS,
                                                   SHAPE_CASES, SUMMARY_CASES, bad_stack, batch_norm_case, conv,
                                                   dense_case, digits, init_weights, residual_case, resnet_case,
                                                   train_case)
from autograder.assignments.convnets.checks import (check_counts, check_glorot_uniform, check_he_normal, check_history,
                                                    check_no_keras_layers, check_run, check_run_clear_of_kinks,
                                                    check_shape, check_starting_values, check_summary, check_trained,
                                                    check_training, check_uses_tf_function,
                                                    drive_init, drive_training_within_budget, driven, nested,
                                                    uses_batch_norm)
from autograder.judge import Failure, expect_value_error, graded
from autograder.messages import say
from solutions import convnets as reference

# layer_output_shape ------------------------------------------------------------------


@graded("layer_output_shape", points=1.25)
@pytest.mark.parametrize("case", SHAPE_CASES)
def test_layer_output_shape(student, rng, case):
    """the output shape Keras reports, a tuple of ints"""
    for input_shape, layer in SHAPE_CASES[case](rng):
        result = student.call("layer_output_shape", input_shape=input_shape, layer=layer)
        check_shape(result.value, reference.layer_output_shape(input_shape, layer), "the output shape", result.case)


@graded("layer_output_shape", points=0.75)
@pytest.mark.parametrize("bad", BAD_SPECS)
def test_layer_output_shape_rejects_bad_specs(student, rng, bad):
    """raises ValueError naming the field of a bad spec"""
    field, make = BAD_SPECS[bad]
    input_shape, layer, good = make(rng)
    checked = {}
    if good is not None:
        checked = {"good": {"input_shape": input_shape, "layer": good},
                   "verify": lambda result: check_shape(result.value, reference.layer_output_shape(input_shape, good),
                                                        "the output shape", result.case)}
    expect_value_error(student, "layer_output_shape", bad, field, input_shape=input_shape, layer=layer, **checked)


# layer_params --------------------------------------------------------------------------


@graded("layer_params", points=0.75)
@pytest.mark.parametrize("case", PARAMS_CASES)
def test_layer_params(student, rng, case):
    """(weights, biases), two ints: conv kh*kw*C*F and F, dense D*U and U, 0 biases without use_bias"""
    for input_shape, layer in PARAMS_CASES[case](rng):
        result = student.call("layer_params", input_shape=input_shape, layer=layer)
        check_counts(result.value, reference.layer_params(input_shape, layer), result.case)


@graded("layer_params", points=0.25)
def test_layer_params_rejects_an_unknown_type(student, rng):
    """raises ValueError naming `type` for an unknown type"""
    input_shape, layer = (8, 8, 3), conv(rng.integers(1, 33), (3, 3))
    expect_value_error(student, "layer_params", "the type is unknown", "type",
                       good={"input_shape": input_shape, "layer": layer},
                       verify=lambda result: check_counts(result.value, reference.layer_params(input_shape, layer),
                                                          result.case),
                       input_shape=input_shape, layer={**layer, "type": "batchnorm"})


# network_summary -------------------------------------------------------------------------


@graded("network_summary", points=0.75)
@pytest.mark.parametrize("case", SUMMARY_CASES)
def test_network_summary(student, rng, case):
    """(shapes, params, total): Keras's output shapes and count_params() layer by layer, and their sum"""
    input_shape, layers = SUMMARY_CASES[case](rng)
    result = student.call("network_summary", input_shape=input_shape, layers=layers)
    check_summary(result.value, reference.network_summary(input_shape, layers), result.case)


@graded("network_summary", points=0.25)
@pytest.mark.parametrize("where", ["dense before flatten", "a pool window larger than its input"])
def test_network_summary_rejects_a_bad_layer(student, rng, where):
    """raises ValueError naming the field of a bad layer inside the stack"""
    input_shape, layers, field = bad_stack(rng, where)
    expect_value_error(student, "network_summary", f"the stack has {where}", field, input_shape=input_shape,
                       layers=layers)


# batch_norm ------------------------------------------------------------------------------

INFERENCE = ["plain", "float64 x", "one channel", "momentum=0.5, epsilon=0.1"]


@graded("batch_norm", points=0.75)
@pytest.mark.parametrize("corner", INFERENCE)
def test_batch_norm_inference(student, rng, corner):
    """training=False: normalises with the moving statistics and changes nothing; float32 out"""
    check_run(student, "batch_norm", corner, batch_norm_case(rng, corner, training=False), "batch_norm's output")


@graded("batch_norm", points=1.25)
@pytest.mark.parametrize("corner", BATCH_NORM_CORNERS)
def test_batch_norm_training(student, rng, corner):
    """training=True: normalises with the batch's mean and biased variance and moves the moving statistics"""
    check_run(student, "batch_norm", corner, batch_norm_case(rng, corner, training=True), "batch_norm's output")


@graded("batch_norm", points=0.75)
@pytest.mark.parametrize("training", [True, False], ids=["training=True", "training=False"])
def test_batch_norm_gradients(student, rng, training):
    """gradients through tf.GradientTape with respect to x, gamma and beta"""
    check_run(student, "batch_norm", "plain", batch_norm_case(rng, "plain", training, gradients=True),
              "batch_norm's output")


@graded("batch_norm", points=0.25)
def test_batch_norm_uses_no_keras_layers(cells):
    """built from tf.nn ops and tf.Variables, no Keras layer"""
    check_no_keras_layers(cells, "batch_norm")


# residual_unit ---------------------------------------------------------------------------


@graded("residual_unit", points=1.0)
@pytest.mark.parametrize("corner", RESIDUAL_CORNERS)
def test_residual_unit_inference(student, rng, corner):
    """training=False: the pre-activation unit, with the identity or a projection shortcut"""
    check_run(student, "residual_unit", corner, residual_case(rng, corner, training=False), "the unit's output")


@graded("residual_unit", points=1.0)
@pytest.mark.parametrize("corner", RESIDUAL_CORNERS)
def test_residual_unit_training(student, rng, corner):
    """training=True: batch statistics in both batch norms, whose moving statistics move"""
    check_run(student, "residual_unit", corner, residual_case(rng, corner, training=True), "the unit's output")


RESIDUAL_GRADIENTS = {"identity shortcut, training=True": ("identity shortcut, stride 1", True),
                      "projection, stride 2, training=True": ("projection, stride 2, odd 5x5 input", True),
                      "projection, stride 1, training=False": ("projection, stride 1", False)}


@graded("residual_unit", points=0.75)
@pytest.mark.parametrize("case", RESIDUAL_GRADIENTS)
def test_residual_unit_gradients(student, rng, case):
    """gradients through tf.GradientTape with respect to x and every weight"""
    corner, training = RESIDUAL_GRADIENTS[case]
    check_run_clear_of_kinks(student, "residual_unit", corner,
                             lambda: residual_case(rng, corner, training, gradients=True), "the unit's output")


@graded("residual_unit", points=0.25)
def test_residual_unit_uses_no_keras_layers(cells):
    """built from tf.nn ops and tf.Variables, no Keras layer"""
    check_no_keras_layers(cells, "residual_unit")


# dense_block -----------------------------------------------------------------------------


@graded("dense_block", points=0.75)
@pytest.mark.parametrize("corner", DENSE_CORNERS)
def test_dense_block_inference(student, rng, corner):
    """training=False: each layer's k new channels concatenated after its input's"""
    check_run(student, "dense_block", corner, dense_case(rng, corner, training=False), "the block's output")


@graded("dense_block", points=0.5)
@pytest.mark.parametrize("corner", DENSE_CORNERS)
def test_dense_block_training(student, rng, corner):
    """training=True: batch statistics, and every layer's moving statistics move"""
    check_run(student, "dense_block", corner, dense_case(rng, corner, training=True), "the block's output")


DENSE_GRADIENTS = {"2 layers, training=True": ("2 layers, growth rate 3", True),
                   "3 layers, training=False": ("3 layers, growth rate 1", False)}


@graded("dense_block", points=0.5)
@pytest.mark.parametrize("case", DENSE_GRADIENTS)
def test_dense_block_gradients(student, rng, case):
    """gradients through tf.GradientTape with respect to x and every weight"""
    corner, training = DENSE_GRADIENTS[case]
    check_run_clear_of_kinks(student, "dense_block", corner, lambda: dense_case(rng, corner, training, gradients=True),
                             "the block's output")


@graded("dense_block", points=0.25)
def test_dense_block_uses_no_keras_layers(cells):
    """built from tf.nn ops and tf.Variables, no Keras layer"""
    check_no_keras_layers(cells, "dense_block")


# init_resnet -----------------------------------------------------------------------------


@graded("init_resnet", points=0.75)
@pytest.mark.parametrize("case", INIT_CASES)
def test_init_resnet_structure(student, rng, case):
    """nested float32 tf.Variables with the contract's names and shapes; moving statistics not trainable"""
    drive_init(student, *INIT_CASES[case], seed=int(rng.integers(1000)))


@graded("init_resnet", points=0.5)
def test_init_resnet_he_normal_and_glorot_uniform(student, rng):
    """conv weights He-normal (std sqrt(2 / fan_in)), dense_w Glorot-uniform"""
    made, case = drive_init(student, *INIT_STATISTICS, seed=int(rng.integers(1000)))
    check_he_normal(made, case)
    check_glorot_uniform(made["dense_w"], "dense_w", case)


@graded("init_resnet", points=0.25)
def test_init_resnet_starting_values(student, rng):
    """dense_b and every beta 0, gamma 1, moving mean 0, moving variance 1"""
    made, case = drive_init(student, *INIT_CASES["7x9x3 images, widths (4, 6, 10)"], seed=int(rng.integers(1000)))
    check_starting_values(made, case)


@graded("init_resnet", points=0.5)
def test_init_resnet_seed(student, rng):
    """the same seed gives the same values, another seed other weights"""
    arguments, seed = INIT_CASES["7x9x3 images, widths (4, 6, 10)"], int(rng.integers(1000))
    (first, case), (again, _), (other, _) = (drive_init(student, *arguments, seed=s) for s in (seed, seed, seed + 1))
    for path in first:
        if not np.array_equal(first[path], again[path]):
            raise Failure(say("convnets.not_seeded", name=path, seed=seed, case=case))
        if first[path].ndim > 1 and np.array_equal(first[path], other[path]):
            raise Failure(say("convnets.seed_ignored", name=path, seed=seed, other=seed + 1, case=case))


# resnet_forward --------------------------------------------------------------------------


@graded("resnet_forward", points=0.75)
@pytest.mark.parametrize("corner", RESNET_CORNERS)
def test_resnet_forward_inference(student, rng, corner):
    """training=False: logits of stem conv, units (stride 2 where a proj_w is), relu(bn), mean, dense"""
    check_run(student, "resnet_forward", corner, resnet_case(rng, corner, training=False), "the logits")


@graded("resnet_forward", points=0.5)
@pytest.mark.parametrize("corner", RESNET_CORNERS)
def test_resnet_forward_training(student, rng, corner):
    """training=True: the logits, and every batch norm's moving statistics move"""
    check_run(student, "resnet_forward", corner, resnet_case(rng, corner, training=True), "the logits")


@graded("resnet_forward", points=0.5)
def test_resnet_forward_gradients(student, rng):
    """gradients through tf.GradientTape reach x and every trainable weight"""
    corner = "widths (4, 6), 8x8x1 images"
    check_run_clear_of_kinks(student, "resnet_forward", corner,
                             lambda: resnet_case(rng, corner, training=True, gradients=True), "the logits")


@graded("resnet_forward", points=0.25)
def test_resnet_forward_uses_no_keras_layers(cells):
    """built from tf.nn ops and tf.Variables, no Keras layer"""
    check_no_keras_layers(cells, "resnet_forward")


# train_resnet ----------------------------------------------------------------------------


@graded("train_resnet", points=1.0)
def test_train_resnet_follows_the_contract_order(student, rng):
    """the history and every variable after equal the reference's: SGD, float64 images, a partial batch to drop"""
    check_training(student, train_case(rng, "sgd", epochs=3, built=True))


@graded("train_resnet", points=0.25)
def test_train_resnet_steps_in_a_tf_function(cells):
    """takes its steps in a tf.function"""
    check_uses_tf_function(cells, "train_resnet")


@graded("train_resnet", points=0.75)
def test_train_resnet_trains_the_digits(student, budgets):
    """the loss goes down, and at least 90% of held-out digits are right, within the time budget"""
    # One split, start and order for every run: whether a network that trains badly
    # still reaches the target must not depend on the seed (the other train_resnet
    # tests check the values on random cases).
    rng = np.random.default_rng(TRAINING["seed"])
    x, y, x_val, y_val, x_test, y_test = digits(int(rng.integers(1000)))
    weights = init_weights(rng, (8, 8, 1), 10, TRAINING["widths"])
    with uses_batch_norm(student, "train_resnet"):
        result = drive_training_within_budget(student, budgets, weights=weights, optimizer="adam",
                                              learning_rate=TRAINING["learning_rate"], x=x, y=y,
                                              epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"],
                                              seed=int(rng.integers(1000)))
        losses = check_history(driven(result, "history", "train_resnet"), TRAINING["epochs"], "the digits")
        trained = nested(weights, driven(result, "after", "train_resnet"))
        check_trained(trained, np.concatenate([x_val, x_test]), np.concatenate([y_val, y_test]), losses)
