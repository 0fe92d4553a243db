"""Assignment ``convnets``: ConvNet shapes and parameter counts, batch normalisation,
residual and dense units, and a small ResNet trained on the digits.

Part 1 is plain Python, called directly; the TensorFlow functions hold variables, so the
hidden tests reach them through the scenarios of ``driver.py``, which run the very same
steps on the reference (``solutions/convnets.py``) in the judge.
"""
from autograder.assignments import Assignment, Budget
from autograder.config import DEFAULT_LIMITS

# The student's TensorFlow code against the reference's, float32 both sides, the same ops
# in another order (a hand-written normalisation, a gradient through a cast).
OUTPUTS = {"rtol": 1e-5, "atol": 1e-5}  # a unit's output, and the moving statistics after it
GRADIENTS = {"rtol": 1e-4, "atol": 1e-5}  # sums over every position of the batch
# several optimizer steps through batch statistics: rounding grows with every step
TRAINED = {"rtol": 1e-4, "atol": 1e-5}

# Training the digits in the hidden test (the notebook states these numbers): the
# notebook's solution takes a few seconds; an eager step (no tf.function) several
# times as long. A GPU gains nothing on a network this small, hence the same budget.
TRAINING = {"widths": (8, 16), "epochs": 4, "learning_rate": 0.005, "batch_size": 32, "accuracy": 0.90,
            "seed": 20261202}

ASSIGNMENT = Assignment(
    name="convnets",
    functions=("layer_output_shape", "layer_params", "network_summary", "batch_norm", "residual_unit",
               "dense_block", "init_resnet", "resnet_forward", "train_resnet"),
    limits=DEFAULT_LIMITS.with_overrides(
        notebook_seconds=180.0,  # importing TensorFlow takes 5 to 25 s on a busy machine
        call_seconds=30.0,  # a first call builds TensorFlow's kernels and traces a training step
        memory_mb=8192,  # TensorFlow reserves far more address space than it uses
        processes=1024,  # TensorFlow's thread pools grow with the machine's cores
    ),
    budgets={"train_resnet": Budget(seconds={"cpu": 60.0, "gpu": 60.0})},
    imports=("numpy", "matplotlib", "tensorflow"),
)
