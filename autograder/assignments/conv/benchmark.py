"""Benchmark rows of conv: the reference solution (numpy) against TensorFlow's CPU ops,
same shapes, float32.

TensorFlow runs inside ``tf.function`` with its inputs already tensors, which is how it
is fastest. The backward row times TensorFlow's own gradient ops (``Conv2DBackpropInput``
and ``Conv2DBackpropFilter``), fed what its forward pass left; the reference recomputes
what it needs from the cache (the contract's cache is the forward's inputs).

Before timing, both sides are run once and their answers compared: a row only stands
when the two compute the same thing. ``benchmarks/run.py`` finds this module by looking.
"""
import numpy as np

from benchmarks.timing import compared_row, normal

TARGET = ("<=", 2.0)
FULL = ((32, 32, 32, 16), (3, 3, 16, 32), 1)  # x, w, pad
QUICK = ((2, 8, 8, 3), (3, 3, 3, 4), 1)


def conv_rows(quick: bool, repeats: int) -> list:
    import tensorflow as tf

    from solutions import conv

    x_shape, w_shape, pad = QUICK if quick else FULL
    rng = np.random.default_rng(0)
    x, w = normal(rng, x_shape), normal(rng, w_shape)
    b = normal(rng, w_shape[-1:])
    dout = normal(rng, conv.conv_forward(x, w, b, 1, pad)[0].shape)
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
        compared_row("conv", "conv forward", "conv.conv_forward", "tf.nn.conv2d", TARGET, repeats,
                     lambda: conv.conv_forward(x, w, b, 1, pad)[0], lambda: tf_forward(tx, tw, tb).numpy()),
        compared_row("conv", "conv backward", "conv.conv_backward", "Conv2DBackprop*", TARGET, repeats,
                     lambda: conv.conv_backward(dout, (x, w, b, 1, pad)),
                     lambda: [t.numpy() for t in tf_backward(tx, tw, tdout)]),
    ]


def sizes(quick: bool) -> str:
    x, w, pad = QUICK if quick else FULL
    return f"conv x {x}, w {w}, pad {pad}, float32"


GROUPS = {"conv": conv_rows}
