"""Benchmark rows of tf2_migration: the migrated ``train_step`` (a ``tf.function``)
against the TF1 session step it replaces: the script's program as it was written, shapes
fixed (the judge's ``tf1_reference.py`` leaves them open, to build its graphs once).

Both start from the same weights and take Adam steps on the same numpy batch: the TF1
program feeds it through ``feed_dict`` and ``sess.run([train_op, cost])``, the TF2 one
passes it to ``train_step`` and reads the loss back, as the notebook's ``fit`` does;
their losses are compared. A row shows one step: the median over blocks of several steps.

Each row's note gives the fixed cost of one call on each side, measured on a function
that does no work: a ``tf.function`` taking the same arguments as ``train_step``, and a
``sess.run`` of a constant. On a network as small as the digits' it is most of a step.
``benchmarks/run.py`` finds this module by looking.
"""
import numpy as np

from benchmarks.timing import Row, format_seconds, median_in_blocks

TARGET = ("<=", 1.0)
# (name, image shape, classes, batch, steps per timed repetition): the notebook's digits,
# and images the size of Coursera's SIGNS; the row shows the time of one step
FULL = [("digits", (8, 8, 1), 10, 32, 20), ("signs", (64, 64, 3), 6, 64, 5)]
QUICK = [("digits", (8, 8, 1), 10, 8, 5), ("signs", (16, 16, 3), 6, 8, 5)]


def train_step_rows(quick: bool, repeats: int) -> list:
    return [_row(*case, repeats) for case in (QUICK if quick else FULL)]


def sizes(quick: bool) -> str:
    return "; ".join(f"train_step {name}: batch {batch} of {shape}, {classes} classes, Adam"
                     for name, shape, classes, batch, _ in (QUICK if quick else FULL))


class _TF1Program:
    """The TF1 script's graph and session for one set of weights, Adam's train_op in it."""

    def __init__(self, weights, learning_rate):
        import tensorflow as tf

        from autograder.assignments.tf2_migration.tf1_reference import PARAM_NAMES, network

        v1 = tf.compat.v1
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = v1.placeholder(tf.float32, [None, None, None, weights["conv_w"].shape[2]])
            self.y = v1.placeholder(tf.float32, [None, weights["w2"].shape[1]])
            params = {name: v1.Variable(weights[name]) for name in PARAM_NAMES}
            _, self.cost = network(self.x, self.y, params)
            self.train_op = v1.train.AdamOptimizer(learning_rate, epsilon=1e-8).minimize(self.cost)
            self.sess = v1.Session(graph=self.graph)
            self.sess.run(v1.global_variables_initializer())

    def train(self, batches):
        return [self.sess.run([self.train_op, self.cost], feed_dict={self.x: x, self.y: y})[1] for x, y in batches]


def _row(name, shape, n_classes, batch, steps, repeats) -> Row:
    from solutions import tf2_migration as tf2

    rng = np.random.default_rng(4)
    x = rng.random((batch, *shape), dtype=np.float32)
    y = np.eye(n_classes, dtype=np.float32)[rng.integers(0, n_classes, batch)]
    params = tf2.init_params(shape, n_classes, seed=0)
    optimizer = tf2.make_optimizer("adam", 0.001, params)
    tf1 = _TF1Program({k: v.numpy() for k, v in params.items()}, 0.001)

    def tf2_steps():
        return [float(tf2.train_step(params, optimizer, x, y)) for _ in range(steps)]

    def tf1_steps():
        return tf1.train([(x, y)] * steps)

    # the first steps trace the tf.function and warm the session; same weights, same losses
    agree = np.allclose(tf2_steps(), tf1_steps(), rtol=1e-3, atol=1e-5)
    ours_s, theirs_s = median_in_blocks(tf2_steps, tf1_steps, repeats)
    tf2_call, tf1_call = _call_costs(params, optimizer, x, y, tf1, steps, repeats)
    tf1.sess.close()
    note = (f"train_step {name}: one call that does no work takes {format_seconds(tf2_call)} as a tf.function "
            f"with train_step's arguments, {format_seconds(tf1_call)} as a sess.run")
    if not agree:
        note = f"train_step {name}: THE LOSSES DIFFER between TF2 and TF1; " + note
    return Row("train_step", f"train_step {name}", "tf2 train_step", "tf1 sess.run", TARGET,
               ours_s=ours_s / steps, theirs_s=theirs_s / steps, note=note)


def _call_costs(params, optimizer, x, y, tf1, steps: int, repeats: int) -> tuple:
    """Seconds of one call to a tf.function that returns a constant, given train_step's
    arguments, and of one sess.run of a constant in the TF1 program's session."""
    import tensorflow as tf

    @tf.function
    def no_work(params, optimizer, x, y):
        return tf.constant(0.0)

    with tf1.graph.as_default():
        constant = tf.constant(0.0)

    def tf2_calls():
        return [float(no_work(params, optimizer, x, y)) for _ in range(steps)]

    def tf1_calls():
        return [float(tf1.sess.run(constant)) for _ in range(steps)]

    tf2_s, tf1_s = median_in_blocks(tf2_calls, tf1_calls, repeats)
    return tf2_s / steps, tf1_s / steps


GROUPS = {"train_step": train_step_rows}
