"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: entry by entry with math.exp, the branch for negative z written 1 / (1 + e^z)."""
import math

import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    out = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        value = float(z[index])
        if value >= 0:
            out[index] = 1 / (1 + math.exp(-value))
        else:
            out[index] = 1 / (1 + math.exp(value))
    return out
