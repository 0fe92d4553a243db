"""Reference solution of the `rnn_cells` assignment: RNN, LSTM and GRU cells in numpy.

Shapes: N sequences in a batch, T time steps, D input features, H hidden units.
Sequences are batch-major, x is (N, T, D) and one step x_t is (N, D).

Weights use the Keras layouts, so each cell equals its `tf.keras.layers` twin
after `set_weights([W, U, b])`:

    W (D, kH)   input kernel      U (H, kH)   recurrent kernel      b   bias

with k gate blocks side by side along the last axis: LSTM i, f, g, o (k = 4),
GRU z, r, h (k = 3; b is (2, 3H) with reset_after, else (3H,)), RNN k = 1.

Every cache is exactly the tuple of the forward call's inputs; the backward
functions recompute the activations they need from it.
"""
import numpy as np


def sigmoid(z):
    """1 / (1 + exp(-z)), elementwise, with no overflow for large |z|; keeps z's dtype."""
    # sigmoid(z) = (1 + tanh(z/2)) / 2: tanh is bounded, so nothing can overflow, and it
    # is many times faster than the exp-and-log forms
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z)))


def _split(a, k):
    """The k gate blocks of a (..., k*H) array, each (..., H)."""
    return np.split(a, k, axis=-1)


# ----------------------------------------------------------------------------- RNN


def rnn_cell_forward(x_t, h_prev, params):
    """One step of a vanilla RNN (Keras SimpleRNNCell).

    x_t: (N, D), h_prev: (N, H), params: {"W": (D, H), "U": (H, H), "b": (H,)}.
    Returns h_next (N, H) and cache = (x_t, h_prev, params).
    """
    h_next = np.tanh(x_t @ params["W"] + h_prev @ params["U"] + params["b"])
    return h_next, (x_t, h_prev, params)


def rnn_cell_backward(dh_next, cache):
    """Backward pass of rnn_cell_forward.

    dh_next: (N, H), the gradient of the loss on h_next.
    Returns dx_t (N, D), dh_prev (N, H) and grads {"W": (D, H), "U": (H, H), "b": (H,)}.
    """
    x_t, h_prev, params = cache
    h_next, _ = rnn_cell_forward(x_t, h_prev, params)
    da = dh_next * (1 - h_next**2)  # through tanh: a = x_t W + h_prev U + b
    grads = {"W": x_t.T @ da, "U": h_prev.T @ da, "b": da.sum(axis=0)}
    return da @ params["W"].T, da @ params["U"].T, grads


# ----------------------------------------------------------------------------- LSTM


def _lstm_gates(x_t, h_prev, c_prev, params):
    """The gates i, f, g, o (each (N, H)) and c_next (N, H) of one LSTM step."""
    a = x_t @ params["W"] + h_prev @ params["U"] + params["b"]  # (N, 4H)
    a_i, a_f, a_g, a_o = _split(a, 4)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_next = f * c_prev + i * g
    return i, f, g, o, c_next


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    """One step of an LSTM (Keras LSTMCell).

    x_t: (N, D), h_prev: (N, H), c_prev: (N, H),
    params: {"W": (D, 4H), "U": (H, 4H), "b": (4H,)}, gate blocks i, f, g, o.

        i, f, o = sigmoid(.), g = tanh(.)      of x_t W + h_prev U + b
        c_next  = f * c_prev + i * g
        h_next  = o * tanh(c_next)

    Returns h_next (N, H), c_next (N, H) and cache = (x_t, h_prev, c_prev, params).
    """
    _, _, _, o, c_next = _lstm_gates(x_t, h_prev, c_prev, params)
    h_next = o * np.tanh(c_next)
    return h_next, c_next, (x_t, h_prev, c_prev, params)


