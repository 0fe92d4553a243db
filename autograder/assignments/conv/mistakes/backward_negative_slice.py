"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a backward pass over kernel offsets whose padding is cut off with
[pad:-pad], an empty slice when pad is 0."""
import numpy as np


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    kh, kw = w.shape[:2]
    rows, cols = dout.shape[1:3]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for p in range(kh):
        for q in range(kw):
            taken = (slice(None), slice(p, p + stride * rows, stride), slice(q, q + stride * cols, stride))
            dw[p, q] = np.einsum("nhwc,nhwf->cf", xp[taken], dout)
            dxp[taken] += np.einsum("nhwf,cf->nhwc", dout, w[p, q])
    db = dout.sum(axis=(0, 1, 2))
    return dxp[:, pad:-pad, pad:-pad, :], dw, db
