"""Random recurrent-cell cases, each aimed at a corner where students go wrong.

Weights come in the Keras layouts (``W (D, kH)``, ``U (H, kH)``, ``b``), gate blocks
side by side: k = 1 for the RNN, 4 for the LSTM (i, f, g, o), 3 for the GRU (z, r, h).
Backward cases carry caches built here with the reference, exactly the forward
call's inputs, so a wrong forward costs nothing in the backward tests.

Which corners a grading exercises, and the sizes of each, are fixed; only the values are
drawn, from the run's seed. Every corner but "all sizes 1" (the one with a single step,
unit and example) and "largest sizes, float32" varies one thing from a plain baseline
(N = 3, T = 4, D = H = 4, float64). By construction, the first example's
first step has sigmoid gates on both sides of zero (the bias is drawn so), so that a
sigmoid wrong on one side shows in every case. So the score of a submission does not
depend on the seed.
"""
import numpy as np

from solutions import rnn_cells as reference

GATES = {"rnn": 1, "lstm": 4, "gru": 3}

BASELINE = {"N": 3, "T": 4, "D": 4, "H": 4, "dtype": np.float64}

CORNERS = {  # name: what differs from BASELINE
    "all sizes 1": {"N": 1, "T": 1, "D": 1, "H": 1},
    "largest sizes, float32": {"N": 4, "T": 6, "D": 6, "H": 6, "dtype": np.float32},
    "D != H": {"D": 3, "H": 5},
    "batch of 1": {"N": 1},
    "float32": {"dtype": np.float32},
    "float64": {},  # the baseline itself
}
SIGMOID_BLOCKS = {"rnn": (), "lstm": (0, 1, 3), "gru": (0, 1)}  # the gates a sigmoid squashes


def sizes(corner: str) -> dict:
    """``{N, T, D, H, dtype}`` for the named corner: the baseline with its differences."""
    return {**BASELINE, **CORNERS[corner]}


def gates_on_both_sides(kind: str, x_t, h_prev, p: dict, reset_after=True) -> dict:
    """``p`` with the bias of its sigmoid gates set so that the first example's gates on
    ``x_t`` and ``h_prev`` (the first step) alternate in sign, unit by unit and gate by
    gate, by a random margin (0.2 and the drawn bias' size): both branches of a sigmoid
    are taken in every case."""
    H = h_prev.shape[1]
    b = p["b"].astype(np.float64)
    bias = b[0] if b.ndim == 2 else b  # reset_after: the input bias (the recurrent one stays as drawn)
    rest = x_t[0].astype(np.float64) @ p["W"] + h_prev[0].astype(np.float64) @ p["U"] + (b[1] if b.ndim == 2 else 0)
    for k in SIGMOID_BLOCKS[kind]:
        for j in range(H):
            column = k * H + j
            margin = (0.2 + abs(bias[column])) * (-1) ** (k + j)
            bias[column] = margin - rest[column]
    return {**p, "b": b.astype(p["b"].dtype)}


def params(rng, kind: str, D: int, H: int, dtype, reset_after=True) -> dict:
    """Random weights of an "rnn", "lstm" or "gru" cell, in the Keras layout."""
    k = GATES[kind]
    b_shape = (2, 3 * H) if kind == "gru" and reset_after else (k * H,)
    return {"W": rng.normal(0, 0.6, (D, k * H)).astype(dtype),
            "U": rng.normal(0, 0.6, (H, k * H)).astype(dtype),
            "b": rng.normal(0, 0.3, b_shape).astype(dtype)}


def _normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------------- cells


def rnn_cell_case(rng, s: dict) -> dict:
    """Inputs of ``rnn_cell_forward``: ``{x_t, h_prev, params}``."""
    return {"x_t": _normal(rng, (s["N"], s["D"]), s["dtype"]), "h_prev": _normal(rng, (s["N"], s["H"]), s["dtype"]),
            "params": params(rng, "rnn", s["D"], s["H"], s["dtype"])}


def lstm_cell_case(rng, s: dict) -> dict:
    """Inputs of ``lstm_cell_forward``: ``{x_t, h_prev, c_prev, params}``."""
    x_t, h_prev = _normal(rng, (s["N"], s["D"]), s["dtype"]), _normal(rng, (s["N"], s["H"]), s["dtype"])
    return {"x_t": x_t, "h_prev": h_prev, "c_prev": _normal(rng, (s["N"], s["H"]), s["dtype"]),
            "params": gates_on_both_sides("lstm", x_t, h_prev, params(rng, "lstm", s["D"], s["H"], s["dtype"]))}


