"""Pooling cases, each aimed at a corner where students go wrong.

Which corners a grading exercises, and the shapes, window and stride of each, are
fixed; only the values are drawn, from the run's seed, and what a corner is about is
there by construction, whatever the draw: a "ties" case has a window whose maximum is
tied, an "all-zero" case an all-zero window, and every case of distinct values (with
windows larger than 1x1) one all-negative window whose maximum is not its first entry
(where a running maximum that starts at 0 goes wrong). Every corner varies one thing
from a plain baseline (non-overlapping 2x2 windows, stride 2, a square 6x6 input, two
examples of three channels, distinct float64 values): the windows and their stride, the
input's shape, the values, the batch, or the dtype; and every corner has at least two
outputs along each axis, but the one where the window is the whole input. So the score
of a submission does not depend on the seed.
"""
import numpy as np

BASELINE = {"pool_size": 2, "stride": 2, "batch": 2, "size": (6, 6), "channels": 3, "values": "normal",
            "dtype": np.float64}

CORNERS = {  # name: what differs from BASELINE
    "2x2 windows, stride 2": {},  # the baseline itself: 3x3 outputs
    "overlapping windows": {"pool_size": 3, "stride": 1},  # 4x4 outputs
    "overlapping, stride that does not divide": {"pool_size": 3, "stride": 2},  # (6 - 3) / 2: 2x2 outputs
    "stride larger than the window": {"pool_size": 2, "stride": 3},  # (6 - 2) / 3: 2x2 outputs
    "pool_size 1": {"pool_size": 1, "stride": 1},  # windows of one entry, next to each other
    "rectangular input": {"size": (6, 8)},
    "window as large as the input": {"pool_size": 3, "stride": 3, "size": (3, 3)},  # one output
    "ties after a ReLU": {"stride": 1, "values": "ties"},
    "all-zero windows": {"pool_size": 3, "stride": 2, "size": (7, 7), "values": "mostly zero"},
    "batch of 1, one channel": {"batch": 1, "channels": 1},
    "float32": {"dtype": np.float32},
    "float32 with ties": {"stride": 1, "values": "ties", "dtype": np.float32},
}


def spec(corner: str) -> dict:
    """The baseline with the corner's differences."""
    return {**BASELINE, **CORNERS[corner]}


def pool_case(rng, corner: str) -> dict:
    """Inputs of ``pool_forward`` but the mode: ``{x, pool_size, stride}`` for the named corner."""
    s = spec(corner)
    shape = (s["batch"], *s["size"], s["channels"])
    x = feature_map(rng, shape, s["values"], s["dtype"], pool_size=s["pool_size"])
    return {"x": x, "pool_size": s["pool_size"], "stride": s["stride"]}


WINDOWS = {  # kind: (sides f of its f x f windows, values, dtype)
    "distinct values": ((2, 3, 4), "normal", np.float64),
    "1x1 window": ((1,), "normal", np.float64),
    "ties": ((2, 3, 4), "ties", np.float64),
    "all-zero window": ((2, 3, 4), "zeros", np.float64),
    "all-negative values": ((2, 3, 4), "negative", np.float64),
    "negative values with ties": ((2, 3), "negative ties", np.float64),
    "one entry above zero": ((2, 3), "one positive", np.float64),
    "float32 with ties": ((2, 3), "ties", np.float32),
}


def windows(rng, kind: str) -> list:
    """Single windows for ``create_mask_from_window``, one of each side."""
    sides, values, dtype = WINDOWS[kind]
    return [window(rng, f, values, dtype) for f in sides]


def window(rng, f: int, values: str, dtype=np.float64) -> np.ndarray:
    """One f x f window of the kind ``values``; by construction, for ``normal`` values a
    maximum above zero (no ties), for ``ties`` and ``negative ties`` (f > 1) a tied
    maximum, and for ``negative`` and ``negative ties`` a first maximum that is not the
    first entry; ``zeros`` and ``one positive`` as :func:`feature_map`'s."""
    if values == "normal":
        w = rng.standard_normal((f, f))
        w.flat[int(rng.integers(w.size))] = abs(w.max()) + rng.uniform(0.1, 1)  # the maximum is above zero
        return w.astype(dtype)
    if values == "ties":  # ReLU outputs 0, 1, 2; the maximum, 2, at two places at least
        w = rng.integers(0, 3, size=(f, f)).astype(dtype)
        w.flat[rng.choice(f * f, size=2, replace=False)] = 2
        return w
    if values == "negative ties":  # -2 and -1; the maximum, -1, at two places at least, neither the first
        w = -rng.integers(1, 3, size=(f, f)).astype(dtype)
        w.flat[0] = -2
        w.flat[1 + rng.choice(f * f - 1, size=2, replace=False)] = -1
        return w
    if values == "negative":
        return _negative_window(rng, (f, f)).astype(dtype)
    return feature_map(rng, (f, f), values, dtype)


def feature_map(rng, shape, values: str, dtype=np.float64, pool_size: int = None) -> np.ndarray:
    """``normal``: no ties, and (given ``pool_size``) the first window of the
    first map all negative, its first maximum not its first entry; ``ties``: small
    integers after a ReLU, with (given ``pool_size``) a tied maximum in the first window of
    every map; ``mostly zero``: a ReLU that rarely fired, and (given ``pool_size``) the first
    window of every map all zeros and one entry of its last row 1; ``zeros``; ``one positive``: zeros but one entry."""
    if values == "zeros":
        return np.zeros(shape, dtype=dtype)
    if values == "one positive":
        x = np.zeros(shape, dtype=dtype)
        x[tuple(int(rng.integers(0, n)) for n in shape)] = rng.integers(1, 4)
        return x
    if values == "ties":
        x = np.maximum(rng.integers(-2, 3, size=shape), 0).astype(dtype)
        if pool_size and pool_size > 1:
            x[:, 0, :2, :] = 2  # the first window's maximum, 2, at the first two entries of its first row
        return x
    if values == "mostly zero":
        x = np.maximum(rng.integers(-5, 2, size=shape), 0).astype(dtype)
        if pool_size:
            x[:, :pool_size, :pool_size, :] = 0
            # and a unit that fired in every map: in the last row, where the last window of the row
            # starts (which the window before shares when windows overlap)
            x[:, -1, -pool_size, :] = 1
        return x
    x = rng.standard_normal(shape)
    if pool_size and pool_size > 1:
        x[0, :pool_size, :pool_size, 0] = _negative_window(rng, (pool_size, pool_size))
    return x.astype(dtype)


def _negative_window(rng, shape) -> np.ndarray:
    """Distinct negative values, the largest not the first."""
    w = -np.abs(rng.standard_normal(shape)) - 0.01
    if np.argmax(w) == 0:
        flat = w.reshape(-1)
        flat[[0, 1]] = flat[[1, 0]]
    return w


def output_shape(x_shape, pool_size: int, stride: int) -> tuple:
    n, height, width, channels = x_shape
    return n, (height - pool_size) // stride + 1, (width - pool_size) // stride + 1, channels
