"""How close a student's float must be to the reference: the one place these live."""
import numpy as np

TOLERANCES = {
    np.dtype(np.float64): {"rtol": 1e-7, "atol": 1e-9},
    np.dtype(np.float32): {"rtol": 1e-4, "atol": 1e-5},
}


def tolerance_for(dtype) -> dict:
    """``rtol``/``atol`` for results of ``dtype`` (float32's for lower precisions)."""
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float32)])

