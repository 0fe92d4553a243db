"""Describe values for feedback by their shapes and hyper-parameters, never their contents."""
import numpy as np


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
