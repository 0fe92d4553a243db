"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: each window's share of the gradient, for all examples and channels at once,
assigned into dx (=) instead of added."""
import numpy as np


def pool_backward(dout, cache):
    x, f, s, mode = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            rows, cols = slice(i * s, i * s + f), slice(j * s, j * s + f)
            g = dout[:, i:i + 1, j:j + 1, :]
            if mode == "max":
                flat = x[:, rows, cols, :].reshape(N, f * f, C)
                hot = np.arange(f * f)[None, :, None] == flat.argmax(axis=1)[:, None, :]
                dx[:, rows, cols, :] = hot.reshape(N, f, f, C) * g
            else:
                dx[:, rows, cols, :] = np.broadcast_to(g / (f * f), (N, f, f, C))
    return dx
