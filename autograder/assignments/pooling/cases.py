"""Random pooling cases, each aimed at a corner where students go wrong."""
import numpy as np

CORNERS = {
    "2x2 windows, stride 2": {"pool_size": 2, "stride": 2},
    "overlapping windows": {"pool_size": 3, "stride": 1},
    "overlapping, stride that does not divide": {"pool_size": 3, "stride": 2, "uneven": True},
    "stride larger than the window": {"pool_size": 2, "stride": 3, "uneven": True},
    "pool_size 1": {"pool_size": 1},
    "rectangular input": {"rectangular": True},
    "window as large as the input": {"whole": True},
    "ties after a ReLU": {"pool_size": 2, "stride": 1, "values": "ties"},
    "all-zero windows": {"pool_size": 3, "stride": 2, "values": "mostly zero"},
    "batch of 1, one channel": {"batch": 1, "channels": 1},
    "float32": {"dtype": np.float32},
    "float32 with ties": {"pool_size": 2, "stride": 1, "values": "ties", "dtype": np.float32},
}


WINDOWS = {  # kind: (sides f of its f x f windows, values, dtype)
    "distinct values": ((2, 3, 4), "normal", np.float64),
    "1x1 window": ((1,), "normal", np.float64),
    "ties": ((2, 3, 4), "ties", np.float64),
    "all-zero window": ((2, 3, 4), "zeros", np.float64),
    "negative values with ties": ((2, 3), "negative ties", np.float64),
    "one entry above zero": ((2, 3), "one positive", np.float64),
    "float32 with ties": ((2, 3), "ties", np.float32),
}


def windows(rng, kind: str) -> list:
    """Single windows for ``create_mask_from_window``, one of each side."""
    sides, values, dtype = WINDOWS[kind]
    return [feature_map(rng, (f, f), values, dtype) for f in sides]


def pool_case(rng, corner: str) -> dict:
    """Inputs of ``pool_forward`` but the mode: ``{x, pool_size, stride}`` for the named corner."""
    spec = CORNERS[corner]
    f = spec.get("pool_size", int(rng.integers(1, 4)))
    s = spec.get("stride", int(rng.integers(1, 4)))
    if spec.get("whole"):
        height, width = f, f + int(rng.integers(0, 2))
    else:
        height = _size(rng, f, s, spec.get("uneven", False))
        width = _size(rng, f, s, spec.get("uneven", False), differ_from=height if spec.get("rectangular") else None)
    shape = (spec.get("batch", int(rng.integers(2, 4))), height, width, spec.get("channels", int(rng.integers(2, 5))))
    return {"x": feature_map(rng, shape, spec.get("values", "normal"), spec.get("dtype", np.float64)),
            "pool_size": f, "stride": s}


def feature_map(rng, shape, values: str, dtype=np.float64) -> np.ndarray:
    """``normal``: no ties; ``ties``: small integers after a ReLU; ``mostly zero``: a
    ReLU that rarely fired, so that many windows are all zeros; ``zeros``; ``negative
    ties``: small negative integers; ``one positive``: zeros but one entry."""
    if values == "zeros":
        return np.zeros(shape, dtype=dtype)
    if values == "negative ties":
        return -rng.integers(1, 3, size=shape).astype(dtype)
    if values == "one positive":
        x = np.zeros(shape, dtype=dtype)
        x[tuple(int(rng.integers(0, n)) for n in shape)] = rng.integers(1, 4)
        return x
    if values == "ties":
        return np.maximum(rng.integers(-2, 3, size=shape), 0).astype(dtype)
    if values == "mostly zero":
        return np.maximum(rng.integers(-5, 2, size=shape), 0).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def output_shape(x_shape, pool_size: int, stride: int) -> tuple:
    n, height, width, channels = x_shape
    return n, (height - pool_size) // stride + 1, (width - pool_size) // stride + 1, channels


def _size(rng, f: int, s: int, uneven: bool, differ_from: int = None) -> int:
    """A spatial size the window fits in; with ``uneven``, one where the stride leaves
    trailing rows that no window covers."""
    while True:
        size = int(rng.integers(f, 10))
        if (not uneven or (size - f) % s != 0) and size != differ_from:
            return size
