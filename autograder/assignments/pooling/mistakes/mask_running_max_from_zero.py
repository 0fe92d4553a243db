"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a flat running maximum that starts at 0.0, so an all-negative window keeps
its first entry."""
import numpy as np


def create_mask_from_window(window):
    best_value, best_index = 0.0, 0
    for index, value in enumerate(window.ravel()):
        if value > best_value:
            best_value, best_index = value, index
    mask = np.zeros(window.size, dtype=bool)
    mask[best_index] = True
    return mask.reshape(window.shape)
