"""Test data for the diagnosis (benchmarks/diagnosis.py): a correct implementation in
another style, which must get no diagnosis. A loop over output positions, each a
tensordot over the whole batch, and its mirror image backward."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    if stride < 1:
        raise ValueError(f"stride={stride} is not a positive integer")
    if pad < 0:
        raise ValueError(f"pad={pad} is negative")
    N, H, W, _ = x.shape
    kh, kw, _, F = w.shape
    if kh > H + 2 * pad or kw > W + 2 * pad:
        raise ValueError(f"the kernel w ({kh}x{kw}) is too large")
    rows, cols = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1
    xp = zero_pad(x, pad)
    out = np.empty((N, rows, cols, F), dtype=x.dtype)
    for r in range(rows):
        for s in range(cols):
            window = xp[:, r * stride:r * stride + kh, s * stride:s * stride + kw, :]
            out[:, r, s, :] = np.tensordot(window, w, axes=3) + b
    return out, (x, w, b, stride, pad)


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, H, W, _ = x.shape
    kh, kw = w.shape[:2]
    xp = zero_pad(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for r in range(dout.shape[1]):
        for s in range(dout.shape[2]):
            top, left = r * stride, s * stride
            g = dout[:, r, s, :]  # (N, F)
            dxp[:, top:top + kh, left:left + kw, :] += np.tensordot(g, w, axes=([1], [3]))
            dw += np.tensordot(xp[:, top:top + kh, left:left + kw, :], g, axes=([0], [0]))
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, dout.sum(axis=(0, 1, 2)).astype(b.dtype)
