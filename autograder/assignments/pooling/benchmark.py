"""Benchmark rows of pooling: the reference solution (numpy) against TensorFlow's CPU
ops, same shapes, float32, max and average pooling.

TensorFlow runs inside ``tf.function`` with its inputs already tensors. Backward rows
time TensorFlow's own gradient ops (``MaxPoolGrad``, ``AvgPoolGrad``), fed what its
forward pass left; the reference recomputes what it needs from its cache.

Before timing, both sides are run once and their answers compared: a row only stands
when the two compute the same thing. ``benchmarks/run.py`` finds this module by looking.
"""
import numpy as np

from benchmarks.timing import compared_row, normal

TARGET = ("<=", 2.0)
FULL = ((32, 32, 32, 16), 2, 2)  # x, pool_size, stride
QUICK = ((2, 8, 8, 3), 2, 2)


def pool_rows(quick: bool, repeats: int) -> list:
    import tensorflow as tf

    from solutions import pooling

    x_shape, f, s = QUICK if quick else FULL
    x = normal(np.random.default_rng(1), x_shape)
    window = dict(ksize=[1, f, f, 1], strides=[1, s, s, 1], padding="VALID")
    tx = tf.constant(x)
    rows = []
    for mode, op in (("max", "max"), ("average", "avg")):
        out, cache = pooling.pool_forward(x, f, s, mode)
        dout = normal(np.random.default_rng(2), out.shape)
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
            compared_row("pool", f"{mode} pool forward", "pooling.pool_forward", f"tf.nn.{op}_pool2d", TARGET,
                         repeats, lambda mode=mode: pooling.pool_forward(x, f, s, mode)[0],
                         lambda forward=tf_forward: forward(tx, f, s, "VALID").numpy()),
            compared_row("pool", f"{mode} pool backward", "pooling.pool_backward", gradient_op, TARGET, repeats,
                         lambda cache=cache, dout=dout: pooling.pool_backward(dout, cache),
                         lambda backward=tf_backward, tout=tout, tdout=tdout: backward(tx, tout, tdout).numpy()),
        ]
    return rows


def sizes(quick: bool) -> str:
    x, f, s = QUICK if quick else FULL
    return f"pooling x {x}, pool_size {f}, stride {s}, float32"


GROUPS = {"pool": pool_rows}
