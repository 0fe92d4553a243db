"""Test data for the diagnosis (benchmarks/diagnosis.py): a correct implementation in
another style, which must get no diagnosis. Windows unrolled into the rows of a matrix
(im2col), one matrix product forward; np.add.at scatters the gradient back."""
import numpy as np


def _validate(x, w, stride, pad):
    if stride <= 0:
        raise ValueError(f"stride must be > 0 (stride={stride})")
    if pad < 0:
        raise ValueError(f"pad must be >= 0 (pad={pad})")
    if w.shape[0] > x.shape[1] + 2 * pad or w.shape[1] > x.shape[2] + 2 * pad:
        raise ValueError("w: the kernel does not fit the padded input")


def _index(x_shape, kh, kw, stride, pad):
    """rows, cols: (H_out * W_out, kh * kw) positions in the padded input."""
    h_out = (x_shape[1] + 2 * pad - kh) // stride + 1
    w_out = (x_shape[2] + 2 * pad - kw) // stride + 1
    top = (np.arange(h_out) * stride)[:, None].repeat(w_out, axis=1).ravel()
    left = np.tile(np.arange(w_out) * stride, h_out)
    rows = top[:, None] + np.repeat(np.arange(kh), kw)[None, :]
    cols = left[:, None] + np.tile(np.arange(kw), kh)[None, :]
    return rows, cols, h_out, w_out


def conv_forward(x, w, b, stride=1, pad=0):
    _validate(x, w, stride, pad)
    kh, kw, c_in, c_out = w.shape
    rows, cols, h_out, w_out = _index(x.shape, kh, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    columns = xp[:, rows, cols, :].reshape(x.shape[0], h_out * w_out, kh * kw * c_in)
    out = columns @ w.reshape(kh * kw * c_in, c_out) + b
    return out.reshape(x.shape[0], h_out, w_out, c_out).astype(x.dtype), (x, w, b, stride, pad)


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    kh, kw, c_in, c_out = w.shape
    rows, cols, h_out, w_out = _index(x.shape, kh, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n = x.shape[0]
    columns = xp[:, rows, cols, :].reshape(n * h_out * w_out, kh * kw * c_in)
    flat_dout = dout.reshape(n * h_out * w_out, c_out)
    dw = (columns.T @ flat_dout).reshape(w.shape).astype(w.dtype)
    dcolumns = (flat_dout @ w.reshape(kh * kw * c_in, c_out).T).reshape(n, h_out * w_out, kh * kw, c_in)
    dxp = np.zeros_like(xp)
    np.add.at(dxp, (slice(None), rows, cols, slice(None)), dcolumns)
    H, W = x.shape[1:3]
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, flat_dout.sum(axis=0).astype(b.dtype)
