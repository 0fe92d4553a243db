"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: vectorised pooling whose cache keeps the hyper-parameters in dict(...)."""
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
    out = windows.max(axis=(4, 5)) if mode == "max" else windows.mean(axis=(4, 5))
    return out, (x, dict(pool_size=pool_size, stride=stride, mode=mode))
