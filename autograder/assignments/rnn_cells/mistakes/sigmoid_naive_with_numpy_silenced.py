"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: every numpy warning switched off for the notebook, then the naive formula."""
import numpy as np

np.seterr(all="ignore")


def sigmoid(z):
    return np.reciprocal(1 + np.exp(-np.asarray(z)))
