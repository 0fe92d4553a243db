"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: with reset_after=False, dh_prev without the path through r * h_prev."""
import numpy as np


def gru_cell_backward(dh_next, cache):
    x_t, h_prev, params, reset_after = cache
    W, U, b = params["W"], params["U"], params["b"]
    n = h_prev.shape[1]
    Wz, Wr, Wh = np.split(W, 3, axis=1)
    Uz, Ur, Uh = np.split(U, 3, axis=1)
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    bz, br, bh = np.split(b_in, 3)
    cz, cr, ch = np.split(b_rec, 3)
    z = sigmoid(x_t @ Wz + bz + h_prev @ Uz + cz)
    r = sigmoid(x_t @ Wr + br + h_prev @ Ur + cr)
    if reset_after:
        rec = h_prev @ Uh + ch
        cand = np.tanh(x_t @ Wh + bh + r * rec)
    else:
        rec = r * h_prev
        cand = np.tanh(x_t @ Wh + bh + rec @ Uh)
    g_z = dh_next * (h_prev - cand) * z * (1 - z)
    g_h = dh_next * (1 - z) * (1 - cand ** 2)
    dh_prev = dh_next * z + g_z @ Uz.T
    if reset_after:
        g_r = g_h * rec * r * (1 - r)
        dh_prev = dh_prev + g_r @ Ur.T + (g_h * r) @ Uh.T
        dU = np.hstack([h_prev.T @ g_z, h_prev.T @ g_r, h_prev.T @ (g_h * r)])
        g_x = np.hstack([g_z, g_r, g_h])
        db = np.stack([g_x.sum(axis=0), np.hstack([g_z, g_r, g_h * r]).sum(axis=0)])
    else:
        d_rec = g_h @ Uh.T
        g_r = d_rec * h_prev * r * (1 - r)
        dh_prev = dh_prev + g_r @ Ur.T
        dU = np.hstack([h_prev.T @ g_z, h_prev.T @ g_r, rec.T @ g_h])
        g_x = np.hstack([g_z, g_r, g_h])
        db = g_x.sum(axis=0)
    return g_x @ W.T, dh_prev, {"W": x_t.T @ g_x, "U": dU, "b": db}
