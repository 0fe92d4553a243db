"""Test data for the diagnosis (benchmarks/diagnosis.py): a correct implementation in
another style, which must get no diagnosis. sigmoid from tanh (never overflows), every
product an einsum, the gates unpacked with np.split; the sequences are the notebook's."""
import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    return (0.5 * (1 + np.tanh(z / 2))).astype(z.dtype)


def _pre(x_t, h_prev, params):
    return np.einsum("nd,dk->nk", x_t, params["W"]) + np.einsum("nh,hk->nk", h_prev, params["U"]) + params["b"]


def _weights(x_t, h_prev, da):
    return {"W": np.einsum("nd,nk->dk", x_t, da), "U": np.einsum("nh,nk->hk", h_prev, da), "b": da.sum(axis=0)}


def rnn_cell_forward(x_t, h_prev, params):
    return np.tanh(_pre(x_t, h_prev, params)), (x_t, h_prev, params)


def rnn_cell_backward(dh_next, cache):
    x_t, h_prev, params = cache
    h = np.tanh(_pre(*cache))
    da = dh_next * (1 - h ** 2)
    return (np.einsum("nk,dk->nd", da, params["W"]), np.einsum("nk,hk->nh", da, params["U"]),
            _weights(x_t, h_prev, da))


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    a_i, a_f, a_g, a_o = np.split(_pre(x_t, h_prev, params), 4, axis=1)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(c), c, (x_t, h_prev, c_prev, params)


def lstm_cell_backward(dh_next, dc_next, cache):
    x_t, h_prev, c_prev, params = cache
    a_i, a_f, a_g, a_o = np.split(_pre(x_t, h_prev, params), 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh_next * tc * o * (1 - o)], axis=1)
    return (np.einsum("nk,dk->nd", da, params["W"]), np.einsum("nk,hk->nh", da, params["U"]), dc * f,
            _weights(x_t, h_prev, da))
