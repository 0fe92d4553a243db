"""The TF1 program the students migrate, run live: the judge's oracle.

The network and its training are built the TF1 way, with `tf.compat.v1` placeholders, a
graph and a `Session`, from given numpy weights:

    conv2d 3x3 SAME + bias -> relu -> max_pool 2x2 VALID -> reshape (NHWC) ->
    dense + relu -> dense (logits);  cost = reduce_mean(softmax_cross_entropy_with_logits_v2)

Only raw ops are used (`tf.compat.v1.layers` is gone with Keras 3); the reshape is what
`tf.contrib.layers.flatten` did.

    with TF1Network(weights, "adam", 0.01) as net:
        losses = net.train(batches)      # one sess.run([train_op, cost]) per batch
        final = net.weights()

The graphs take any shape and are built once per process (building a graph and a
Session for each case was most of a check's time): logits and costs come from one whose
weights are fed like the images; training loads the weights into the variables of one
per optimizer, whose state starts afresh each time, as a new TF1 program's would.
"""
import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
PARAM_NAMES = ("conv_w", "conv_b", "w1", "b1", "w2", "b2")


def network(x, y, p):
    """The TF1 script's graph on images x and labels y: (logits, cost)."""
    z0 = tf.nn.conv2d(x, p["conv_w"], strides=[1, 1, 1, 1], padding="SAME") + p["conv_b"]
    a0 = tf.nn.relu(z0)
    p0 = tf.nn.max_pool2d(a0, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    f = tf.reshape(p0, [-1, tf.shape(p["w1"])[0]])
    a1 = tf.nn.relu(tf.matmul(f, p["w1"]) + p["b1"])
    logits = tf.matmul(a1, p["w2"]) + p["b2"]
    return logits, tf.reduce_mean(v1.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))


class _Inference:
    """The graph of any shape: weights, images and labels all fed."""

    def __init__(self):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = v1.placeholder(tf.float32, [None, None, None, None], name="x")
            self.y = v1.placeholder(tf.float32, [None, None], name="y")
            self.params = {name: v1.placeholder(tf.float32, name=name) for name in PARAM_NAMES}
            self.logits, self.cost = network(self.x, self.y, self.params)
        self.sess = v1.Session(graph=self.graph)

    def run(self, fetch, weights, x, y=None):
        feed = {self.params[name]: weights[name] for name in PARAM_NAMES}
        feed[self.x] = x
        if y is not None:
            feed[self.y] = y
        return self.sess.run(fetch, feed_dict=feed)


class _Training:
    """The graph of any shape with the weights as variables and an optimizer's train_op;
    each network that trains loads its weights into it and starts the optimizer afresh."""

    def __init__(self, optimizer):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = v1.placeholder(tf.float32, [None, None, None, None], name="x")
            self.y = v1.placeholder(tf.float32, [None, None], name="y")
            self.start = {name: v1.placeholder(tf.float32, name=f"{name}_start") for name in PARAM_NAMES}
            self.params = {name: v1.Variable(self.start[name], validate_shape=False, name=name)
                           for name in PARAM_NAMES}
            _, self.cost = network(self.x, self.y, self.params)
            self.learning_rate = v1.placeholder(tf.float32, [], name="learning_rate")
            if optimizer == "sgd":
                opt = v1.train.GradientDescentOptimizer(self.learning_rate)
            else:
                opt = v1.train.AdamOptimizer(self.learning_rate, epsilon=1e-8)
            self.train_op = opt.minimize(self.cost)
            self.load_weights = v1.variables_initializer(list(self.params.values()))
            self.restart_optimizer = v1.variables_initializer(opt.variables())
        self.sess = v1.Session(graph=self.graph)
        self.holds = None  # the network whose weights and optimizer state the variables hold

    def load(self, owner, weights):
        self.holds = owner
        start = {self.start[name]: weights[name] for name in PARAM_NAMES}  # Adam's slots take their shapes
        self.sess.run(self.load_weights, feed_dict=start)
        self.sess.run(self.restart_optimizer, feed_dict=start)

    def step(self, learning_rate, x, y):
        _, cost = self.sess.run([self.train_op, self.cost],
                                feed_dict={self.x: x, self.y: y, self.learning_rate: learning_rate})
        return cost

    def weights(self):
        return self.sess.run(self.params)


_graphs = {}


def _shared(kind: str):
    """The one inference graph, or the one training graph of an optimizer."""
    if kind not in _graphs:
        _graphs[kind] = _Inference() if kind == "inference" else _Training(kind)
    return _graphs[kind]


class TF1Network:
    """The network's weights and, once it trains, the training graph holding them.

    weights: {"conv_w": (3, 3, C, K), "conv_b": (K,), "w1": (F, U), "b1": (U,),
              "w2": (U, n), "b2": (n,)}, numpy float32, images of shape (H, W, C).
    optimizer: "sgd" (GradientDescentOptimizer) or "adam" (AdamOptimizer, epsilon 1e-8).
    """

    def __init__(self, weights, optimizer="sgd", learning_rate=0.01):
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
        self.current = {name: np.asarray(weights[name], np.float32) for name in PARAM_NAMES}
        self.optimizer, self.learning_rate = optimizer, learning_rate
        self.trained = False

    def forward(self, x):
        """Logits (N, n) of images x (N, H, W, C), with the current weights."""
        inference = _shared("inference")
        return inference.run(inference.logits, self.current, x)

    def loss(self, x, y):
        """The cost on (x, y), without training."""
        inference = _shared("inference")
        return inference.run(inference.cost, self.current, x, y)

    def train(self, batches):
        """One optimizer step per (x, y) batch; returns each step's cost (before its update)."""
        training = _shared(self.optimizer)
        if training.holds is not self:
            if self.trained:  # its optimizer state is gone: the judge trains one network at a time
                raise RuntimeError("another network of the same optimizer trained in between")
            training.load(self, self.current)
        self.trained = True
        losses = [training.step(self.learning_rate, x, y) for x, y in batches]
        self.current = training.weights()
        return np.array(losses, dtype=np.float32)

    def weights(self):
        """The current weights, as a dict of numpy arrays."""
        return dict(self.current)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
