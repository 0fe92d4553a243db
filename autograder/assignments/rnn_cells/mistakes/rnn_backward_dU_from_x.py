"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the weight gradients with np.dot, dU from the inputs x_t."""
import numpy as np


def rnn_cell_backward(dh_next, cache):
    x_t, h_prev, params = cache
    h = np.tanh(np.dot(x_t, params["W"]) + np.dot(h_prev, params["U"]) + params["b"])
    g = dh_next * (1 - h * h)
    grads = {"W": np.dot(x_t.T, g), "U": np.dot(x_t.T, g), "b": g.sum(axis=0)}
    return np.dot(g, params["W"].T), np.dot(g, params["U"].T), grads
