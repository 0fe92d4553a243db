"""Bugs students really make in the conv assignment, and two other correct solutions.

Each mutant is a patch on the source notebook's solution code; ``breaks`` names the
contract function that must lose points. A bug in a helper that conv_forward calls in
the notebook (conv_single_step) costs conv_forward too, so it names both.
"""
from autograder.mutants import Alternative, Mutant

MUTANTS = [
    Mutant(
        "output_size_unchecked", "conv_output_size",
        old='    if stride <= 0:\n        raise ValueError(f"stride must be positive, got stride={stride}")\n'
            '    if pad < 0:\n        raise ValueError(f"pad must be non-negative, got pad={pad}")\n'
            '    if f > n + 2 * pad:',
        new="    if False:",
        why="no validation of stride, pad or kernel size",
    ),
    Mutant(
        "zero_pad_unchecked", "zero_pad",
        old='    if pad < 0:\n        raise ValueError(f"pad must be non-negative, got pad={pad}")\n    return np.pad',
        new="    return np.pad",
        why="a negative pad reaches np.pad, whose error does not name pad",
    ),
    Mutant(
        "single_step_no_bias", ("conv_single_step", "conv_forward"),
        old="z = np.sum(x_slice * w) + b", new="z = np.sum(x_slice * w)",
        why="the bias is forgotten",
    ),
    Mutant(
        "forward_ignores_stride", "conv_forward",
        old="top, left = i * stride, j * stride", new="top, left = i, j",
        why="windows move one pixel whatever the stride",
    ),
    Mutant(
        "forward_flips_kernel", "conv_forward",
        old="conv_single_step(x_slice, w[:, :, :, c], b[c])", new="conv_single_step(x_slice, w[::-1, ::-1, :, c], b[c])",
        why="true convolution (kernel flipped) instead of the cross-correlation tf.nn.conv2d computes",
    ),
    Mutant(
        "forward_square_kernel", "conv_forward",
        old="x_slice = xpad[n, top:top + kh, left:left + kw, :]", new="x_slice = xpad[n, top:top + kh, left:left + kh, :]",
        why="assumes kh == kw",
    ),
    Mutant(
        "forward_width_from_height", "conv_forward",
        old="W_out = conv_output_size(W, kw, pad, stride)", new="W_out = conv_output_size(H, kw, pad, stride)",
        why="the output width computed from the input's height: right for square images only",
    ),
    Mutant(
        "forward_float64", "conv_forward",
        old="out = np.zeros((N, H_out, W_out, C_out), dtype=x.dtype)", new="out = np.zeros((N, H_out, W_out, C_out))",
        why="float32 in gives float64 out",
    ),
    Mutant(
        "forward_off_by_one", "conv_forward",
        old="H_out = conv_output_size(H, kh, pad, stride)", new="H_out = (H + 2 * pad - kh) // stride",
        why="the +1 of the output size is forgotten",
    ),
    Mutant(
        "backward_negative_slice", "conv_backward",
        old="dx = dxpad[:, pad:pad + H, pad:pad + W, :]", new="dx = dxpad[:, pad:-pad, pad:-pad, :]",
        why="x[pad:-pad] is empty when pad = 0",
    ),
    Mutant(
        "backward_ignores_stride", "conv_backward",
        old="top, left = i * stride, j * stride", new="top, left = i, j",
        why="the backward pass forgets the stride",
    ),
    Mutant(
        "backward_overwrites_dx", "conv_backward",
        old="dxpad[n, top:top + kh, left:left + kw, :] += ", new="dxpad[n, top:top + kh, left:left + kw, :] = ",
        why="overlapping windows overwrite each other's gradient instead of adding",
    ),
    Mutant(
        "backward_overwrites_dw", "conv_backward",
        old="dw[:, :, :, c] += x_slice", new="dw[:, :, :, c] = x_slice",
        why="dw keeps only the last window's contribution",
    ),
    Mutant(
        "backward_float64", "conv_backward",
        old="dxpad = np.zeros_like(xpad)", new="dxpad = np.zeros(xpad.shape)",
        why="dx comes back float64 for float32 input",
    ),
]

