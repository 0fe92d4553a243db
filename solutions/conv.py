"""A convolution layer, forward and backward (numpy, NHWC images, HWIO kernels).

The layer pads x with `pad` zeros on each spatial side, slides a kh x kw
kernel over it with step `stride` and, at every position, takes the dot
product of the window with each of the C_out kernels (cross-correlation, no
kernel flip: what tf.nn.conv2d computes).

    H_out = (H + 2*pad - kh) // stride + 1      W_out likewise with W, kw
    out[n, i, j, c] = sum_{p,q,k} xpad[n, i*stride + p, j*stride + q, k] * w[p, q, k, c] + b[c]

Backward, with dout = dL/dout:

    db[c]         = sum_{n,i,j} dout[n, i, j, c]
    dw[p, q, k, c] = sum_{n,i,j} xpad[n, i*stride + p, j*stride + q, k] * dout[n, i, j, c]
    dxpad[n, i*stride + p, j*stride + q, k] += sum_c w[p, q, k, c] * dout[n, i, j, c]

and dx is dxpad without its border. Rows and columns that no window covers
(when stride does not divide H + 2*pad - kh) get a zero gradient.

Both passes work on im2col: every window laid out as one row of a matrix,
so that the convolution becomes a single matrix product.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check_stride_pad(stride, pad):
    if stride <= 0:
        raise ValueError(f"stride must be positive, got stride={stride}")
    if pad < 0:
        raise ValueError(f"pad must be non-negative, got pad={pad}")


def conv_output_size(n, f, pad, stride):
    """Number of positions a kernel of size f takes along an axis of size n.

    n: input size; f: kernel size; pad: zeros added on each side; stride: step.
    Returns the int (n + 2*pad - f) // stride + 1.
    """
    _check_stride_pad(stride, pad)
    if f < 1 or f > n + 2 * pad:
        raise ValueError(f"kernel size f={f} must be between 1 and the padded input size n + 2*pad = {n + 2 * pad}")
    return int((n + 2 * pad - f) // stride + 1)


def zero_pad(x, pad):
    """Pad the two spatial axes of x with zeros.

    x: (N, H, W, C).
    Returns (N, H + 2*pad, W + 2*pad, C), x's dtype; x itself is untouched.
    """
    if pad < 0:
        raise ValueError(f"pad must be non-negative, got pad={pad}")
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_single_step(x_slice, w, b):
    """One output value: the window times the kernel, summed, plus the bias.

    x_slice: (kh, kw, C_in), one window of the padded input.
    w: (kh, kw, C_in), one kernel.
    b: a scalar bias.
    Returns sum(x_slice * w) + b as a numpy scalar of x_slice's dtype.
    """
    if np.shape(x_slice) != np.shape(w):
        raise ValueError(f"w has shape {np.shape(w)}, the window x_slice {np.shape(x_slice)}")
    dtype = np.result_type(x_slice)
    return dtype.type(np.sum(x_slice * w) + np.asarray(b, dtype=dtype).reshape(()))


def _check_conv_arguments(x_shape, w_shape, b_shape, stride, pad):
    """Validate the arguments; return (H_out, W_out)."""
    _check_stride_pad(stride, pad)
    N, H, W, C = x_shape
    kh, kw, C_in, C_out = w_shape
    if C_in != C:
        raise ValueError(f"w has {C_in} input channels, x has {C}")
    if kh > H + 2 * pad or kw > W + 2 * pad:
        raise ValueError(f"the kernel w ({kh}x{kw}) is larger than the padded input ({H + 2 * pad}x{W + 2 * pad})")
    if tuple(b_shape) != (C_out,):
        raise ValueError(f"b must have shape ({C_out},), got {tuple(b_shape)}")
    return (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1


def _im2col(xpad, kh, kw, stride):
    """Every window of xpad as one row.

    xpad: (N, Hp, Wp, C).
    Returns (N * H_out * W_out, kh * kw * C), rows in (n, i, j) order and each
    row in (p, q, k) order, the order of w.reshape(kh * kw * C, C_out).
    """
    C = xpad.shape[3]
    windows = sliding_window_view(xpad, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]  # (N, H_out, W_out, C, kh, kw)
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * C)


def conv_forward(x, w, b, stride=1, pad=0):
    """Forward pass of a convolution layer.

    x: (N, H, W, C_in) input images.
    w: (kh, kw, C_in, C_out) kernels; b: (C_out,) biases.
    stride: step between windows (> 0); pad: zeros on each spatial side (>= 0).
    Returns (out, cache):
      out: (N, H_out, W_out, C_out), x's dtype, equal to
        tf.nn.conv2d(zero_pad(x, pad), w, stride, "VALID") + b.
      cache: (x, w, b, stride, pad), the inputs.
    """
    H_out, W_out = _check_conv_arguments(x.shape, w.shape, b.shape, stride, pad)
    N = x.shape[0]
    kh, kw, C_in, C_out = w.shape
    cols = _im2col(zero_pad(x, pad), kh, kw, stride)  # (N*H_out*W_out, kh*kw*C_in)
    out = cols @ w.reshape(kh * kw * C_in, C_out) + b
    out = out.reshape(N, H_out, W_out, C_out).astype(x.dtype, copy=False)
    return out, (x, w, b, stride, pad)


def conv_backward(dout, cache):
    """Backward pass of a convolution layer.

    dout: (N, H_out, W_out, C_out), the upstream gradient dL/dout.
    cache: (x, w, b, stride, pad), the inputs of conv_forward;
      x is (N, H, W, C_in), w is (kh, kw, C_in, C_out), b is (C_out,).
    Returns (dx, dw, db) with the shapes and dtypes of x, w and b.
    """
    x, w, b, stride, pad = cache
    H_out, W_out = _check_conv_arguments(x.shape, w.shape, b.shape, stride, pad)
    N, H, W, C_in = x.shape
    kh, kw, _, C_out = w.shape
    if dout.shape != (N, H_out, W_out, C_out):
        raise ValueError(f"dout has shape {dout.shape}, expected {(N, H_out, W_out, C_out)}")

    db = dout.sum(axis=(0, 1, 2))
    xpad = zero_pad(x, pad)
    dout_rows = dout.reshape(-1, C_out)  # (N*H_out*W_out, C_out), rows as in _im2col
    dw = (_im2col(xpad, kh, kw, stride).T @ dout_rows).reshape(kh, kw, C_in, C_out)

    # Kernel entry (p, q) meets x at rows i*stride + p and columns j*stride + q:
    # one strided slice of xpad per offset, and distinct (i, j) never collide.
    dxpad = np.zeros(xpad.shape, dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (H_out - 1) + 1, stride)
            cols = slice(q, q + stride * (W_out - 1) + 1, stride)
            dxpad[:, rows, cols, :] += (dout_rows @ w[p, q].T).reshape(N, H_out, W_out, C_in)
    dx = dxpad[:, pad:pad + H, pad:pad + W, :]  # not [pad:-pad], which is empty for pad=0
    return dx, dw.astype(w.dtype, copy=False), db.astype(b.dtype, copy=False)
