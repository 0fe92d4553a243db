"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the caller's z clipped in place (out=z), at -50, before the naive formula."""
import numpy as np


def sigmoid(z):
    np.clip(z, -50, None, out=z)
    return 1 / (1 + np.exp(-z))
