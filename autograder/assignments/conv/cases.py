"""Convolution cases, each aimed at a corner where students go wrong.

Which corners a grading exercises, and the shapes and hyper-parameters of each, are
fixed; only the values are drawn, from the run's seed. Every corner varies one thing
from a plain baseline (a square 3x3 kernel, stride 1, pad 1, a square image, two
examples, float64), so that a failing case names the one thing a submission gets
wrong, and the score of a submission does not depend on the seed. No case degenerates:
every one has at least two outputs along each axis (so that a stride shows), more than
one input and output channel, and C_in != C_out (so that swapped axes show).
"""
import numpy as np

BASELINE = {"batch": 2, "size": (6, 6), "kernel": (3, 3), "channels": (3, 2), "stride": 1, "pad": 1,
            "dtype": np.float64}

CORNERS = {  # name: what differs from BASELINE
    "3x3 kernel, pad 1": {},  # the baseline itself
    "pad 0": {"pad": 0},
    # (6 + 2 - 3) / 3 leaves 2: 2 outputs, and the last row and column of x in no window (zero gradient)
    "stride that does not divide": {"stride": 3},
    "stride 3, pad 2": {"stride": 3, "pad": 2},  # (6 + 4 - 3) / 3: 3 outputs, every row of x in a window
    "rectangular kernel": {"kernel": (2, 3)},
    "1x1 kernel": {"kernel": (1, 1)},
    "rectangular image": {"size": (5, 7)},
    "batch of 1": {"batch": 1},
    "float32": {"dtype": np.float32},
}


def spec(corner: str) -> dict:
    """The baseline with the corner's one difference."""
    return {**BASELINE, **CORNERS[corner]}


def conv_case(rng, corner: str) -> dict:
    """Inputs of ``conv_forward``: ``{x, w, b, stride, pad}`` for the named corner."""
    s = spec(corner)
    (height, width), (kh, kw), (c_in, c_out), dtype = s["size"], s["kernel"], s["channels"], s["dtype"]
    return {
        "x": rng.standard_normal((s["batch"], height, width, c_in)).astype(dtype),
        "w": rng.standard_normal((kh, kw, c_in, c_out)).astype(dtype),
        "b": rng.standard_normal(c_out).astype(dtype),
        "stride": s["stride"],
        "pad": s["pad"],
    }


# conv_output_size's cases, (n, f, pad, stride); n is drawn where it is None, and f where it
# is None is the padded input's size (one position).
OUTPUT_SIZES = [
    (32, 5, 0, 1),  # LeNet-5's first layer
    (227, 11, 0, 4),  # AlexNet's first layer
    (None, 3, 2, 1),  # pad 2
    (None, 3, 0, 2),  # a stride 2 that does not divide (n drawn so)
    (None, 4, 1, 3),  # a stride 3 that does not divide, pad 1 (n drawn so)
    (None, None, 1, 2),  # a kernel as large as the padded input
]


def output_size_cases(rng) -> list:
    """``(n, f, pad, stride)`` of every case of ``OUTPUT_SIZES``, n drawn where it is None."""
    cases = []
    for n, f, pad, stride in OUTPUT_SIZES:
        if n is None:
            n = int(rng.integers(10, 40))
            while f is not None and stride > 1 and (n + 2 * pad - f) % stride == 0:
                n += 1
        cases.append((n, n + 2 * pad if f is None else f, pad, stride))
    return cases
