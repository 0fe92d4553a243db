"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: grads rebound to each step's own, so step 0's is what is returned."""
import numpy as np


def gru_backward(dh_seq, caches):
    T = len(caches)
    dxs = [None] * T
    dh = np.zeros_like(caches[0][1])
    grads = None
    for t in reversed(range(T)):
        dxs[t], dh, grads = gru_cell_backward(dh_seq[:, t, :] + dh, caches[t])
    return np.stack(dxs, axis=1), dh, grads
