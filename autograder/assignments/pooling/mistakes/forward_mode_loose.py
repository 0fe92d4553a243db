"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the mode lower-cased before it is checked, so "Max" pools as max."""
import numpy as np


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    if mode.lower() not in ("max", "average"):
        raise ValueError(f"unknown mode {mode!r}")
    if stride <= 0:
        raise ValueError(f"stride={stride} must be positive")
    N, H, W, C = x.shape
    if not 1 <= pool_size <= min(H, W):
        raise ValueError(f"pool_size={pool_size} must be between 1 and min(H, W)")
    h_out, w_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, h_out, w_out, C), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            out[:, i, j, :] = patch.max(axis=(1, 2)) if mode.lower() == "max" else patch.mean(axis=(1, 2))
    return out, (x, pool_size, stride, mode)
