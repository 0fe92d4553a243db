"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the states collected first, the caches built afterwards from the state after
each step."""
import numpy as np


def lstm_forward(x, h0, c0, params):
    hs, cs = [], []
    h, c = h0, c0
    for x_t in np.moveaxis(x, 1, 0):
        h, c, _ = lstm_cell_forward(x_t, h, c, params)
        hs.append(h)
        cs.append(c)
    caches = [(x[:, t, :], hs[t], cs[t], params) for t in range(x.shape[1])]
    return np.stack(hs, axis=1), c, caches
