"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: dc_prev from dc_next alone, the path through h_next left out."""
import numpy as np


def lstm_cell_backward(dh_next, dc_next, cache):
    x_t, h_prev, c_prev, params = cache
    pre = np.dot(x_t, params["W"]) + np.dot(h_prev, params["U"]) + params["b"]
    a_i, a_f, a_g, a_o = np.split(pre, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    t = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - t * t)
    d_i, d_f, d_g, d_o = dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh_next * t * o * (1 - o)
    da = np.hstack([d_i, d_f, d_g, d_o])
    grads = {"W": np.dot(x_t.T, da), "U": np.dot(h_prev.T, da), "b": da.sum(axis=0)}
    return np.dot(da, params["W"].T), np.dot(da, params["U"].T), dc_next * f, grads

