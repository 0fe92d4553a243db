"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: both output sizes from one comprehension over the kernel's sides, each
measured on the input's height."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    if stride <= 0:
        raise ValueError(f"stride={stride} must be positive")
    if pad < 0:
        raise ValueError(f"pad={pad} must be >= 0")
    N, H, W, _ = x.shape
    kh, kw, _, F = w.shape
    if kh > H + 2 * pad or kw > W + 2 * pad:
        raise ValueError("the kernel w does not fit the padded input")
    H_out, W_out = [(H + 2 * pad - k) // stride + 1 for k in (kh, kw)]
    xp = zero_pad(x, pad)
    out = np.zeros((N, H_out, W_out, F), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out, (x, w, b, stride, pad)
