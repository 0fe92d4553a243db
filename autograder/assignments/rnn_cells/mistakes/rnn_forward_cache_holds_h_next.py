"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the cache built from the new state."""
import numpy as np


def rnn_cell_forward(x_t, h_prev, params):
    h = np.tanh(np.dot(x_t, params["W"]) + np.dot(h_prev, params["U"]) + params["b"])
    return h, (x_t, h, params)
