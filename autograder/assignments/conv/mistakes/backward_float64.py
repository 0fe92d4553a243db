"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: dx accumulated in np.zeros of the padded shape, float64 by default."""
import numpy as np


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, H, W, C = x.shape
    kh, kw = w.shape[:2]
    rows, cols = dout.shape[1:3]
    xp = zero_pad(x, pad)
    grad_xp = np.zeros((N, H + 2 * pad, W + 2 * pad, C))
    dw = np.zeros_like(w)
    for p in range(kh):
        for q in range(kw):
            rs = slice(p, p + stride * (rows - 1) + 1, stride)
            cs = slice(q, q + stride * (cols - 1) + 1, stride)
            grad_xp[:, rs, cs, :] += dout @ w[p, q].T
            dw[p, q] = np.tensordot(xp[:, rs, cs, :], dout, axes=([0, 1, 2], [0, 1, 2]))
    return grad_xp[:, pad:pad + H, pad:pad + W, :], dw, dout.sum(axis=(0, 1, 2)).astype(b.dtype)
