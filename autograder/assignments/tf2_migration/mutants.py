"""Migration bugs students really make, and two other correct migrations.

Each mutant is a patch on the source notebook's solution code; ``breaks`` names the
contract function that must lose points, then the ones that call it in the notebook:
``forward`` is called by ``compute_loss`` and ``predict``, ``compute_loss`` by
``train_step``, ``train_step`` by ``fit`` and ``predict`` by ``accuracy``. The hidden
tests build the optimizer for ``train_step`` and ``fit`` themselves, so a wrong
``make_optimizer`` costs only ``make_optimizer``.
"""
from autograder.mutants import Alternative, Mutant

_LOSS_CALLERS = ("compute_loss", "train_step", "fit")
_FORWARD_CALLERS = ("forward", *_LOSS_CALLERS, "predict", "accuracy")

MUTANTS = [
    Mutant(
        "keras_default_epsilon", "make_optimizer",
        old="Adam(learning_rate=learning_rate, epsilon=1e-8)", new="Adam(learning_rate=learning_rate)",
        why="Keras' Adam defaults to epsilon=1e-7, TF1's AdamOptimizer to 1e-8",
    ),
    Mutant(
        "flatten_channels_first", _FORWARD_CALLERS,
        old="f = tf.reshape(p, [tf.shape(p)[0], -1])",
        new="f = tf.reshape(tf.transpose(p, [0, 3, 1, 2]), [tf.shape(p)[0], -1])",
        why="flattens in NCHW order, as PyTorch does, so w1 meets the features in another order",
    ),
    Mutant(
        "valid_convolution", _FORWARD_CALLERS,
        old='strides=1, padding="SAME"', new='strides=1, padding="VALID"',
        why="the convolution shrinks the image, so w1 no longer fits",
    ),
    Mutant(
        "softmax_before_the_loss", _LOSS_CALLERS,
        old="logits=logits)", new="logits=tf.nn.softmax(logits))",
        why="softmax_cross_entropy_with_logits applies the softmax itself",
    ),
    Mutant(
        "summed_loss", _LOSS_CALLERS,
        old="tf.reduce_mean(", new="tf.reduce_sum(",
        why="the cost is the mean over the batch, not the sum",
    ),
    Mutant(
        "compat_v1_left_in", "compute_loss",
        old="tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)",
        new="tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits)",
        why="what tf_upgrade_v2 leaves behind: right values, still the TF1 API",
    ),
    Mutant(
        "loss_after_the_update", ("train_step", "fit"),
        old="    return loss", new="    return compute_loss(params, x, y)",
        why="returns the loss of the updated weights, not the one sess.run([train_op, cost]) gave",
    ),
    Mutant(
        "not_a_tf_function", "train_step",
        old="@tf.function\ndef train_step", new="def train_step",
        why="runs eagerly, step by step, instead of as a traced graph",
    ),
    Mutant(
        "one_shuffle_for_every_epoch", "fit",
        old="np.random.default_rng(seed + e).permutation(len(x))",
        new="np.random.default_rng(seed).permutation(len(x))",
        why="every epoch visits the samples in the first epoch's order",
    ),
    Mutant(
        "conv_fans_without_the_kernel_area", "init_params",
        old="glorot((3, 3, C, n_kernels), 9 * C, 9 * n_kernels)", new="glorot((3, 3, C, n_kernels), C, n_kernels)",
        why="fan_in and fan_out of a 3x3 kernel count its 9 positions",
    ),
]

