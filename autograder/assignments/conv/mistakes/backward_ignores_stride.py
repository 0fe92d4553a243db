"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a backward pass over kernel offsets that takes every row and column
(p:p + rows) instead of every stride-th."""
import numpy as np


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    kh, kw, c_in, c_out = w.shape
    rows, cols = dout.shape[1:3]
    xp = zero_pad(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for p in range(kh):
        for q in range(kw):
            seen = xp[:, p:p + rows, q:q + cols, :]
            dw[p, q] = np.tensordot(seen, dout, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, p:p + rows, q:q + cols, :] += dout @ w[p, q].T
    H, W = x.shape[1:3]
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, np.sum(dout, axis=(0, 1, 2))
