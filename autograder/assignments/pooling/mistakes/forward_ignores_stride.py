"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: sliding windows taken one pixel apart, the first H_out x W_out of them kept."""
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
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))[:, :h_out, :w_out]
    reduce = np.max if mode == "max" else np.mean
    return reduce(windows, axis=(4, 5)), (x, pool_size, stride, mode)
