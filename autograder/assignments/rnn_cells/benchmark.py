"""Benchmark rows of rnn_cells: the reference LSTM and GRU (numpy) over a sequence
against the Keras layers on TensorFlow's CPU ops, same weights, float32.

A Keras RNN layer has no backward of its own, so the second row of each cell times
forward and backward together, the layer under a ``GradientTape``.

Before timing, both sides are run once and their answers compared: a row only stands
when the two compute the same thing. ``benchmarks/run.py`` finds this module by looking.
"""
import numpy as np

from benchmarks.timing import compared_row, normal

TARGET = ("<=", 2.0)
FULL = ((32, 50, 64), 128)  # x (N, T, D), hidden units
QUICK = ((2, 5, 8), 16)


def rnn_rows(cell: str, quick: bool, repeats: int) -> list:
    """``cell`` is "lstm" or "gru": the reference over a sequence against the Keras layer."""
    import tensorflow as tf

    from solutions import rnn_cells

    (N, T, D), H = QUICK if quick else FULL
    rng = np.random.default_rng(3)
    x, h0, c0 = normal(rng, (N, T, D)), normal(rng, (N, H)), normal(rng, (N, H))
    dh = normal(rng, (N, T, H))
    gates = 4 if cell == "lstm" else 3
    params = {"W": normal(rng, (D, gates * H), D**-0.5), "U": normal(rng, (H, gates * H), H**-0.5),
              "b": normal(rng, (gates * H,) if cell == "lstm" else (2, gates * H))}
    if cell == "lstm":
        layer = tf.keras.layers.LSTM(H, return_sequences=True)
        state = [tf.constant(h0), tf.constant(c0)]

        def ref_forward():
            return rnn_cells.lstm_forward(x, h0, c0, params)

        def ref_both():
            h_seq, _, caches = ref_forward()
            dx, dh0, dc0, grads = rnn_cells.lstm_backward(dh, caches)
            return h_seq, dx, dh0, dc0, grads["W"], grads["U"], grads["b"]
    else:
        layer = tf.keras.layers.GRU(H, return_sequences=True, reset_after=True)
        state = [tf.constant(h0)]

        def ref_forward():
            return rnn_cells.gru_forward(x, h0, params)

        def ref_both():
            h_seq, caches = ref_forward()
            dx, dh0, grads = rnn_cells.gru_backward(dh, caches)
            return h_seq, dx, dh0, grads["W"], grads["U"], grads["b"]
    tx, tdh = tf.constant(x), tf.constant(dh)
    layer(tx, initial_state=state)  # builds the weights
    layer.set_weights([params["W"], params["U"], params["b"]])

    @tf.function(autograph=False)
    def tf_forward(x, state):
        return layer(x, initial_state=state)

    @tf.function(autograph=False)
    def tf_both(x, state, dh):
        with tf.GradientTape() as tape:
            tape.watch([x, *state])
            h_seq = layer(x, initial_state=state)
        return [h_seq] + tape.gradient(h_seq, [x, *state, *layer.trainable_weights], output_gradients=dh)

    keras = f"tf.keras {cell.upper()}"
    return [
        compared_row(cell, f"{cell} forward", f"rnn_cells.{cell}_forward", keras, TARGET, repeats,
                     lambda: ref_forward()[0], lambda: tf_forward(tx, state).numpy()),
        compared_row(cell, f"{cell} forward+backward", f"{cell}_forward+_backward", f"{keras} + GradientTape",
                     TARGET, repeats, ref_both, lambda: [t.numpy() for t in tf_both(tx, state, tdh)]),
    ]


def sizes(quick: bool) -> str:
    x, units = QUICK if quick else FULL
    return f"lstm/gru x {x}, {units} units, float32"


GROUPS = {
    "lstm": lambda quick, repeats: rnn_rows("lstm", quick, repeats),
    "gru": lambda quick, repeats: rnn_rows("gru", quick, repeats),
}
