"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a loop that marks every entry equal to the maximum."""
import numpy as np


def create_mask_from_window(window):
    biggest = window.max()
    mask = np.zeros(window.shape, dtype=bool)
    for r in range(window.shape[0]):
        for c in range(window.shape[1]):
            if window[r, c] == biggest:
                mask[r, c] = True
    return mask
