"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the number of window positions without its + 1."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    if stride <= 0:
        raise ValueError(f"stride={stride}: must be positive")
    if pad < 0:
        raise ValueError(f"pad={pad}: must be non-negative")
    N, H, W, _ = x.shape
    kh, kw, _, F = w.shape
    if kh > H + 2 * pad or kw > W + 2 * pad:
        raise ValueError("w: kernel larger than the padded input")
    n_rows = (H + 2 * pad - kh) // stride
    n_cols = (W + 2 * pad - kw) // stride
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((N, n_rows, n_cols, F), dtype=x.dtype)
    for r in range(n_rows):
        for s in range(n_cols):
            patch = xp[:, r * stride:r * stride + kh, s * stride:s * stride + kw, :]
            out[:, r, s, :] = np.einsum("nijc,ijcf->nf", patch, w) + b
    return out, (x, w, b, stride, pad)
