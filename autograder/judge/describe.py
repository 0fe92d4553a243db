"""Describe values for feedback by their shapes and hyper-parameters, never their contents."""
import numpy as np

from autograder.runner.wire import Other, Scalar


def describe_case(**args) -> str:
    """``x (2, 5, 7, 3) float32, w (3, 2, 3, 4) float32, stride=2, pad=1``."""
    return ", ".join(_describe_argument(name, value) for name, value in args.items())


def _describe_argument(name, value) -> str:
    if isinstance(value, np.ndarray):
        return f"{name} {tuple(value.shape)} {value.dtype}"
    if isinstance(value, dict):
        inner = ", ".join(_describe_argument(key, item) for key, item in value.items())
        return f"{name} {{{inner}}}"
    if isinstance(value, (tuple, list)):  # never their contents
        return f"{name} (a {type(value).__name__} of {len(value)})"
    if isinstance(value, (float, np.floating)):
        return f"{name} (a {type(value).__name__})"  # a drawn value: hidden like arrays' contents
    return f"{name}={value!r}"


def describe_value(value) -> str:
    """What a returned value is, in words: ``a list of 3 items``, ``a float``."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, Scalar):
        return f"a {value.type_name}"
    if isinstance(value, Other):
        return f"an object of type {value.type_name}"
    if value is None:
        return "None"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    return f"a {type(value).__name__}"
