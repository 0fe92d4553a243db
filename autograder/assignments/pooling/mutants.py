"""Bugs students really make in the pooling assignment, and two other correct solutions.

Each mutant is a patch on the source notebook's solution code; ``breaks`` names the
contract function that must lose points. The notebook's pool_backward calls
create_mask_from_window and distribute_value, so a bug in either that changes its
values costs pool_backward too, and names both.
"""
from autograder.mutants import Alternative, Mutant

MUTANTS = [
    Mutant(
        "mask_every_tie", ("create_mask_from_window", "pool_backward"),
        old="    mask = np.zeros(window.shape, dtype=bool)\n"
            "    mask[np.unravel_index(np.argmax(window), window.shape)] = True\n",
        new="    mask = window == np.max(window)\n",
        why="every entry equal to the maximum gets the gradient: an all-zero window hands it out f*f times",
    ),
    Mutant(
        "mask_last_maximum", ("create_mask_from_window", "pool_backward"),
        old="mask[np.unravel_index(np.argmax(window), window.shape)] = True",
        new="mask[tuple(np.argwhere(window == np.max(window))[-1])] = True",
        why="the last maximum instead of the first",
    ),
    Mutant(
        "mask_running_max_from_zero", ("create_mask_from_window", "pool_backward"),
        old="mask[np.unravel_index(np.argmax(window), window.shape)] = True",
        new="best, where = 0, (0, 0)  # a running maximum that starts at 0\n"
            "    for r in range(window.shape[0]):\n"
            "        for c in range(window.shape[1]):\n"
            "            if window[r, c] > best:\n"
            "                best, where = window[r, c], (r, c)\n"
            "    mask[where] = True",
        why="a running maximum that starts at 0 never moves on an all-negative window, which keeps the first entry",
    ),
    Mutant(
        "mask_not_bool", "create_mask_from_window",
        old="mask = np.zeros(window.shape, dtype=bool)", new="mask = np.zeros_like(window)",
        why="the mask has the window's float dtype instead of bool",
    ),
    Mutant(
        "distribute_not_divided", ("distribute_value", "pool_backward"),
        old="np.full((f_h, f_w), dz / (f_h * f_w))", new="np.full((f_h, f_w), dz)",
        why="every entry gets the whole gradient",
    ),
    Mutant(
        "distribute_float64", "distribute_value",
        old="np.full((f_h, f_w), dz / (f_h * f_w))", new="np.ones((f_h, f_w)) * dz / (f_h * f_w)",
        why="np.ones is float64, so a float32 dz gives a float64 array",
    ),
    Mutant(
        "distribute_square", "distribute_value",
        old="np.full((f_h, f_w), dz / (f_h * f_w))", new="np.full((f_h, f_h), dz / (f_h * f_h))",
        why="assumes a square window",
    ),
    Mutant(
        "forward_average_not_divided", "pool_forward",
        old="out[:, i, j, :] = window.mean(axis=(1, 2))", new="out[:, i, j, :] = window.sum(axis=(1, 2))",
        why="average pooling sums the window without dividing by its area",
    ),
    Mutant(
        "forward_ignores_stride", "pool_forward",
        old="window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]",
        new="window = x[:, i:i + pool_size, j:j + pool_size, :]",
        why="windows move one pixel whatever the stride",
    ),
    Mutant(
        "forward_float64", "pool_forward",
        old="out = np.zeros((N, H_out, W_out, C), dtype=x.dtype)", new="out = np.zeros((N, H_out, W_out, C))",
        why="float32 in gives float64 out",
    ),
    Mutant(
        "forward_mode_loose", "pool_forward",
        old='if mode not in ("max", "average"):', new='if mode.lower() not in ("max", "average"):',
        why='"Max" is accepted (and then pooled as an average)',
    ),
    Mutant(
        "forward_checks_height_only", "pool_forward",
        old="if pool_size > H or pool_size > W:", new="if pool_size > H:",
        why="a window wider than the input is not rejected",
    ),
    Mutant(
        "forward_cache_dict", "pool_forward",
        old="cache = (x, pool_size, stride, mode)",
        new='cache = (x, {"pool_size": pool_size, "stride": stride, "mode": mode})',
        why="the cache keeps the hyper-parameters in a dict, as in other courses",
    ),
    Mutant(
        "forward_divides_x_in_place", "pool_forward",
        old="out[:, i, j, :] = window.mean(axis=(1, 2))",
        new="window /= pool_size * pool_size  # window is a view: this changes x\n"
            "                out[:, i, j, :] = window.sum(axis=(1, 2))",
        why="average pooling scales the window in place, which changes x",
    ),
    Mutant(
        "backward_ignores_stride", "pool_backward",
        old="rows = slice(i * stride, i * stride + pool_size)\n"
            "                cols = slice(j * stride, j * stride + pool_size)",
        new="rows = slice(i, i + pool_size)\n                cols = slice(j, j + pool_size)",
        why="the backward pass forgets the stride",
    ),
    Mutant(
        "backward_overwrites_dx", "pool_backward",
        old="dx[n, rows, cols, c] += mask * dout[n, i, j, c]\n                    else:\n"
            "                        dx[n, rows, cols, c] += distribute_value(",
        new="dx[n, rows, cols, c] = mask * dout[n, i, j, c]\n                    else:\n"
            "                        dx[n, rows, cols, c] = distribute_value(",
        why="overlapping windows overwrite each other's gradient instead of adding",
    ),
    Mutant(
        "backward_average_not_divided", "pool_backward",
        old="distribute_value(dout[n, i, j, c], (pool_size, pool_size))", new="dout[n, i, j, c]",
        why="average pooling sends the whole gradient to every entry of the window",
    ),
    Mutant(
        "backward_float64", "pool_backward",
        old="dx = np.zeros_like(x)", new="dx = np.zeros(x.shape)",
        why="dx comes back float64 for float32 input",
    ),
    Mutant(
        "backward_scales_dout_in_place", "pool_backward",
        old="dx[n, rows, cols, c] += distribute_value(dout[n, i, j, c], (pool_size, pool_size))",
        new="dout[n, i, j, c] /= pool_size * pool_size\n"
            "                        dx[n, rows, cols, c] += dout[n, i, j, c]",
        why="average pooling scales dout in place: right values, but the caller's dout changes",
    ),
]

