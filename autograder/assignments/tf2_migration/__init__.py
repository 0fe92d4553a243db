"""Assignment ``tf2_migration``: a TF1 CNN training script, moved to TensorFlow 2.

The student's functions hold TensorFlow objects, so the hidden tests reach them through
the scenarios of ``driver.py``; the TF1 program itself (``tf1_reference.py``) judges them.
"""
from autograder.assignments import Assignment, Budget
from autograder.config import DEFAULT_LIMITS

# Training the digits for the hidden test's epochs (the notebook states these numbers):
# the notebook's solution takes a few seconds, a train_step run eagerly ten times as long,
# and one traced again at every batch far longer. A GPU gains nothing on a network this
# small, hence the same budget.
# TensorFlow 2 code against the live TF1 graph, float32 both sides.
TF1_OUTPUTS = {"rtol": 1e-6, "atol": 1e-5}  # logits and losses of the same weights
TF1_STEPS = {"rtol": 1e-5, "atol": 1e-5}  # weights after optimizer steps: Keras' default Adam epsilon misses

TRAINING = {"epochs": 6, "learning_rate": 0.01, "batch_size": 32, "accuracy": 0.90, "seed": 20261201}

ASSIGNMENT = Assignment(
    name="tf2_migration",
    functions=("init_params", "forward", "compute_loss", "make_optimizer", "train_step", "fit", "predict",
               "accuracy"),
    limits=DEFAULT_LIMITS.with_overrides(
        notebook_seconds=180.0,  # importing TensorFlow takes 5 to 25 s on a busy machine
        call_seconds=30.0,  # a first call builds TensorFlow's kernels and traces train_step
        memory_mb=8192,  # TensorFlow reserves far more address space than it uses
        processes=1024,  # TensorFlow's thread pools grow with the machine's cores
    ),
    budgets={"fit": Budget(seconds={"cpu": 60.0, "gpu": 60.0})},
    imports=("numpy", "matplotlib", "tensorflow"),
)
