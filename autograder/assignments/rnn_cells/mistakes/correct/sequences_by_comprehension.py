"""Test data for the diagnosis (benchmarks/diagnosis.py): a correct implementation in
another style, which must get no diagnosis. sigmoid from exp(-|z|), the sequences built
with lists, zip and np.stack, the gradients summed with sum(); the cells are the notebook's."""
import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)


def lstm_forward(x, h0, c0, params):
    state, outputs, caches = (h0, c0), [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_cell_forward(x[:, t, :], *state, params)
        state = (h, c)
        outputs.append(h)
        caches.append(cache)
    return np.stack(outputs, axis=1), state[1], caches


def lstm_backward(dh_seq, caches):
    dh, dc = np.zeros_like(caches[0][1]), np.zeros_like(caches[0][2])
    dxs, steps = [], []
    for t, cache in reversed(list(enumerate(caches))):
        dx_t, dh, dc, step = lstm_cell_backward(dh_seq[:, t, :] + dh, dc, cache)
        dxs.append(dx_t)
        steps.append(step)
    grads = {key: sum(step[key] for step in steps) for key in caches[0][3]}
    return np.stack(dxs[::-1], axis=1), dh, dc, grads


def gru_forward(x, h0, params, reset_after=True):
    h, outputs, caches = h0, [], []
    for x_t in (x[:, t, :] for t in range(x.shape[1])):
        h, cache = gru_cell_forward(x_t, h, params, reset_after)
        outputs.append(h)
        caches.append(cache)
    return np.stack(outputs, axis=1), caches


def gru_backward(dh_seq, caches):
    dh = np.zeros_like(caches[0][1])
    dxs, steps = [], []
    for t, cache in reversed(list(enumerate(caches))):
        dx_t, dh, step = gru_cell_backward(dh_seq[:, t, :] + dh, cache)
        dxs.append(dx_t)
        steps.append(step)
    grads = {key: sum(step[key] for step in steps) for key in caches[0][2]}
    return np.stack(dxs[::-1], axis=1), dh, grads
