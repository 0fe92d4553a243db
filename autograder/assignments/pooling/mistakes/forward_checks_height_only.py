"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the window checked against the height alone."""
import numpy as np


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    if mode not in ("max", "average"):
        raise ValueError(f"mode={mode!r} is neither max nor average")
    if stride < 1:
        raise ValueError(f"stride={stride} must be at least 1")
    if not 0 < pool_size <= x.shape[1]:
        raise ValueError(f"pool_size={pool_size} must be positive and fit in the input")
    N, H, W, C = x.shape
    h_out, w_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, h_out, w_out, C), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            out[:, i, j, :] = patch.max(axis=(1, 2)) if mode == "max" else patch.mean(axis=(1, 2))
    return out, (x, pool_size, stride, mode)
