"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: a vectorised forward pass (a tensordot per output position) whose
windows start at (r, s) instead of (r * stride, s * stride)."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    if stride < 1:
        raise ValueError(f"stride={stride} must be at least 1")
    if pad < 0:
        raise ValueError(f"pad={pad} must not be negative")
    batch, height, width, _ = x.shape
    kh, kw, _, filters = w.shape
    if kh > height + 2 * pad or kw > width + 2 * pad:
        raise ValueError("the kernel w does not fit in the padded input")
    rows = (height + 2 * pad - kh) // stride + 1
    cols = (width + 2 * pad - kw) // stride + 1
    xp = np.pad(x, [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    out = np.empty((batch, rows, cols, filters), dtype=x.dtype)
    for r in range(rows):
        for s in range(cols):
            patch = xp[:, r:r + kh, s:s + kw, :]
            out[:, r, s, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out, (x, w, b, stride, pad)