ALTERNATIVES = [
    Alternative("sliding_window_view", '''
import numpy as np


def create_mask_from_window(window):
    flat = np.zeros(window.size, dtype=bool)
    flat[np.argmax(window)] = True
    return flat.reshape(window.shape)


def distribute_value(dz, shape):
    f_h, f_w = shape
    return np.full((f_h, f_w), dz) / (f_h * f_w)


def _check(x, pool_size, stride, mode):
    if stride <= 0:
        raise ValueError(f"stride={stride} must be positive")
    if not 1 <= pool_size <= min(x.shape[1], x.shape[2]):
        raise ValueError(f"pool_size={pool_size} must be between 1 and min(H, W)")
    if not (isinstance(mode, str) and mode in ("max", "average")):
        raise ValueError(f"unknown mode={mode!r}")


def _windows(x, f, s):
    """(N, H_out, W_out, C, f, f): a view, no copy."""
    return np.lib.stride_tricks.sliding_window_view(x, (f, f), axis=(1, 2))[:, ::s, ::s]


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    _check(x, pool_size, stride, mode)
    windows = _windows(x, pool_size, stride)
    out = windows.max(axis=(4, 5)) if mode == "max" else windows.mean(axis=(4, 5))
    return out, (x, pool_size, stride, mode)


def pool_backward(dout, cache):
    x, f, s, mode = cache
    N, H_out, W_out, C = dout.shape
    if mode == "max":
        first = _windows(x, f, s).reshape(N, H_out, W_out, C, f * f).argmax(axis=-1)
        share = (np.arange(f * f) == first[..., None]) * dout[..., None]
    else:
        share = np.broadcast_to(dout[..., None] / (f * f), (N, H_out, W_out, C, f * f))
    share = share.reshape(N, H_out, W_out, C, f, f)
    dx = np.zeros_like(x)
    for p in range(f):
        for q in range(f):
            dx[:, p:p + s * H_out:s, q:q + s * W_out:s, :] += share[..., p, q]
    return dx
'''),
    Alternative("index_arrays_and_add_at", '''
import numpy as np


def create_mask_from_window(window):
    return np.arange(window.size).reshape(window.shape) == np.argmax(window)


def distribute_value(dz, shape):
    n_h, n_w = shape
    average = dz / (n_h * n_w)
    return average * np.ones(shape, dtype=np.asarray(average).dtype)


def _window_indices(H, W, f, s):
    """rows, cols: (H_out, W_out, f, f) indices of every window's entries."""
    H_out, W_out = (H - f) // s + 1, (W - f) // s + 1
    rows = s * np.arange(H_out)[:, None, None, None] + np.arange(f)[None, None, :, None]
    cols = s * np.arange(W_out)[None, :, None, None] + np.arange(f)[None, None, None, :]
    return np.broadcast_arrays(rows, cols)


def pool_forward(x, pool_size=2, stride=2, mode="max"):
    if mode != "max" and mode != "average":
        raise ValueError("mode must be 'max' or 'average'")
    if stride < 1:
        raise ValueError("stride must be at least 1")
    N, H, W, C = x.shape
    if pool_size < 1 or pool_size > H or pool_size > W:
        raise ValueError("pool_size must be at least 1 and fit in the input")
    rows, cols = _window_indices(H, W, pool_size, stride)
    patches = x[:, rows, cols, :]  # (N, H_out, W_out, f, f, C)
    out = patches.max(axis=(3, 4)) if mode == "max" else patches.mean(axis=(3, 4))
    return out, (x, pool_size, stride, mode)


def pool_backward(dout, cache):
    x, f, s, mode = cache
    N, H, W, C = x.shape
    H_out, W_out = dout.shape[1:3]
    rows, cols = _window_indices(H, W, f, s)
    if mode == "max":
        patches = x[:, rows, cols, :].reshape(N, H_out, W_out, f * f, C)
        share = np.zeros_like(patches)
        np.put_along_axis(share, patches.argmax(axis=3)[:, :, :, None, :], dout[:, :, :, None, :], axis=3)
    else:
        share = np.broadcast_to(dout[:, :, :, None, :] / (f * f), (N, H_out, W_out, f * f, C))
    dx = np.zeros_like(x)
    np.add.at(dx, (slice(None), rows, cols, slice(None)), share.reshape(N, H_out, W_out, f, f, C))
    return dx
'''),
]
