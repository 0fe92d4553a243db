"""Reference of the ``relu`` assignment (the kit's smallest: it proves that a new
assignment is only its folders)."""
import numpy as np


def relu(x):
    return np.maximum(x, 0).astype(x.dtype)


def relu_backward(dout, x):
    return (dout * (x > 0)).astype(dout.dtype)
