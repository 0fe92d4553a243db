"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the step gradients summed with np.sum(..., dtype=np.float64)."""
import numpy as np


def lstm_backward(dh_seq, caches):
    T = len(caches)
    dxs = [None] * T
    dh, dc = np.zeros_like(caches[0][1]), np.zeros_like(caches[0][2])
    steps = []
    for t in reversed(range(T)):
        dxs[t], dh, dc, step = lstm_cell_backward(dh_seq[:, t, :] + dh, dc, caches[t])
        steps.append(step)
    grads = {key: np.sum([step[key] for step in steps], axis=0, dtype=np.float64) for key in steps[0]}
    return np.stack(dxs, axis=1), dh, dc, grads
