"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the gradient from the next step added into the caller's dh_seq (+=)."""
import numpy as np


def gru_backward(dh_seq, caches):
    T = len(caches)
    dxs = [None] * T
    dh = np.zeros_like(caches[0][1])
    total = {key: np.zeros_like(value) for key, value in caches[0][2].items()}
    for t in reversed(range(T)):
        dh_seq[:, t] += dh
        dxs[t], dh, step = gru_cell_backward(dh_seq[:, t], caches[t])
        total = {key: total[key] + step[key] for key in total}
    return np.stack(dxs, axis=1), dh, total
