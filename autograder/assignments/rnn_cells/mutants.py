"""Bugs students really make in the rnn_cells assignment, and two other correct solutions.

Each mutant is a patch on the source notebook's solution code; ``breaks`` names the
contract function that must lose points, then the functions whose notebook code calls
it: a wrong sigmoid costs every gate function, a wrong cell the sequence over it.
"""
from autograder.mutants import Alternative, Mutant

_GATE_FUNCTIONS = ("lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward", "gru_cell_backward",
                   "lstm_forward", "lstm_backward", "gru_forward", "gru_backward")

_STABLE_SIGMOID = """    z = np.asarray(z)
    s = np.empty_like(z)
    positive = z >= 0
    s[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])  # z < 0 here, so e is in (0, 1)
    s[~positive] = e / (1 + e)
    return s
"""

MUTANTS = [
    Mutant(
        "sigmoid_naive", "sigmoid",
        old=_STABLE_SIGMOID, new="    return 1 / (1 + np.exp(-z))\n",
        why="np.exp(-z) overflows for z = -1000: right values, but a RuntimeWarning",
    ),
    Mutant(
        "sigmoid_exp_ratio", "sigmoid",
        old=_STABLE_SIGMOID, new="    return np.exp(z) / (1 + np.exp(z))\n",
        why="the other naive form: inf / inf = nan for large z",
    ),
    Mutant(
        "sigmoid_where_both_branches", "sigmoid",
        old=_STABLE_SIGMOID, new="    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))\n",
        why="np.where evaluates both branches on the whole array: right values, but warnings",
    ),
    Mutant(
        "sigmoid_naive_with_numpy_silenced", "sigmoid",
        old=_STABLE_SIGMOID, new='    return 1 / (1 + np.exp(-z))\n\n\nnp.seterr(over="ignore")  # hides the overflow\n',
        why="the naive formula, its warning switched off for the whole notebook with np.seterr",
    ),
    Mutant(
        "sigmoid_clips_in_place", "sigmoid",
        old=_STABLE_SIGMOID, new="    z[z < -80] = -80\n    return 1 / (1 + np.exp(-z))\n",
        why="avoids the overflow by clipping the caller's array in place",
    ),
    Mutant(
        "sigmoid_wrong_negative_branch", ("sigmoid", *_GATE_FUNCTIONS),
        old="s[~positive] = e / (1 + e)", new="s[~positive] = 1 / (1 + e)",
        why="the branch for z < 0 uses the formula for z >= 0; every gate is wrong",
    ),
    Mutant(
        "rnn_forward_U_transposed", "rnn_cell_forward",
        old="h_prev @ U + b", new="h_prev @ U.T + b",
        why="CS231n's layout (h_prev @ Wh.T) instead of Keras' recurrent_kernel",
    ),
    Mutant(
        "rnn_forward_cache_holds_h_next", "rnn_cell_forward",
        old="    cache = (x_t, h_prev, params)\n    return", new="    cache = (x_t, h_next, params)\n    return",
        why="the cache keeps the new state instead of the forward call's inputs",
    ),
    Mutant(
        "rnn_backward_dU_from_x", "rnn_cell_backward",
        old='"U": h_prev.T @ da', new='"U": x_t.T @ da',
        why="dU computed from x_t instead of h_prev",
    ),
    Mutant(
        "rnn_backward_in_place", "rnn_cell_backward",
        old="    da = dh_next * (1 - h_next ** 2)\n", new="    dh_next *= 1 - h_next ** 2\n    da = dh_next\n",
        why="multiplies the caller's dh_next in place",
    ),
    Mutant(
        "lstm_cell_coursera_gate_order", ("lstm_cell_forward", "lstm_forward"),
        old="    i = sigmoid(a[:, :H])\n    f = sigmoid(a[:, H:2 * H])\n",
        new="    f = sigmoid(a[:, :H])\n    i = sigmoid(a[:, H:2 * H])\n",
        why="Coursera's gate order f, i, c, o instead of Keras' i, f, g, o",
    ),
    Mutant(
        "lstm_cell_no_output_tanh", ("lstm_cell_forward", "lstm_forward"),
        old="h_next = o * np.tanh(c_next)", new="h_next = o * c_next",
        why="h = o * c, without the tanh",
    ),
    Mutant(
        "lstm_cell_backward_cs231n_gate_order", ("lstm_cell_backward", "lstm_backward"),
        old="    g = np.tanh(a[:, 2 * H:3 * H])\n    o = sigmoid(a[:, 3 * H:])\n",
        new="    o = sigmoid(a[:, 2 * H:3 * H])\n    g = np.tanh(a[:, 3 * H:])\n",
        why="CS231n's gate order i, f, o, g when reading the gates back",
    ),
    Mutant(
        "lstm_cell_backward_dc_prev_skips_h_path", ("lstm_cell_backward", "lstm_backward"),
        old="dc_prev = dc * f", new="dc_prev = dc_next * f",
        why="dc_prev forgets the gradient that reaches c_next through h_next",
    ),
    Mutant(
        "gru_cell_z_swapped", ("gru_cell_forward", "gru_forward"),
        old="h_next = z * h_prev + (1 - z) * h_tilde", new="h_next = (1 - z) * h_prev + z * h_tilde",
        why="z and 1 - z swapped (the convention of some texts, not Keras')",
    ),
    Mutant(
        "gru_cell_reset_after_like_before", ("gru_cell_forward", "gru_forward"),
        old="h_tilde = np.tanh(ax[:, 2 * H:] + r * (h_prev @ U[:, 2 * H:] + b_h[2 * H:]))",
        new="h_tilde = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ U[:, 2 * H:] + b_h[2 * H:])",
        why="reset_after=True computed like reset_after=False",
    ),
    Mutant(
        "gru_cell_backward_no_r_on_recurrent_side", ("gru_cell_backward", "gru_backward"),
        old="da_hh = np.concatenate([da_z, da_r, da_h * r], axis=1)",
        new="da_hh = np.concatenate([da_z, da_r, da_h], axis=1)",
        why="with reset_after, the candidate's recurrent gradient misses the factor r",
    ),
    Mutant(
        "gru_cell_backward_reset_before_misses_dm", ("gru_cell_backward", "gru_backward"),
        old="dh_prev = dh_prev + da_z @ U_z.T + da_r @ U_r.T + dm * r",
        new="dh_prev = dh_prev + da_z @ U_z.T + da_r @ U_r.T",
        why="with reset_after=False, dh_prev misses the path through r * h_prev",
    ),
    Mutant(
        "lstm_forward_caches_after_step", "lstm_forward",
        old="        h, c, cache = lstm_cell_forward(x[:, t, :], h, c, params)\n        h_seq[:, t, :] = h\n"
            "        caches.append(cache)\n",
        new="        h, c, _ = lstm_cell_forward(x[:, t, :], h, c, params)\n        h_seq[:, t, :] = h\n"
            "        caches.append((x[:, t, :], h, c, params))\n",
        why="each step cache holds the states after the step instead of its inputs",
    ),
    Mutant(
        "gru_forward_drops_reset_after", "gru_forward",
        old="gru_cell_forward(x[:, t, :], h, params, reset_after)", new="gru_cell_forward(x[:, t, :], h, params)",
        why="reset_after is not passed on to the cell",
    ),
    Mutant(
        "lstm_bptt_drops_next_step_gradient", "lstm_backward",
        old="lstm_cell_backward(dh_seq[:, t, :] + dh, dc, caches[t])",
        new="lstm_cell_backward(dh_seq[:, t, :], dc, caches[t])",
        why="BPTT drops the gradient on h_t that arrives from step t + 1",
    ),
    Mutant(
        "lstm_bptt_float64_grads", "lstm_backward",
        old="grads = {name: np.zeros_like(value) for name, value in params.items()}",
        new="grads = {name: np.zeros(value.shape) for name, value in params.items()}",
        why="float64 weight gradients for float32 inputs",
    ),
    Mutant(
        "gru_bptt_grads_not_summed", "gru_backward",
        old="grads[name] += step_grads[name]", new="grads[name] = step_grads[name]",
        why="the weight gradients keep only step 0's instead of the sum over time",
    ),
    Mutant(
        "gru_bptt_adds_into_dh_seq", "gru_backward",
        old="        dx_t, dh, step_grads = gru_cell_backward(dh_seq[:, t, :] + dh, caches[t])\n",
        new="        dh_seq[:, t, :] += dh\n        dx_t, dh, step_grads = gru_cell_backward(dh_seq[:, t, :], caches[t])\n",
        why="adds the gradient from the future into the caller's dh_seq in place",
    ),
]

