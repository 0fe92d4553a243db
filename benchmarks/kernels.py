"""Kernel rows: the reference solutions (numpy) against TensorFlow's CPU ops, same shapes, float32.

TensorFlow runs inside ``tf.function`` with its inputs already tensors, which is how it
is fastest. Backward rows time TensorFlow's own gradient ops (``Conv2DBackpropInput``
and ``...Filter``, ``MaxPoolGrad``, ``AvgPoolGrad``), fed what its forward pass left;
the references recompute what they need from the cache (the contract's cache is the
forward's inputs). A Keras RNN layer has no backward of its own, so the RNN rows time
forward and backward together, the layer under a ``GradientTape``.

Before timing, both sides are run once and their answers compared: a row only stands
when the two compute the same thing.
"""
import numpy as np

from benchmarks.timing import Row, median_in_blocks

TARGET = ("<=", 2.0)
FULL = {"conv": ((32, 32, 32, 16), (3, 3, 16, 32), 1), "pool": ((32, 32, 32, 16), 2, 2), "rnn": ((32, 50, 64), 128)}
QUICK = {"conv": ((2, 8, 8, 3), (3, 3, 3, 4), 1), "pool": ((2, 8, 8, 3), 2, 2), "rnn": ((2, 5, 8), 16)}


def conv_rows(quick: bool, repeats: int) -> list:
    import tensorflow as tf

    from solutions import conv

    x_shape, w_shape, pad = (QUICK if quick else FULL)["conv"]
    rng = np.random.default_rng(0)
    x, w = _normal(rng, x_shape), _normal(rng, w_shape)
    b = _normal(rng, w_shape[-1:])
    dout = _normal(rng, conv.conv_forward(x, w, b, 1, pad)[0].shape)
    paddings = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
    flat = [p for pair in paddings for p in pair]
    tx, tw, tb, tdout = map(tf.constant, (x, w, b, dout))

    @tf.function(autograph=False)  # plain ops: nothing for AutoGraph to convert
    def tf_forward(x, w, b):
        return tf.nn.conv2d(x, w, strides=1, padding=paddings) + b

    @tf.function(autograph=False)
    def tf_backward(x, w, dout):
        dx = tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=w, out_backprop=dout, strides=[1] * 4,
                                            padding="EXPLICIT", explicit_paddings=flat)
        dw = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(w), out_backprop=dout, strides=[1] * 4,
                                             padding="EXPLICIT", explicit_paddings=flat)
        return dx, dw, tf.reduce_sum(dout, axis=[0, 1, 2])

    return [
        _row("conv", "conv forward", "conv.conv_forward", "tf.nn.conv2d", repeats,
             lambda: conv.conv_forward(x, w, b, 1, pad)[0], lambda: tf_forward(tx, tw, tb).numpy()),
        _row("conv", "conv backward", "conv.conv_backward", "Conv2DBackprop*", repeats,
             lambda: conv.conv_backward(dout, (x, w, b, 1, pad)),
             lambda: [t.numpy() for t in tf_backward(tx, tw, tdout)]),
    ]


