"""Test data for the diagnosis (benchmarks/diagnosis.py): a correct implementation in
another style, which must get no diagnosis. Every entry in plain Python loops, the
first maximum found by a strict comparison."""
import numpy as np


def create_mask_from_window(window):
    best = (0, 0)
    for r in range(window.shape[0]):
        for c in range(window.shape[1]):
            if window[r, c] > window[best]:
                best = (r, c)
    mask = np.zeros(window.shape, dtype=bool)
    mask[best] = True
    return mask


def distribute_value(dz, shape):
    rows, cols = shape
    share = dz / (rows * cols)
    return np.full((rows, cols), share, dtype=np.asarray(share).dtype)


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    if not isinstance(mode, str) or mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', got mode={mode!r}")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got stride={stride}")
    if pool_size < 1 or pool_size > x.shape[1] or pool_size > x.shape[2]:
        raise ValueError(f"pool_size={pool_size} must be >= 1 and fit in the input")
    N, H, W, C = x.shape
    h_out, w_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.empty((N, h_out, w_out, C), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, c]
                    out[n, i, j, c] = window.max() if mode == "max" else window.mean()
    return out, (x, pool_size, stride, mode)


def pool_backward(dout, cache):
    x, f, s, mode = cache
    N, h_out, w_out, C = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(h_out):
                for j in range(w_out):
                    if mode == "max":
                        window = x[n, i * s:i * s + f, j * s:j * s + f, c]
                        r, q = np.unravel_index(np.argmax(window), window.shape)
                        dx[n, i * s + r, j * s + q, c] += dout[n, i, j, c]
                    else:
                        dx[n, i * s:i * s + f, j * s:j * s + f, c] += dout[n, i, j, c] / (f * f)
    return dx
