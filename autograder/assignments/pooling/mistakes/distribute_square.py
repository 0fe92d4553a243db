"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: one side f read from the shape, used for both."""
import numpy as np


def distribute_value(dz, shape):
    f = shape[0]
    return dz / f ** 2 * np.ones((f, f), dtype=np.asarray(dz).dtype)
