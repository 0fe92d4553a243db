"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: both stable forms computed on the whole array, then chosen with np.where."""
import numpy as np


def sigmoid(z):
    for_positive = 1 / (1 + np.exp(-z))
    for_negative = np.exp(z) / (1 + np.exp(z))
    return np.where(z >= 0, for_positive, for_negative)
