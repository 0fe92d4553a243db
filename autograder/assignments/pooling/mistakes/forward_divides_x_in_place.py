"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: average pooling that scales each window (a view of x) with *= before summing."""
import numpy as np


def _check(x, pool_size, stride, mode):
    if stride < 1:
        raise ValueError(f"stride={stride} must be at least 1")
    if mode not in ("max", "average"):
        raise ValueError(f"mode={mode!r} must be max or average")
    if pool_size < 1 or pool_size > min(x.shape[1], x.shape[2]):
        raise ValueError(f"pool_size={pool_size} does not fit the input")


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    _check(x, pool_size, stride, mode)
    N, H, W, C = x.shape
    h_out, w_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, h_out, w_out, C), dtype=x.dtype)
    for n in range(N):
        for i in range(h_out):
            for j in range(w_out):
                patch = x[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
                if mode == "max":
                    out[n, i, j, :] = patch.max(axis=(0, 1))
                else:
                    patch *= 1 / pool_size ** 2
                    out[n, i, j, :] = patch.sum(axis=(0, 1))
    return out, (x, pool_size, stride, mode)