ALTERNATIVES = [
    Alternative("split_blocks", '''
import numpy as np


def sigmoid(z):
    # 1 / (1 + exp(-z)) = exp(-log(1 + exp(-z))), and logaddexp never forms exp(-z)
    return np.exp(-np.logaddexp(0, -np.asarray(z)))


def _blocks(params, x_t, h_prev, k):
    return np.split(x_t @ params["W"] + h_prev @ params["U"] + params["b"], k, axis=1)


def _grads(x_t, h_prev, da):
    return {"W": x_t.T @ da, "U": h_prev.T @ da, "b": da.sum(axis=0)}


def rnn_cell_forward(x_t, h_prev, params):
    (a,) = _blocks(params, x_t, h_prev, 1)
    return np.tanh(a), (x_t, h_prev, params)


def rnn_cell_backward(dh_next, cache):
    x_t, h_prev, params = cache
    h_next, _ = rnn_cell_forward(*cache)
    da = dh_next * (1 - h_next * h_next)
    return da @ params["W"].T, da @ params["U"].T, _grads(x_t, h_prev, da)


def _lstm(x_t, h_prev, c_prev, params):
    a_i, a_f, a_g, a_o = _blocks(params, x_t, h_prev, 4)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    return i, f, g, o, f * c_prev + i * g


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    *_, o, c_next = _lstm(x_t, h_prev, c_prev, params)
    return o * np.tanh(c_next), c_next, (x_t, h_prev, c_prev, params)


def lstm_cell_backward(dh_next, dc_next, cache):
    x_t, h_prev, c_prev, params = cache
    i, f, g, o, c_next = _lstm(*cache)
    t = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - t * t)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh_next * t * o * (1 - o)])
    return da @ params["W"].T, da @ params["U"].T, dc * f, _grads(x_t, h_prev, da)


def _gru(x_t, h_prev, params, reset_after):
    W, U, b = params["W"], params["U"], params["b"]
    H = h_prev.shape[1]
    b_x, b_h = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    x_z, x_r, x_h = np.split(x_t @ W + b_x, 3, axis=1)
    if reset_after:
        u_z, u_r, u_h = np.split(h_prev @ U + b_h, 3, axis=1)
    else:
        (u_z, u_r), u_h = np.split(h_prev @ U[:, :2 * H], 2, axis=1), None
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    if reset_after:
        h_tilde = np.tanh(x_h + r * u_h)
    else:
        h_tilde = np.tanh(x_h + (r * h_prev) @ U[:, 2 * H:])
    return z, r, h_tilde, u_h


def gru_cell_forward(x_t, h_prev, params, reset_after=True):
    z, _, h_tilde, _ = _gru(x_t, h_prev, params, reset_after)
    return z * h_prev + (1 - z) * h_tilde, (x_t, h_prev, params, reset_after)


def gru_cell_backward(dh_next, cache):
    x_t, h_prev, params, reset_after = cache
    W, U = params["W"], params["U"]
    H = h_prev.shape[1]
    z, r, h_tilde, u_h = _gru(*cache)
    d_z = dh_next * (h_prev - h_tilde) * z * (1 - z)
    d_h = dh_next * (1 - z) * (1 - h_tilde * h_tilde)
    if reset_after:
        d_r = d_h * u_h * r * (1 - r)
        d_x, d_u = np.hstack([d_z, d_r, d_h]), np.hstack([d_z, d_r, d_h * r])
        grads = {"W": x_t.T @ d_x, "U": h_prev.T @ d_u, "b": np.stack([d_x.sum(axis=0), d_u.sum(axis=0)])}
        return d_x @ W.T, dh_next * z + d_u @ U.T, grads
    d_rh = d_h @ U[:, 2 * H:].T  # on r * h_prev
    d_r = d_rh * h_prev * r * (1 - r)
    d_x = np.hstack([d_z, d_r, d_h])
    dU = np.hstack([h_prev.T @ d_z, h_prev.T @ d_r, (r * h_prev).T @ d_h])
    dh_prev = dh_next * z + np.hstack([d_z, d_r]) @ U[:, :2 * H].T + d_rh * r
    return d_x @ W.T, dh_prev, {"W": x_t.T @ d_x, "U": dU, "b": d_x.sum(axis=0)}


def lstm_forward(x, h0, c0, params):
    h, c, hs, caches = h0, c0, [], []
    for x_t in np.moveaxis(x, 1, 0):
        h, c, cache = lstm_cell_forward(x_t, h, c, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), c, caches


def lstm_backward(dh_seq, caches):
    params = caches[0][3]
    dh, dc = np.zeros_like(caches[0][1]), np.zeros_like(caches[0][2])
    dxs, steps = [], []
    for t in range(len(caches) - 1, -1, -1):
        dx_t, dh, dc, step = lstm_cell_backward(dh_seq[:, t] + dh, dc, caches[t])
        dxs.insert(0, dx_t)
        steps.append(step)
    grads = {name: sum(step[name] for step in steps) for name in params}
    return np.stack(dxs, axis=1), dh, dc, grads


def gru_forward(x, h0, params, reset_after=True):
    h, hs, caches = h0, [], []
    for x_t in np.moveaxis(x, 1, 0):
        h, cache = gru_cell_forward(x_t, h, params, reset_after)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def gru_backward(dh_seq, caches):
    params = caches[0][2]
    dh = np.zeros_like(caches[0][1])
    dxs, steps = [], []
    for t in range(len(caches) - 1, -1, -1):
        dx_t, dh, step = gru_cell_backward(dh_seq[:, t] + dh, caches[t])
        dxs.insert(0, dx_t)
        steps.append(step)
    grads = {name: sum(step[name] for step in steps) for name in params}
    return np.stack(dxs, axis=1), dh, grads
'''),
    Alternative("gate_by_gate", '''
import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: no overflow on either side
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _gate(params, k, x_t, h_prev):
    """The pre-activation of gate block k."""
    H = h_prev.shape[1]
    cols = slice(k * H, (k + 1) * H)
    return x_t @ params["W"][:, cols] + h_prev @ params["U"][:, cols] + params["b"][cols]


def rnn_cell_forward(x_t, h_prev, params):
    return np.tanh(_gate(params, 0, x_t, h_prev)), (x_t, h_prev, params)


def rnn_cell_backward(dh_next, cache):
    x_t, h_prev, params = cache
    da = dh_next * (1 - np.tanh(_gate(params, 0, x_t, h_prev)) ** 2)
    grads = {"W": np.einsum("nd,nh->dh", x_t, da), "U": np.einsum("nk,nh->kh", h_prev, da),
             "b": np.einsum("nh->h", da)}
    return da @ params["W"].T, da @ params["U"].T, grads


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    i = sigmoid(_gate(params, 0, x_t, h_prev))
    f = sigmoid(_gate(params, 1, x_t, h_prev))
    g = np.tanh(_gate(params, 2, x_t, h_prev))
    o = sigmoid(_gate(params, 3, x_t, h_prev))
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, (x_t, h_prev, c_prev, params)


def lstm_cell_backward(dh_next, dc_next, cache):
    x_t, h_prev, c_prev, params = cache
    H = h_prev.shape[1]
    i = sigmoid(_gate(params, 0, x_t, h_prev))
    f = sigmoid(_gate(params, 1, x_t, h_prev))
    g = np.tanh(_gate(params, 2, x_t, h_prev))
    o = sigmoid(_gate(params, 3, x_t, h_prev))
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
    gate_grads = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                  dh_next * tanh_c * o * (1 - o)]
    dx_t = np.zeros_like(x_t)
    dh_prev = np.zeros_like(h_prev)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for k, da in enumerate(gate_grads):
        cols = slice(k * H, (k + 1) * H)
        dx_t += da @ params["W"][:, cols].T
        dh_prev += da @ params["U"][:, cols].T
        grads["W"][:, cols] = x_t.T @ da
        grads["U"][:, cols] = h_prev.T @ da
        grads["b"][cols] = da.sum(axis=0)
    return dx_t, dh_prev, dc * f, grads


def _gru_parts(x_t, h_prev, params, reset_after):
    """Input and recurrent parts of the pre-activations of z, r and the candidate."""
    H = h_prev.shape[1]
    W, U, b = params["W"], params["U"], params["b"]
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    x_part = [x_t @ W[:, k * H:(k + 1) * H] + b_in[k * H:(k + 1) * H] for k in range(3)]
    h_part = [h_prev @ U[:, k * H:(k + 1) * H] + b_rec[k * H:(k + 1) * H] for k in range(3)]
    return x_part, h_part


def gru_cell_forward(x_t, h_prev, params, reset_after=True):
    H = h_prev.shape[1]
    (x_z, x_r, x_h), (h_z, h_r, h_h) = _gru_parts(x_t, h_prev, params, reset_after)
    z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
    if reset_after:
        candidate = np.tanh(x_h + r * h_h)
    else:
        candidate = np.tanh(x_h + (r * h_prev) @ params["U"][:, 2 * H:])
    return z * h_prev + (1 - z) * candidate, (x_t, h_prev, params, reset_after)


def gru_cell_backward(dh_next, cache):
    x_t, h_prev, params, reset_after = cache
    H = h_prev.shape[1]
    W, U = params["W"], params["U"]
    (x_z, x_r, x_h), (h_z, h_r, h_h) = _gru_parts(x_t, h_prev, params, reset_after)
    z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
    U_h = U[:, 2 * H:]
    candidate = np.tanh(x_h + r * h_h) if reset_after else np.tanh(x_h + (r * h_prev) @ U_h)
    d_cand = dh_next * (1 - z) * (1 - candidate ** 2)
    d_z = dh_next * (h_prev - candidate) * z * (1 - z)
    if reset_after:
        d_r = d_cand * h_h * r * (1 - r)
        rec = [d_z, d_r, d_cand * r]
    else:
        d_r = (d_cand @ U_h.T) * h_prev * r * (1 - r)
        rec = [d_z, d_r, None]
    inp = [d_z, d_r, d_cand]
    dW = np.concatenate([x_t.T @ d for d in inp], axis=1)
    dx_t = sum(d @ W[:, k * H:(k + 1) * H].T for k, d in enumerate(inp))
    dh_prev = dh_next * z + rec[0] @ U[:, :H].T + rec[1] @ U[:, H:2 * H].T
    if reset_after:
        dh_prev = dh_prev + rec[2] @ U_h.T
        dU = np.concatenate([h_prev.T @ d for d in rec], axis=1)
        db = np.stack([np.concatenate([d.sum(axis=0) for d in inp]), np.concatenate([d.sum(axis=0) for d in rec])])
    else:
        dh_prev = dh_prev + (d_cand @ U_h.T) * r
        dU = np.concatenate([h_prev.T @ d_z, h_prev.T @ d_r, (r * h_prev).T @ d_cand], axis=1)
        db = np.concatenate([d.sum(axis=0) for d in inp])
    return dx_t, dh_prev, {"W": dW, "U": dU, "b": db}


def lstm_forward(x, h0, c0, params):
    N, T, _ = x.shape
    h_seq = np.empty((N, T, h0.shape[1]), dtype=x.dtype)
    h, c, caches = h0, c0, []
    for t in range(T):
        caches.append((x[:, t], h, c, params))
        h, c, _ = lstm_cell_forward(x[:, t], h, c, params)
        h_seq[:, t] = h
    return h_seq, c, caches


def lstm_backward(dh_seq, caches):
    x_0, h0, c0, params = caches[0]
    N, T, _ = dh_seq.shape
    dx = np.empty((N, T, x_0.shape[1]), dtype=dh_seq.dtype)
    dh, dc = 0 * h0, 0 * c0
    grads = {name: 0 * value for name, value in params.items()}
    for t in range(T - 1, -1, -1):
        dx[:, t], dh, dc, step = lstm_cell_backward(dh_seq[:, t] + dh, dc, caches[t])
        grads = {name: grads[name] + step[name] for name in grads}
    return dx, dh, dc, grads


def gru_forward(x, h0, params, reset_after=True):
    N, T, _ = x.shape
    h_seq = np.empty((N, T, h0.shape[1]), dtype=x.dtype)
    h, caches = h0, []
    for t in range(T):
        caches.append((x[:, t], h, params, reset_after))
        h, _ = gru_cell_forward(x[:, t], h, params, reset_after)
        h_seq[:, t] = h
    return h_seq, caches


def gru_backward(dh_seq, caches):
    x_0, h0, params, _ = caches[0]
    N, T, _ = dh_seq.shape
    dx = np.empty((N, T, x_0.shape[1]), dtype=dh_seq.dtype)
    dh = 0 * h0
    grads = {name: 0 * value for name, value in params.items()}
    for t in range(T - 1, -1, -1):
        dx[:, t], dh, step = gru_cell_backward(dh_seq[:, t] + dh, caches[t])
        grads = {name: grads[name] + step[name] for name in grads}
    return dx, dh, grads
'''),
]
