"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: e^z / (e^z + 1), e^z computed once."""
import numpy as np


def sigmoid(z):
    ez = np.exp(z)
    return ez / (ez + 1)
