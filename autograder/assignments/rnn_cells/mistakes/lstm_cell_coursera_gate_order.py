"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the four gate blocks split with np.split and named f, i, g, o."""
import numpy as np


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    pre = np.dot(x_t, params["W"]) + np.dot(h_prev, params["U"]) + params["b"]
    a_f, a_i, a_g, a_o = np.split(pre, 4, axis=1)
    forget, update, candidate, output = sigmoid(a_f), sigmoid(a_i), np.tanh(a_g), sigmoid(a_o)
    c = forget * c_prev + update * candidate
    return output * np.tanh(c), c, (x_t, h_prev, c_prev, params)
