"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: each step's backward pass fed dh_seq alone; dh from the next step is kept
only to be returned."""
import numpy as np


def lstm_backward(dh_seq, caches):
    params = caches[0][3]
    T = len(caches)
    dxs = [None] * T
    dc = np.zeros_like(caches[0][2])
    dh = np.zeros_like(caches[0][1])
    grads = {key: np.zeros_like(value) for key, value in params.items()}
    for t in range(T - 1, -1, -1):
        dxs[t], dh, dc, step = lstm_cell_backward(dh_seq[:, t, :], dc, caches[t])
        for key in grads:
            grads[key] = grads[key] + step[key]
    return np.stack(dxs, axis=1), dh, dc, grads