_CHECKS = '''
import numpy as np


def _check(stride, pad):
    if stride <= 0:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")


def conv_output_size(n, f, pad, stride):
    _check(stride, pad)
    if f > n + 2 * pad:
        raise ValueError(f"kernel size f={f} does not fit the padded input")
    return int((n + 2 * pad - f) // stride + 1)


def zero_pad(x, pad):
    _check(1, pad)
    out = np.zeros((x.shape[0], x.shape[1] + 2 * pad, x.shape[2] + 2 * pad, x.shape[3]), dtype=x.dtype)
    out[:, pad:pad + x.shape[1], pad:pad + x.shape[2], :] = x
    return out


def conv_single_step(x_slice, w, b):
    return float(np.sum(x_slice * w) + b)
'''

ALTERNATIVES = [
    Alternative("einsum_windows", _CHECKS + '''

def _windows(x, w, stride, pad):
    _check(stride, pad)
    kh, kw = w.shape[:2]
    if kh > x.shape[1] + 2 * pad or kw > x.shape[2] + 2 * pad:
        raise ValueError("the kernel w is larger than the padded input")
    windows = np.lib.stride_tricks.sliding_window_view(zero_pad(x, pad), (kh, kw), axis=(1, 2))
    return windows[:, ::stride, ::stride]  # (N, H_out, W_out, C_in, kh, kw)


def conv_forward(x, w, b, stride=1, pad=0):
    out = np.einsum("nijkpq,pqkc->nijc", _windows(x, w, stride, pad), w) + b
    return out.astype(x.dtype), (x, w, b, stride, pad)


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    windows = _windows(x, w, stride, pad)
    dw = np.einsum("nijkpq,nijc->pqkc", windows, dout)
    db = dout.sum(axis=(0, 1, 2))
    kh, kw = w.shape[:2]
    dxpad = np.zeros((x.shape[0], x.shape[1] + 2 * pad, x.shape[2] + 2 * pad, x.shape[3]), dtype=x.dtype)
    h_out, w_out = dout.shape[1:3]
    for p in range(kh):
        for q in range(kw):
            dxpad[:, p:p + stride * h_out:stride, q:q + stride * w_out:stride, :] += dout @ w[p, q].T
    dx = dxpad[:, pad:pad + x.shape[1], pad:pad + x.shape[2], :]
    return dx, dw.astype(w.dtype), db.astype(b.dtype)
'''),
    Alternative("loops_over_kernel_offsets", _CHECKS + '''

def conv_forward(x, w, b, stride=1, pad=0):
    kh, kw, c_in, c_out = w.shape
    _check(stride, pad)
    if kh > x.shape[1] + 2 * pad or kw > x.shape[2] + 2 * pad:
        raise ValueError(f"the kernels w ({kh}x{kw}) do not fit the padded input")
    h_out = conv_output_size(x.shape[1], kh, pad, stride)
    w_out = conv_output_size(x.shape[2], kw, pad, stride)
    xp = zero_pad(x, pad)
    out = np.zeros((x.shape[0], h_out, w_out, c_out), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            patch = xp[:, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride, :]
            out += patch @ w[p, q]
    return out + b, (x, w, b, stride, pad)


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    kh, kw, c_in, c_out = w.shape
    h_out, w_out = dout.shape[1:3]
    xp = zero_pad(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (h_out - 1) + 1, stride)
            cols = slice(q, q + stride * (w_out - 1) + 1, stride)
            dw[p, q] = np.tensordot(xp[:, rows, cols, :], dout, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, rows, cols, :] += dout @ w[p, q].T
    H, W = x.shape[1:3]
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, dout.sum(axis=(0, 1, 2)).astype(b.dtype)
'''),
]
