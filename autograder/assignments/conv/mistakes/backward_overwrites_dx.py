"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: each window's gradient, for the whole batch at once, assigned into dx (=)
channel by channel instead of added (+=)."""
import numpy as np


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    kh, kw, c_in, c_out = w.shape
    _, rows, cols, _ = dout.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for i in range(rows):
        for j in range(cols):
            top, left = i * stride, j * stride
            patch = xp[:, top:top + kh, left:left + kw, :]
            for c in range(c_out):
                g = dout[:, i, j, c][:, None, None, None]
                dxp[:, top:top + kh, left:left + kw, :] = g * w[:, :, :, c]
                dw[:, :, :, c] += (patch * g).sum(axis=0)
                db[c] += dout[:, i, j, c].sum()
    H, W = x.shape[1:3]
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, db
