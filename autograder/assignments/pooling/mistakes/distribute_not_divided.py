"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: an empty array of dz's dtype filled with dz itself."""
import numpy as np


def distribute_value(dz, shape):
    spread = np.empty(shape, dtype=np.asarray(dz).dtype)
    spread[...] = dz
    return spread
