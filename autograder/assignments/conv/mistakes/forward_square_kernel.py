"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: one kernel size k, read from w.shape[0], used for both axes."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    if stride <= 0:
        raise ValueError(f"stride must be positive, not {stride}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, not {pad}")
    k = w.shape[0]  # kernels are square
    N, H, W, _ = x.shape
    if k > H + 2 * pad or k > W + 2 * pad:
        raise ValueError("the kernel w is too large")
    H_out = (H + 2 * pad - k) // stride + 1
    W_out = (W + 2 * pad - k) // stride + 1
    xp = zero_pad(x, pad)
    out = np.zeros((N, H_out, W_out, w.shape[3]), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = xp[:, i * stride:i * stride + k, j * stride:j * stride + k, :]
            for c in range(w.shape[3]):
                out[:, i, j, c] = np.sum(window * w[:, :, :, c], axis=(1, 2, 3)) + b[c]
    return out, (x, w, b, stride, pad)
