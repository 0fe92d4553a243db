"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the gradient routed over kernel offsets, windows one pixel apart whatever the stride."""
import numpy as np


def pool_backward(dout, cache):
    x, f, s, mode = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            patch = x[:, i:i + f, j:j + f, :]
            if mode == "max":
                flat = patch.reshape(N, f * f, C)
                hot = np.arange(f * f)[None, :, None] == flat.argmax(axis=1)[:, None, :]
                dx[:, i:i + f, j:j + f, :] += hot.reshape(N, f, f, C) * dout[:, i:i + 1, j:j + 1, :]
            else:
                dx[:, i:i + f, j:j + f, :] += dout[:, i:i + 1, j:j + 1, :] / (f * f)
    return dx
