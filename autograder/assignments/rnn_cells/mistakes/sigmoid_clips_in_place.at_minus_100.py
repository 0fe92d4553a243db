"""Test data for the diagnosis (benchmarks/diagnosis.py), a second version of the mutant
sigmoid_clips_in_place: the caller's z clipped in place at -100 (out=z), which still
overflows in float32 (exp(100) > 3.4e38), then the naive formula."""
import numpy as np


def sigmoid(z):
    np.clip(z, -100, None, out=z)
    return 1 / (1 + np.exp(-z))
