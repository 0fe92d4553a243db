"""Test data for the diagnosis (benchmarks/diagnosis.py), a second version of the mutant
backward_overwrites_dx: the gradient of each window, over all its channels at once,
assigned into dx (=) instead of added (+=)."""
import numpy as np


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    kh, kw, c_in, c_out = w.shape
    N, H_out, W_out, _ = dout.shape
    xp = zero_pad(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                r, s = i * stride, j * stride
                g = dout[n, i, j, :]
                dxp[n, r:r + kh, s:s + kw, :] = np.tensordot(w, g, axes=([3], [0]))
                dw += xp[n, r:r + kh, s:s + kw, :, None] * g
    db = dout.sum(axis=(0, 1, 2))
    return dxp[:, pad:pad + x.shape[1], pad:pad + x.shape[2], :], dw, db