def gru_cell_case(rng, s: dict, reset_after: bool) -> dict:
    """Inputs of ``gru_cell_forward``: ``{x_t, h_prev, params, reset_after}``."""
    x_t, h_prev = _normal(rng, (s["N"], s["D"]), s["dtype"]), _normal(rng, (s["N"], s["H"]), s["dtype"])
    p = params(rng, "gru", s["D"], s["H"], s["dtype"], reset_after)
    return {"x_t": x_t, "h_prev": h_prev, "params": gates_on_both_sides("gru", x_t, h_prev, p, reset_after),
            "reset_after": reset_after}


CELL_CASES = {"rnn": rnn_cell_case, "lstm": lstm_cell_case}


def cell_backward_case(rng, kind: str, forward: dict) -> dict:
    """Inputs of ``<kind>_cell_backward`` for the forward inputs ``forward``: the
    upstream gradients and ``cache``, the tuple of ``forward``'s values."""
    h_prev = forward["h_prev"]
    gradients = {"dh_next": _normal(rng, h_prev.shape, h_prev.dtype)}
    if kind == "lstm":
        gradients["dc_next"] = _normal(rng, h_prev.shape, h_prev.dtype)
    return {**gradients, "cache": tuple(forward.values())}


# ----------------------------------------------------------------------------- sequences


def lstm_sequence_case(rng, s: dict) -> dict:
    """Inputs of ``lstm_forward``: ``{x, h0, c0, params}``."""
    x, h0 = _normal(rng, (s["N"], s["T"], s["D"]), s["dtype"]), _normal(rng, (s["N"], s["H"]), s["dtype"])
    return {"x": x, "h0": h0, "c0": _normal(rng, (s["N"], s["H"]), s["dtype"]),
            "params": gates_on_both_sides("lstm", x[:, 0], h0, params(rng, "lstm", s["D"], s["H"], s["dtype"]))}


def gru_sequence_case(rng, s: dict, reset_after: bool) -> dict:
    """Inputs of ``gru_forward``: ``{x, h0, params, reset_after}``."""
    x, h0 = _normal(rng, (s["N"], s["T"], s["D"]), s["dtype"]), _normal(rng, (s["N"], s["H"]), s["dtype"])
    p = params(rng, "gru", s["D"], s["H"], s["dtype"], reset_after)
    return {"x": x, "h0": h0, "params": gates_on_both_sides("gru", x[:, 0], h0, p, reset_after),
            "reset_after": reset_after}


def sequence_backward_case(rng, kind: str, forward: dict) -> dict:
    """Inputs of ``<kind>_backward``: ``dh_seq`` on every h_t and the step caches of
    the reference forward pass on ``forward``."""
    x, h0 = forward["x"], forward["h0"]
    caches = reference.lstm_forward(**forward)[2] if kind == "lstm" else reference.gru_forward(**forward)[1]
    return {"dh_seq": _normal(rng, x.shape[:2] + h0.shape[1:], x.dtype), "caches": caches}


# ----------------------------------------------------------------------------- time budgets

# Few steps, because every step cache crosses to the sandbox and back (the loop solution
# takes tens of milliseconds, most of it on the way); matrix products small enough
# (N * D * 4H <= 2**18) that OpenBLAS computes the judge's reference in one thread.
BUDGET_SIZES = {"N": 64, "T": 8, "D": 32, "H": 32, "dtype": np.float64}


def budget_inputs(function: str, rng) -> dict:
    """The inputs ``function`` is timed on."""
    kind = function.split("_")[0]
    forward = (lstm_sequence_case(rng, BUDGET_SIZES) if kind == "lstm"
               else gru_sequence_case(rng, BUDGET_SIZES, reset_after=True))
    return sequence_backward_case(rng, kind, forward) if function.endswith("backward") else forward


# ----------------------------------------------------------------------------- dispatch


def case(function: str, rng, corner: str, reset_after: bool = True) -> dict:
    """The inputs of a call of ``function`` on a case of the named corner."""
    s = sizes(corner)
    kind, backward = function.split("_")[0], function.endswith("backward")
    if "_cell_" in function:
        forward = gru_cell_case(rng, s, reset_after) if kind == "gru" else CELL_CASES[kind](rng, s)
        return cell_backward_case(rng, kind, forward) if backward else forward
    forward = gru_sequence_case(rng, s, reset_after) if kind == "gru" else lstm_sequence_case(rng, s)
    return sequence_backward_case(rng, kind, forward) if backward else forward


def sigmoid_case(rng, dtype, ndim: int) -> dict:
    """``{z}``: an array of ``ndim`` axes, values of size up to about 30, and
    -1000, -800, -100, 100, 800, 1000 at random places."""
    shape = {1: (int(rng.integers(6, 13)),), 2: (int(rng.integers(2, 5)), int(rng.integers(3, 7))),
             3: tuple(int(n) for n in rng.integers(2, 5, size=3))}[ndim]
    z = rng.normal(0, 10, shape)
    extremes = np.array([-1000, -800, -100, 100, 800, 1000])
    z.flat[rng.choice(z.size, extremes.size, replace=False)] = extremes
    return {"z": z.astype(dtype)}