def lstm_cell_backward(dh_next, dc_next, cache):
    """Backward pass of lstm_cell_forward.

    dh_next, dc_next: (N, H), the gradients of the loss on h_next and c_next.
    Returns dx_t (N, D), dh_prev (N, H), dc_prev (N, H)
    and grads {"W": (D, 4H), "U": (H, 4H), "b": (4H,)}.
    """
    x_t, h_prev, c_prev, params = cache
    i, f, g, o, c_next = _lstm_gates(x_t, h_prev, c_prev, params)
    tanh_c = np.tanh(c_next)

    # c_next reaches the loss directly and through h_next = o * tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    do = dh_next * tanh_c
    di, df, dg = dc * g, dc * c_prev, dc * i

    # back through the activations, into the pre-activations a (N, 4H)
    da = np.concatenate(
        [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1
    )
    grads = {"W": x_t.T @ da, "U": h_prev.T @ da, "b": da.sum(axis=0)}
    return da @ params["W"].T, da @ params["U"].T, dc * f, grads


# ----------------------------------------------------------------------------- GRU


def _gru_gates(x_t, h_prev, params, reset_after):
    """The gates z, r (N, H), the candidate h_tilde (N, H) and the reset's operand m (N, H).

    m is h_prev @ U_h + b_h when reset_after, else r * h_prev.
    """
    W, U, b = params["W"], params["U"], params["b"]
    H = h_prev.shape[1]
    if reset_after:
        ax_z, ax_r, ax_h = _split(x_t @ W + b[0], 3)
        ah_z, ah_r, ah_h = _split(h_prev @ U + b[1], 3)
        z, r = sigmoid(ax_z + ah_z), sigmoid(ax_r + ah_r)
        m = ah_h                            # the reset gate acts after the product
        h_tilde = np.tanh(ax_h + r * m)
    else:
        ax_z, ax_r, ax_h = _split(x_t @ W + b, 3)
        ah_z, ah_r = _split(h_prev @ U[:, : 2 * H], 2)
        z, r = sigmoid(ax_z + ah_z), sigmoid(ax_r + ah_r)
        m = r * h_prev                      # the reset gate acts before the product
        h_tilde = np.tanh(ax_h + m @ U[:, 2 * H:])
    return z, r, h_tilde, m


def gru_cell_forward(x_t, h_prev, params, reset_after=True):
    """One step of a GRU (Keras GRUCell(reset_after=...)).

    x_t: (N, D), h_prev: (N, H),
    params: {"W": (D, 3H), "U": (H, 3H), "b": (2, 3H) if reset_after else (3H,)},
    gate blocks z, r, h; with reset_after, b[0] is added to x_t W and b[1] to h_prev U.

        z, r    = sigmoid(x_t W + h_prev U + b)        z and r blocks; b[0] + b[1] if reset_after
        h_tilde = tanh(x_t W_h + r * (h_prev U_h + b[1]_h) + b[0]_h)    reset_after
        h_tilde = tanh(x_t W_h + (r * h_prev) U_h + b_h)                otherwise
        h_next  = z * h_prev + (1 - z) * h_tilde

    Returns h_next (N, H) and cache = (x_t, h_prev, params, reset_after).
    """
    z, _, h_tilde, _ = _gru_gates(x_t, h_prev, params, reset_after)
    h_next = z * h_prev + (1 - z) * h_tilde
    return h_next, (x_t, h_prev, params, reset_after)


def gru_cell_backward(dh_next, cache):
    """Backward pass of gru_cell_forward.

    dh_next: (N, H), the gradient of the loss on h_next.
    Returns dx_t (N, D), dh_prev (N, H) and grads with the keys and shapes of params.
    """
    x_t, h_prev, params, reset_after = cache
    W, U = params["W"], params["U"]
    H = h_prev.shape[1]
    z, r, h_tilde, m = _gru_gates(x_t, h_prev, params, reset_after)

    # h_next = z * h_prev + (1 - z) * h_tilde
    da_z = dh_next * (h_prev - h_tilde) * z * (1 - z)
    da_h = dh_next * (1 - z) * (1 - h_tilde**2)  # into the pre-activation of h_tilde
    dh_prev = dh_next * z

    if reset_after:
        # h_tilde's pre-activation is ax_h + r * m, with m = h_prev U_h + b[1]_h
        da_r = da_h * m * r * (1 - r)
        dax = np.concatenate([da_z, da_r, da_h], axis=1)          # on x_t W + b[0]
        dah = np.concatenate([da_z, da_r, da_h * r], axis=1)      # on h_prev U + b[1]
        grads = {"W": x_t.T @ dax, "U": h_prev.T @ dah,
                 "b": np.stack([dax.sum(axis=0), dah.sum(axis=0)])}
        dh_prev = dh_prev + dah @ U.T
    else:
        # h_tilde's pre-activation is ax_h + m U_h, with m = r * h_prev
        U_zr, U_h = U[:, : 2 * H], U[:, 2 * H:]
        dm = da_h @ U_h.T
        da_r = dm * h_prev * r * (1 - r)
        dax = np.concatenate([da_z, da_r, da_h], axis=1)          # on x_t W + b
        da_zr = dax[:, : 2 * H]                                   # on h_prev U_zr
        grads = {"W": x_t.T @ dax,
                 "U": np.concatenate([h_prev.T @ da_zr, m.T @ da_h], axis=1),
                 "b": dax.sum(axis=0)}
        dh_prev = dh_prev + da_zr @ U_zr.T + dm * r
    return dax @ W.T, dh_prev, grads


# ----------------------------------------------------------------------------- sequences


def lstm_forward(x, h0, c0, params):
    """An LSTM over a whole sequence (Keras LSTM(return_sequences=True), initial_state=[h0, c0]).

    x: (N, T, D), h0: (N, H), c0: (N, H), params as for lstm_cell_forward.
    Returns h_seq (N, T, H), c_last (N, H) and caches, the list of the T step caches.
    """
    h, c, hs, caches = h0, c0, [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_cell_forward(x[:, t], h, c, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), c, caches


def lstm_backward(dh_seq, caches):
    """Backpropagation through time for lstm_forward.

    dh_seq: (N, T, H), the upstream gradient on every h_t (none flows into c_last).
    Returns dx (N, T, D), dh0 (N, H), dc0 (N, H) and grads, summed over the T steps
    because every step uses the same W, U and b.
    """
    _, h0, c0, params = caches[0]
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    dxs = []
    for t in reversed(range(len(caches))):
        # h_t feeds both the loss and the next step
        dx_t, dh, dc, step = lstm_cell_backward(dh_seq[:, t] + dh, dc, caches[t])
        dxs.append(dx_t)
        for name in grads:
            grads[name] += step[name]
    return np.stack(dxs[::-1], axis=1), dh, dc, grads


def gru_forward(x, h0, params, reset_after=True):
    """A GRU over a whole sequence (Keras GRU(return_sequences=True), initial_state=h0).

    x: (N, T, D), h0: (N, H), params as for gru_cell_forward.
    Returns h_seq (N, T, H) and caches, the list of the T step caches.
    """
    h, hs, caches = h0, [], []
    for t in range(x.shape[1]):
        h, cache = gru_cell_forward(x[:, t], h, params, reset_after)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def gru_backward(dh_seq, caches):
    """Backpropagation through time for gru_forward.

    dh_seq: (N, T, H), the upstream gradient on every h_t.
    Returns dx (N, T, D), dh0 (N, H) and grads, summed over the T steps.
    """
    _, h0, params, _ = caches[0]
    dh = np.zeros_like(h0)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    dxs = []
    for t in reversed(range(len(caches))):
        dx_t, dh, step = gru_cell_backward(dh_seq[:, t] + dh, caches[t])
        dxs.append(dx_t)
        for name in grads:
            grads[name] += step[name]
    return np.stack(dxs[::-1], axis=1), dh, grads
