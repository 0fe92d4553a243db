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
"""
import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
PARAM_NAMES = ("conv_w", "conv_b", "w1", "b1", "w2", "b2")


class TF1Network:
    """A TF1 graph and session holding the network's weights and its train_op.

    weights: {"conv_w": (3, 3, C, K), "conv_b": (K,), "w1": (F, U), "b1": (U,),
              "w2": (U, n), "b2": (n,)}, numpy float32, images of shape (H, W, C).
    optimizer: "sgd" (GradientDescentOptimizer) or "adam" (AdamOptimizer, epsilon 1e-8).
    """

    def __init__(self, weights, optimizer="sgd", learning_rate=0.01):
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
        conv_w = np.asarray(weights["conv_w"], np.float32)
        n_classes = np.shape(weights["w2"])[1]
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = v1.placeholder(tf.float32, [None, None, None, conv_w.shape[2]], name="x")
            self.y = v1.placeholder(tf.float32, [None, n_classes], name="y")
            self.params = {name: v1.Variable(np.asarray(weights[name], np.float32), name=name)
                           for name in PARAM_NAMES}
            p = self.params

            z0 = tf.nn.conv2d(self.x, p["conv_w"], strides=[1, 1, 1, 1], padding="SAME") + p["conv_b"]
            a0 = tf.nn.relu(z0)
            p0 = tf.nn.max_pool2d(a0, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
            f = tf.reshape(p0, [-1, np.shape(weights["w1"])[0]])
            a1 = tf.nn.relu(tf.matmul(f, p["w1"]) + p["b1"])
            self.logits = tf.matmul(a1, p["w2"]) + p["b2"]
            self.cost = tf.reduce_mean(
                v1.nn.softmax_cross_entropy_with_logits_v2(labels=self.y, logits=self.logits))

            self.sess = v1.Session(graph=self.graph)
            self.sess.run(v1.global_variables_initializer())
        self.optimizer, self.learning_rate = optimizer, learning_rate
        self.train_op = None  # built on the first train(): most checks never train

    def _build_train_op(self):
        with self.graph.as_default():
            if self.optimizer == "sgd":
                opt = v1.train.GradientDescentOptimizer(self.learning_rate)
            else:
                opt = v1.train.AdamOptimizer(self.learning_rate, epsilon=1e-8)
            self.train_op = opt.minimize(self.cost)
            self.sess.run(v1.variables_initializer(opt.variables()))

    def forward(self, x):
        """Logits (N, n) of images x (N, H, W, C)."""
        return self.sess.run(self.logits, feed_dict={self.x: x})

    def loss(self, x, y):
        """The cost on (x, y), without training."""
        return self.sess.run(self.cost, feed_dict={self.x: x, self.y: y})

    def train(self, batches):
        """One optimizer step per (x, y) batch; returns each step's cost (before its update)."""
        if self.train_op is None:
            self._build_train_op()
        losses = []
        for x, y in batches:
            _, cost = self.sess.run([self.train_op, self.cost], feed_dict={self.x: x, self.y: y})
            losses.append(cost)
        return np.array(losses, dtype=np.float32)

    def weights(self):
        """The current weights, as a dict of numpy arrays."""
        return self.sess.run(self.params)

    def close(self):
        self.sess.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
