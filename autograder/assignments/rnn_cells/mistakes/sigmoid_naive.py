"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the textbook formula on an array, nothing against overflow."""
import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    return 1.0 / (1.0 + np.exp(-z))
