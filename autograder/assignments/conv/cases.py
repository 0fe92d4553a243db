"""Random convolution cases, each aimed at a corner where students go wrong."""
import numpy as np

CORNERS = {
    "3x3 kernel, pad 1": {"kernel": (3, 3), "pad": 1, "stride": 1},
    "pad 0": {"pad": 0},
    "stride that does not divide": {"stride": 2, "uneven": True},
    "stride 3, pad 2": {"stride": 3, "pad": 2},
    "rectangular kernel": {"kernel": (2, 3)},
    "1x1 kernel": {"kernel": (1, 1)},
    "batch of 1": {"batch": 1},
    "float32": {"dtype": np.float32},
}


def conv_case(rng, corner: str) -> dict:
    """Inputs of ``conv_forward``: ``{x, w, b, stride, pad}`` for the named corner."""
    spec = CORNERS[corner]
    dtype = spec.get("dtype", np.float64)
    kh, kw = spec.get("kernel", (int(rng.integers(1, 5)), int(rng.integers(1, 5))))
    pad = spec.get("pad", int(rng.integers(0, 3)))
    stride = spec.get("stride", int(rng.integers(1, 3)))
    n = spec.get("batch", int(rng.integers(2, 4)))
    height, width = (_size(rng, k, pad, stride, spec.get("uneven", False)) for k in (kh, kw))
    c_in, c_out = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    return {
        "x": rng.standard_normal((n, height, width, c_in)).astype(dtype),
        "w": rng.standard_normal((kh, kw, c_in, c_out)).astype(dtype),
        "b": rng.standard_normal(c_out).astype(dtype),
        "stride": stride,
        "pad": pad,
    }


def _size(rng, kernel: int, pad: int, stride: int, uneven: bool) -> int:
    """A spatial size the kernel fits in once padded; with ``uneven``, one where the
    stride leaves trailing rows that no window covers."""
    while True:
        size = int(rng.integers(max(1, kernel - 2 * pad), 10))
        if not uneven or (size + 2 * pad - kernel) % stride != 0:
            return size
