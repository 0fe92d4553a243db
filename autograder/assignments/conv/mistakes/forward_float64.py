"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the output built from nested lists of Python floats, so float64
whatever x's dtype."""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    kh, kw, _, c_out = w.shape
    if stride > 0 and pad >= 0 and (kh > x.shape[1] + 2 * pad or kw > x.shape[2] + 2 * pad):
        raise ValueError("the kernel w is larger than the padded input")
    h_out = conv_output_size(x.shape[1], kh, pad, stride)
    w_out = conv_output_size(x.shape[2], kw, pad, stride)
    xp = zero_pad(x, pad)
    images = []
    for image in xp:
        rows = []
        for i in range(h_out):
            row = []
            for j in range(w_out):
                window = image[i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                row.append([float(np.sum(window * w[..., c]) + b[c]) for c in range(c_out)])
            rows.append(row)
        images.append(rows)
    return np.array(images), (x, w, b, stride, pad)
