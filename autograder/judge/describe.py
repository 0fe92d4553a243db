"""Describe values for feedback by their shapes and hyper-parameters, never their contents."""
import numpy as np

# A tuple this short is a cache or a pair (its items are described one by one); a longer
# one, and any list, is described by its length alone.
SHORT_TUPLE = 8


def describe_case(**args) -> str:
    """``x (2, 5, 7, 3) float32, w (3, 2, 3, 4) float32, stride=2, pad=1``; a short tuple (a
    cache) item by item: ``cache ((2, 5, 7, 3) float32, (3, 2, 3, 4) float32, (4,) float32, 2, 1)``."""
    return ", ".join(_describe_argument(name, value) for name, value in args.items())


def _describe_argument(name, value) -> str:
    if isinstance(value, np.ndarray):
        return f"{name} {tuple(value.shape)} {value.dtype}"
    if isinstance(value, dict):
        inner = ", ".join(_describe_argument(key, item) for key, item in value.items())
        return f"{name} {{{inner}}}"
    if isinstance(value, tuple) and 0 < len(value) <= SHORT_TUPLE:
        return f"{name} ({', '.join(_describe_item(item) for item in value)})"
    if isinstance(value, (tuple, list)):  # never their contents
        return f"{name} (a {type(value).__name__} of {len(value)})"
    if isinstance(value, (float, np.floating)):
        return f"{name} (a {type(value).__name__})"  # a drawn value: hidden like arrays' contents
    return f"{name}={value!r}"


def _describe_item(value) -> str:
    """An item of a short tuple, which has no name: ``(2, 5) float64``, ``2``, ``'max'``."""
    if isinstance(value, np.ndarray):
        return f"{tuple(value.shape)} {value.dtype}"
    if isinstance(value, dict):
        return "{" + ", ".join(_describe_argument(key, item) for key, item in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, (float, np.floating)):
        return f"a {type(value).__name__}"
    return repr(value)
