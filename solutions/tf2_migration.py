"""Reference solution of the `tf2_migration` assignment: a TF1 CNN script, in TensorFlow 2.

The network (N images of shape (H, W, C), K kernels, U hidden units, n classes):

    z0 = conv2d(x, conv_w, stride 1, "SAME") + conv_b     (N, H, W, K)
    p  = max_pool(relu(z0), 2x2, stride 2, "VALID")       (N, H//2, W//2, K)
    f  = reshape(p, (N, H//2 * W//2 * K))                 NHWC order, as TF1's flatten
    a1 = relu(f @ w1 + b1)                                (N, U)
    z2 = a1 @ w2 + b2                                     (N, n)  logits

    loss = mean_i softmax_cross_entropy(y_i, z2_i)

Training matches the TF1 program step for step: `GradientDescentOptimizer` is Keras
`SGD`, `AdamOptimizer` is Keras `Adam` with TF1's epsilon 1e-8 (Keras defaults to 1e-7),
and each step returns the loss from before its update, as `sess.run([train_op, cost])` did.
"""
import numpy as np
import tensorflow as tf


def glorot_uniform(rng, shape, fan_in, fan_out):
    """Uniform on [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)), float32."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def init_params(input_shape, n_classes, n_kernels=10, units=100, seed=0):
    """Glorot-uniform weights and zero biases, as float32 tf.Variables.

    input_shape: (H, W, C) of one image.
    Returns {"conv_w": (3, 3, C, K), "conv_b": (K,), "w1": (H//2 * W//2 * K, U),
             "b1": (U,), "w2": (U, n_classes), "b2": (n_classes,)}, in that order.
    """
    H, W, C = input_shape
    rng = np.random.default_rng(seed)
    n_features = (H // 2) * (W // 2) * n_kernels
    # a 3x3 kernel sees 9 positions of each input channel and feeds 9 of each output one
    weights = {
        "conv_w": glorot_uniform(rng, (3, 3, C, n_kernels), 9 * C, 9 * n_kernels),
        "conv_b": np.zeros(n_kernels, np.float32),
        "w1": glorot_uniform(rng, (n_features, units), n_features, units),
        "b1": np.zeros(units, np.float32),
        "w2": glorot_uniform(rng, (units, n_classes), units, n_classes),
        "b2": np.zeros(n_classes, np.float32),
    }
    return {name: tf.Variable(value, name=name) for name, value in weights.items()}


def forward(params, x):
    """Logits (N, n_classes) of images x (N, H, W, C), any float dtype."""
    x = tf.cast(x, tf.float32)
    z0 = tf.nn.conv2d(x, params["conv_w"], strides=1, padding="SAME") + params["conv_b"]
    p = tf.nn.max_pool2d(tf.nn.relu(z0), ksize=2, strides=2, padding="VALID")
    f = tf.reshape(p, [tf.shape(p)[0], -1])  # keeps NHWC order, like TF1's flatten
    a1 = tf.nn.relu(f @ params["w1"] + params["b1"])
    return a1 @ params["w2"] + params["b2"]


def compute_loss(params, x, y):
    """Mean softmax cross-entropy (a float32 scalar tensor); y is one-hot (N, n_classes)."""
    logits = forward(params, x)
    y = tf.cast(y, tf.float32)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))


def make_optimizer(name, learning_rate, params):
    """The Keras optimizer that repeats TF1's update, built on params' variables.

    "sgd":  w -= lr * g                                  (GradientDescentOptimizer)
    "adam": m = b1*m + (1-b1)*g,  v = b2*v + (1-b2)*g^2,
            w -= lr * sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + 1e-8)   (AdamOptimizer)
    """
    if name == "sgd":
        optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    elif name == "adam":
        # TF1's epsilon; Keras' default of 1e-7 changes every step
        optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)
    else:
        raise ValueError(f"name must be 'sgd' or 'adam', got {name!r}")
    # create the slot variables now, so that train_step never creates any
    optimizer.build(list(params.values()))
    return optimizer


@tf.function
def train_step(params, optimizer, x, y):
    """One gradient step on the batch (x, y); returns the loss before the update."""
    variables = list(params.values())
    with tf.GradientTape() as tape:
        loss = compute_loss(params, x, y)
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss


def fit(params, optimizer, x, y, epochs, batch_size, x_val=None, y_val=None, seed=0):
    """Train in full mini-batches; returns {"loss": [...], "val_loss": [...]}, one entry per epoch.

    x: (N, H, W, C), y: (N, n_classes). Epoch e visits the samples in the order
    np.random.default_rng(seed + e).permutation(N); the last partial batch is dropped.
    """
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    n_batches = len(x) // batch_size
    history = {"loss": [], "val_loss": []}
    for e in range(epochs):
        order = np.random.default_rng(seed + e).permutation(len(x))
        losses = []
        for i in range(n_batches):
            idx = order[i * batch_size:(i + 1) * batch_size]
            losses.append(train_step(params, optimizer, x[idx], y[idx]).numpy())
        history["loss"].append(float(np.mean(losses)))
        if x_val is not None:
            history["val_loss"].append(float(compute_loss(params, x_val, y_val)))
    return history


def predict(params, x):
    """Predicted class labels (N,), int."""
    return np.argmax(forward(params, x).numpy(), axis=1)


def accuracy(params, x, y):
    """Fraction of x whose predicted label matches one-hot y (N, n_classes)."""
    return float(np.mean(predict(params, x) == np.argmax(y, axis=1)))