def pool_rows(quick: bool, repeats: int) -> list:
    import tensorflow as tf

    from solutions import pooling

    x_shape, f, s = (QUICK if quick else FULL)["pool"]
    x = _normal(np.random.default_rng(1), x_shape)
    window = dict(ksize=[1, f, f, 1], strides=[1, s, s, 1], padding="VALID")
    tx = tf.constant(x)
    rows = []
    for mode, op in (("max", "max"), ("average", "avg")):
        out, cache = pooling.pool_forward(x, f, s, mode)
        dout = _normal(np.random.default_rng(2), out.shape)
        tout, tdout = tf.constant(out), tf.constant(dout)
        tf_forward = tf.function(getattr(tf.nn, f"{op}_pool2d"), autograph=False)
        if mode == "max":
            gradient_op = "MaxPoolGrad"
            tf_backward = tf.function(lambda x, out, dout: tf.raw_ops.MaxPoolGrad(
                orig_input=x, orig_output=out, grad=dout, **window), autograph=False)
        else:
            gradient_op = "AvgPoolGrad"
            tf_backward = tf.function(lambda x, out, dout: tf.raw_ops.AvgPoolGrad(
                orig_input_shape=tf.shape(x), grad=dout, **window), autograph=False)
        rows += [
            _row("pool", f"{mode} pool forward", "pooling.pool_forward", f"tf.nn.{op}_pool2d", repeats,
                 lambda mode=mode: pooling.pool_forward(x, f, s, mode)[0],
                 lambda forward=tf_forward: forward(tx, f, s, "VALID").numpy()),
            _row("pool", f"{mode} pool backward", "pooling.pool_backward", gradient_op, repeats,
                 lambda cache=cache, dout=dout: pooling.pool_backward(dout, cache),
                 lambda backward=tf_backward, tout=tout, tdout=tdout: backward(tx, tout, tdout).numpy()),
        ]
    return rows


def rnn_rows(cell: str, quick: bool, repeats: int) -> list:
    """``cell`` is "lstm" or "gru": the reference over a sequence against the Keras layer."""
    import tensorflow as tf

    from solutions import rnn_cells

    (N, T, D), H = (QUICK if quick else FULL)["rnn"]
    rng = np.random.default_rng(3)
    x, h0, c0 = _normal(rng, (N, T, D)), _normal(rng, (N, H)), _normal(rng, (N, H))
    dh = _normal(rng, (N, T, H))
    gates = 4 if cell == "lstm" else 3
    params = {"W": _normal(rng, (D, gates * H), D**-0.5), "U": _normal(rng, (H, gates * H), H**-0.5),
              "b": _normal(rng, (gates * H,) if cell == "lstm" else (2, gates * H))}
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
        _row(cell, f"{cell} forward", f"rnn_cells.{cell}_forward", keras, repeats,
             lambda: ref_forward()[0], lambda: tf_forward(tx, state).numpy()),
        _row(cell, f"{cell} forward+backward", f"{cell}_forward+_backward", f"{keras} + GradientTape", repeats,
             ref_both, lambda: [t.numpy() for t in tf_both(tx, state, tdh)]),
    ]


def sizes(quick: bool) -> str:
    """The shapes the kernel rows use, in words."""
    chosen = QUICK if quick else FULL
    (x_conv, w_conv, pad), (x_pool, f, s), (x_rnn, units) = chosen["conv"], chosen["pool"], chosen["rnn"]
    return (f"conv x {x_conv}, w {w_conv}, pad {pad}; pooling x {x_pool}, pool_size {f}, stride {s}; "
            f"lstm/gru x {x_rnn}, {units} units; float32")


def _row(group, name, ours, theirs, repeats, reference, tensorflow) -> Row:
    """Compare the two answers (which runs both once: tracing, caches), then time both."""
    mismatch = _differs(reference(), tensorflow())
    ours_s, theirs_s = median_in_blocks(reference, tensorflow, repeats)
    note = f"{name}: THE ANSWERS DIFFER, {mismatch}" if mismatch else ""
    return Row(group, name, ours, theirs, TARGET, ours_s=ours_s, theirs_s=theirs_s, note=note)


def _differs(ours, theirs) -> str:
    """Why the two answers differ (float64 work against float32 is not the same work), or ""
    when they agree to float32 precision."""
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    if len(ours) != len(theirs):
        return f"{len(ours)} outputs against {len(theirs)}"
    for k, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return f"output {k}: {a.dtype} {a.shape} against {b.dtype} {b.shape}"
        if not np.allclose(a, b, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(b).max(initial=0)))):
            return f"output {k}: max difference {np.abs(a - b).max():.3g}"
    return ""


def _normal(rng, shape, scale=1.0) -> np.ndarray:
    """Float32 normal noise; scaled before the cast, so that nothing promotes it to float64."""
    return (scale * rng.standard_normal(shape)).astype(np.float32)
