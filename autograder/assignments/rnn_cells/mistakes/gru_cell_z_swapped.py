"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: gate by gate, the new state (1 - z) * h_prev + z * candidate."""
import numpy as np


def gru_cell_forward(x_t, h_prev, params, reset_after=True):
    W, U, b = params["W"], params["U"], params["b"]
    n = h_prev.shape[1]
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    part = lambda k: slice(k * n, (k + 1) * n)  # noqa: E731
    z = sigmoid(x_t @ W[:, part(0)] + b_in[part(0)] + h_prev @ U[:, part(0)] + b_rec[part(0)])
    r = sigmoid(x_t @ W[:, part(1)] + b_in[part(1)] + h_prev @ U[:, part(1)] + b_rec[part(1)])
    if reset_after:
        cand = np.tanh(x_t @ W[:, part(2)] + b_in[part(2)] + r * (h_prev @ U[:, part(2)] + b_rec[part(2)]))
    else:
        cand = np.tanh(x_t @ W[:, part(2)] + b_in[part(2)] + (r * h_prev) @ U[:, part(2)])
    return (1 - z) * h_prev + z * cand, (x_t, h_prev, params, reset_after)
