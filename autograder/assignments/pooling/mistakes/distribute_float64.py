"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the average added to np.zeros, float64 by default."""
import numpy as np


def distribute_value(dz, shape):
    n_h, n_w = shape
    return np.zeros((n_h, n_w)) + dz / (n_h * n_w)
