"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: padding by hand into a zero array, a negative pad never rejected."""
import numpy as np


def zero_pad(x, pad):
    n, h, w, c = x.shape
    padded = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=x.dtype)
    padded[:, pad:pad + h, pad:pad + w, :] = x
    return padded
