"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: gates from np.split, h the output gate times c itself."""
import numpy as np


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    pre = np.dot(x_t, params["W"]) + np.dot(h_prev, params["U"]) + params["b"]
    a_i, a_f, a_g, a_o = np.split(pre, 4, axis=1)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * c, c, (x_t, h_prev, c_prev, params)
