"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a textbook convolution, the kernel flipped once up front, then an
einsum over sliding windows."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    if stride <= 0 or pad < 0:
        raise ValueError(f"bad stride={stride} or pad={pad}")
    kh, kw = w.shape[:2]
    if kh > x.shape[1] + 2 * pad or kw > x.shape[2] + 2 * pad:
        raise ValueError("kernel w is larger than the padded input")
    kernel = np.flip(w, axis=(0, 1))  # convolution, as in the signal-processing course
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    out = np.einsum("nhwcij,ijcf->nhwf", windows, kernel) + b
    return out.astype(x.dtype), (x, w, b, stride, pad)
