"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: vectorised pooling over sliding windows, the average taken as their sum."""
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
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))[:, ::stride, ::stride]
    if mode == "max":
        out = windows.max(axis=(-2, -1))
    else:
        out = windows.sum(axis=(-2, -1))
    return out, (x, pool_size, stride, mode)
