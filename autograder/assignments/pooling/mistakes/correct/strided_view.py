"""Test data for the diagnosis (benchmarks/diagnosis.py): a correct implementation in
another style, which must get no diagnosis. Windows as a strided view built by hand
(as_strided), the backward pass by np.add.at on flat indices."""
import numpy as np
from numpy.lib.stride_tricks import as_strided


def create_mask_from_window(window):
    mask = np.zeros(window.size, dtype=bool)
    mask[window.argmax()] = True
    return mask.reshape(window.shape)


def distribute_value(dz, shape):
    share = dz / (shape[0] * shape[1])
    return np.ones(shape, dtype=np.asarray(share).dtype) * share


def _windows(x, f, s):
    N, H, W, C = x.shape
    h_out, w_out = (H - f) // s + 1, (W - f) // s + 1
    sn, sh, sw, sc = x.strides
    return as_strided(x, (N, h_out, w_out, f, f, C), (sn, s * sh, s * sw, sh, sw, sc), writeable=False)


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    if mode not in ("max", "average"):
        raise ValueError(f"mode={mode!r}: use 'max' or 'average'")
    if stride <= 0:
        raise ValueError(f"stride={stride}: must be positive")
    if not 0 < pool_size <= min(x.shape[1:3]):
        raise ValueError(f"pool_size={pool_size}: must be positive and at most the input's height and width")
    windows = _windows(x, pool_size, stride)
    out = windows.max(axis=(3, 4)) if mode == "max" else windows.mean(axis=(3, 4))
    return out.astype(x.dtype), (x, pool_size, stride, mode)


def pool_backward(dout, cache):
    x, f, s, mode = cache
    N, h_out, w_out, C = dout.shape
    n, i, j, c = np.indices(dout.shape)
    dx = np.zeros_like(x)
    if mode == "max":
        first = _windows(x, f, s).transpose(0, 1, 2, 5, 3, 4).reshape(N, h_out, w_out, C, f * f).argmax(axis=-1)
        np.add.at(dx, (n, i * s + first // f, j * s + first % f, c), dout)
    else:
        for p in range(f):
            for q in range(f):
                np.add.at(dx, (n, i * s + p, j * s + q, c), dout / (f * f))
    return dx
