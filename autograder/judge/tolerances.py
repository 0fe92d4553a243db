"""How close a student's float must be to the reference: the one place these live."""
import numpy as np

TOLERANCES = {
    np.dtype(np.float64): {"rtol": 1e-7, "atol": 1e-9},
    np.dtype(np.float32): {"rtol": 1e-4, "atol": 1e-5},
}


def tolerance_for(dtype) -> dict:
    """``rtol``/``atol`` for results of ``dtype`` (float32's for lower precisions)."""
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float32)])


# tf2_migration: TensorFlow 2 code against the live TF1 graph, float32 both sides.
TF1_OUTPUTS = {"rtol": 1e-6, "atol": 1e-5}  # logits and losses of the same weights
TF1_STEPS = {"rtol": 1e-5, "atol": 2e-6}  # weights after optimizer steps: Keras' default Adam epsilon misses
