"""Max and average pooling, forward and backward (numpy, NHWC).

A pooling layer slides an f x f window over each channel with step s, no
padding, and keeps one number per window: its maximum or its mean.

    H_out = (H - f) // s + 1        W_out = (W - f) // s + 1
    max:      out[n, i, j, c] = max_{p,q}  x[n, i*s + p, j*s + q, c]
    average:  out[n, i, j, c] = mean_{p,q} x[n, i*s + p, j*s + q, c]

Backward, max pooling sends each dout[n, i, j, c] to the window's first
maximum in row-major order (where np.argmax and TensorFlow send it); average
pooling spreads it evenly, dout / f**2 to every entry. Where windows overlap
(s < f) the gradients add up.

Both directions loop over the f*f offsets (p, q) only: for a fixed offset,
x[:, i*s + p, j*s + q, :] over all (i, j) is one strided slice of x.
"""
import numpy as np


def create_mask_from_window(window):
    """Mark the window's first maximum in row-major order.

    window: (f, f) array (any shape works).
    Returns a bool array of window's shape, True at exactly one place:
    the position np.argmax finds.
    """
    window = np.asarray(window)
    mask = np.zeros(window.shape, dtype=bool)
    mask[np.unravel_index(np.argmax(window), window.shape)] = True
    return mask


def distribute_value(dz, shape):
    """Spread the gradient dz evenly over a window.

    dz: a scalar, the gradient of one average-pooled output.
    shape: (f_h, f_w), the window's shape.
    Returns an (f_h, f_w) array, every entry dz / (f_h * f_w), in dz's
    floating dtype (float64 for a Python number).
    """
    dz = np.asarray(dz)
    dtype = dz.dtype if np.issubdtype(dz.dtype, np.floating) else np.float64
    f_h, f_w = shape
    return np.full((f_h, f_w), dz / (f_h * f_w), dtype=dtype)


def _check_arguments(x_shape, pool_size, stride, mode):
    if stride <= 0:
        raise ValueError(f"stride must be positive, got stride={stride}")
    if pool_size < 1:
        raise ValueError(f"pool_size must be at least 1, got pool_size={pool_size}")
    if not (isinstance(mode, str) and mode in ("max", "average")):
        raise ValueError(f'mode must be "max" or "average", got mode={mode!r}')
    H, W = x_shape[1:3]
    if pool_size > H or pool_size > W:
        raise ValueError(f"pool_size={pool_size} is larger than the input's {H}x{W} positions")


def _offsets(x_shape, f, s):
    """Yield an index for every offset (p, q) in the window, in row-major order.

    x[index] is (N, H_out, W_out, C): the entry at offset (p, q) of every window.
    """
    H_out = (x_shape[1] - f) // s + 1
    W_out = (x_shape[2] - f) // s + 1
    for p in range(f):
        for q in range(f):
            rows = slice(p, p + s * (H_out - 1) + 1, s)
            cols = slice(q, q + s * (W_out - 1) + 1, s)
            yield slice(None), rows, cols, slice(None)


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    """Max or average pooling over the two spatial axes, no padding.

    x: (N, H, W, C).
    pool_size: f, the side of the square window; stride: s.
    mode: "max" or "average".
    Returns (out, cache):
      out: (N, (H - f)//s + 1, (W - f)//s + 1, C), x's dtype.
      cache: (x, pool_size, stride, mode), the inputs.
    """
    _check_arguments(x.shape, pool_size, stride, mode)
    out = None
    for at in _offsets(x.shape, pool_size, stride):
        if out is None:
            out = x[at].copy()
        elif mode == "max":
            np.maximum(out, x[at], out=out)
        else:
            out += x[at]
    if mode == "average":
        out /= pool_size * pool_size
    return out, (x, pool_size, stride, mode)


def pool_backward(dout, cache):
    """Gradient of pool_forward with respect to its input.

    dout: (N, H_out, W_out, C), the upstream gradient.
    cache: (x, pool_size, stride, mode) from pool_forward; x is (N, H, W, C).
    Returns dx: (N, H, W, C), x's dtype. Overlapping windows add their parts.
    """
    x, f, s, mode = cache
    _check_arguments(x.shape, f, s, mode)
    dx = np.zeros_like(x)
    if mode == "average":
        share = dout / (f * f)
        for at in _offsets(x.shape, f, s):
            dx[at] += share
        return dx
    out, _ = pool_forward(x, f, s, "max")
    # Walk the offsets in row-major order: the first one that holds the
    # window's maximum takes the gradient, later ties get nothing.
    taken = np.zeros(out.shape, dtype=bool)
    for at in _offsets(x.shape, f, s):
        first = (x[at] == out) & ~taken
        taken |= first
        dx[at] += np.where(first, dout, 0)
    return dx
