"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a one-hot vector reshaped, multiplied by 1.0, hence float."""
import numpy as np


def create_mask_from_window(window):
    one_hot = np.arange(window.size) == np.argmax(window)
    return 1.0 * one_hot.reshape(window.shape)