ALTERNATIVES = [
    Alternative("functional_with_keras_initializers", '''
import numpy as np
import tensorflow as tf

NAMES = ["conv_w", "conv_b", "w1", "b1", "w2", "b2"]


def init_params(input_shape, n_classes, n_kernels=10, units=100, seed=0):
    H, W, C = input_shape
    shapes = [(3, 3, C, n_kernels), (n_kernels,), ((H // 2) * (W // 2) * n_kernels, units), (units,),
              (units, n_classes), (n_classes,)]
    values = []
    for i, shape in enumerate(shapes):
        if len(shape) == 1:
            values.append(tf.zeros(shape))
        else:  # Keras counts a kernel's 3x3 positions in both fans, as TF1's xavier_initializer did
            values.append(tf.keras.initializers.GlorotUniform(seed=seed * 10 + i)(shape))
    return {name: tf.Variable(value, name=name) for name, value in zip(NAMES, values)}


def forward(params, x):
    x = tf.convert_to_tensor(x)
    x = tf.cast(x, tf.float32)
    z = tf.nn.bias_add(tf.nn.convolution(x, params["conv_w"], padding="SAME"), params["conv_b"])
    pooled = tf.nn.max_pool(tf.nn.relu(z), ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    flat = tf.reshape(pooled, (-1, int(np.prod(pooled.shape[1:]))))
    hidden = tf.nn.relu(tf.matmul(flat, params["w1"]) + params["b1"])
    return tf.matmul(hidden, params["w2"]) + params["b2"]


def compute_loss(params, x, y):
    logits = forward(params, x)
    y = tf.cast(y, tf.float32)
    return tf.reduce_mean(tf.reduce_logsumexp(logits, axis=1) - tf.reduce_sum(y * logits, axis=1))


def make_optimizer(name, learning_rate, params):
    makers = {"sgd": lambda: tf.keras.optimizers.SGD(learning_rate),
              "adam": lambda: tf.keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8)}
    optimizer = makers[name]()
    optimizer.build([params[name] for name in NAMES])
    return optimizer


def _step(params, optimizer, x, y):
    variables = [params[name] for name in NAMES]
    with tf.GradientTape() as tape:
        loss = compute_loss(params, x, y)
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


train_step = tf.function(_step)


def fit(params, optimizer, x, y, epochs, batch_size, x_val=None, y_val=None, seed=0):
    x, y = np.float32(x), np.float32(y)
    n_batches = len(x) // batch_size
    history = {"loss": [], "val_loss": []}
    for epoch in range(epochs):
        order = np.random.default_rng(seed + epoch).permutation(len(x))
        batches = order[:n_batches * batch_size].reshape(n_batches, batch_size)
        losses = [train_step(params, optimizer, x[batch], y[batch]) for batch in batches]
        history["loss"].append(float(np.mean([loss.numpy() for loss in losses])))
        if x_val is not None:
            history["val_loss"].append(float(compute_loss(params, x_val, y_val).numpy()))
    return history


def predict(params, x):
    return tf.argmax(forward(params, x), axis=1).numpy()


def accuracy(params, x, y):
    return float((predict(params, x) == np.argmax(y, axis=1)).mean())
'''),
    Alternative("tf_module_and_tf_data", '''
import numpy as np
import tensorflow as tf


class ConvNet(tf.Module):
    """The TF1 graph as a tf.Module: its variables are the params dict."""

    def __init__(self, params):
        super().__init__(name="convnet")
        self.params = params

    @classmethod
    def fresh(cls, input_shape, n_classes, n_kernels, units, seed):
        H, W, C = input_shape
        features = (H // 2) * (W // 2) * n_kernels

        def glorot(shape, fan_in, fan_out, i):
            limit = (6.0 / (fan_in + fan_out)) ** 0.5
            return tf.random.stateless_uniform(shape, seed=[seed, i], minval=-limit, maxval=limit)

        values = {"conv_w": glorot((3, 3, C, n_kernels), 9 * C, 9 * n_kernels, 0),
                  "conv_b": tf.zeros(n_kernels),
                  "w1": glorot((features, units), features, units, 1),
                  "b1": tf.zeros(units),
                  "w2": glorot((units, n_classes), units, n_classes, 2),
                  "b2": tf.zeros(n_classes)}
        return cls({name: tf.Variable(value, name=name) for name, value in values.items()})

    def __call__(self, x):
        p = self.params
        x = tf.cast(x, tf.float32)
        a = tf.nn.relu(tf.nn.conv2d(x, p["conv_w"], strides=[1, 1, 1, 1], padding="SAME") + p["conv_b"])
        a = tf.nn.max_pool2d(a, ksize=(2, 2), strides=(2, 2), padding="VALID")
        a = tf.reshape(a, [tf.shape(a)[0], -1])
        return tf.nn.relu(a @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]


def init_params(input_shape, n_classes, n_kernels=10, units=100, seed=0):
    return ConvNet.fresh(input_shape, n_classes, n_kernels, units, seed).params


def forward(params, x):
    return ConvNet(params)(x)


def compute_loss(params, x, y):
    per_image = tf.keras.losses.categorical_crossentropy(tf.cast(y, tf.float32), forward(params, x), from_logits=True)
    return tf.reduce_mean(per_image)


def make_optimizer(name, learning_rate, params):
    if name == "adam":
        optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)
    elif name == "sgd":
        optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.0)
    else:
        raise ValueError(f"unknown optimizer name {name!r}")
    optimizer.build(ConvNet(params).trainable_variables)
    return optimizer


@tf.function(reduce_retracing=True)
def train_step(params, optimizer, x, y):
    variables = list(params.values())
    with tf.GradientTape() as tape:
        tape.watch(variables)
        loss = compute_loss(params, x, y)
    optimizer.apply(tape.gradient(loss, variables), variables)
    return loss


def fit(params, optimizer, x, y, epochs, batch_size, x_val=None, y_val=None, seed=0):
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    history = {"loss": [], "val_loss": []}
    for e in range(epochs):
        order = np.random.default_rng(seed + e).permutation(len(x))
        batches = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch_size, drop_remainder=True)
        losses = [float(train_step(params, optimizer, xb, yb)) for xb, yb in batches]
        history["loss"].append(sum(losses) / len(losses))
        if x_val is not None:
            history["val_loss"].append(float(compute_loss(params, x_val, y_val)))
    return history


def predict(params, x):
    return np.asarray(tf.math.argmax(forward(params, x), axis=-1))


def accuracy(params, x, y):
    return float(np.mean(predict(params, x) == np.asarray(y).argmax(axis=-1)))
'''),
]
