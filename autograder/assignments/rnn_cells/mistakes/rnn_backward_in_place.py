"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: dh_next multiplied by tanh's derivative in place (*=)."""
import numpy as np


def rnn_cell_backward(dh_next, cache):
    x_t, h_prev, params = cache
    h = np.tanh(np.dot(x_t, params["W"]) + np.dot(h_prev, params["U"]) + params["b"])
    dh_next *= 1 - h * h
    grads = {"W": np.dot(x_t.T, dh_next), "U": np.dot(h_prev.T, dh_next), "b": dh_next.sum(axis=0)}
    return np.dot(dh_next, params["W"].T), np.dot(dh_next, params["U"].T), grads
