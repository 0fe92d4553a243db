"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: loops over every output entry into np.empty, float64 by default."""
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
    out = np.empty((N, h_out, w_out, C))
    for n in range(N):
        for c in range(C):
            for i in range(h_out):
                for j in range(w_out):
                    patch = x[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, c]
                    out[n, i, j, c] = np.max(patch) if mode == "max" else np.mean(patch)
    return out, (x, pool_size, stride, mode)
