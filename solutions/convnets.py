"""Reference solution of the `convnets` assignment: ConvNet shapes and parameters, and
pre-activation residual and dense units in TensorFlow 2.

Part 1 counts without running anything. A layer maps an input of shape (H, W, C), or
(D,) once flattened, to (the batch left out)

    conv  (F filters, kernel kh x kw, stride s):  (H', W', F),  kh*kw*C*F weights + F biases
    pool  (window ph x pw, stride s):             (H', W', C),  no parameters
    flatten:                                      (H*W*C,),     no parameters
    dense (U units):                              (U,),         D*U weights + U biases

with Keras's output sizes: H' = (H - kh) // s + 1 under "valid", ceil(H / s) under "same".

Parts 2 to 4 build on one batch normalisation (per channel, over N, H and W):

    training:  y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta,  var_B biased,
               moving = momentum * moving + (1 - momentum) * batch
    inference: y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta

a pre-activation residual unit (He et al. 2016)

    a = relu(bn1(x));  h = conv3x3(a, stride);  h = conv3x3(relu(bn2(h)), 1)
    out = h + (x  or  conv1x1(a, stride) when the unit has a projection)

a dense block (Huang et al. 2017), x_{i+1} = concat(x_i, conv3x3(relu(bn_i(x_i)))), and a
small ResNet: stem conv -> residual units -> relu(bn) -> global average pool -> dense.
Only `tf.nn` ops and `tf.Variable`s: no Keras layers.
"""
import math

import numpy as np
import tensorflow as tf

# Part 1: shapes and parameters ------------------------------------------------------

LAYER_TYPES = ("conv", "pool", "flatten", "dense")
PADDINGS = ("same", "valid")


def _output_size(n: int, window: int, stride: int, padding: str) -> int:
    """Keras's output length of one spatial axis."""
    if padding == "valid":
        return (n - window) // stride + 1
    return math.ceil(n / stride)


def layer_output_shape(input_shape, layer) -> tuple:
    """The output shape of `layer` (a spec dict) on an input of `input_shape`, batch left out.

    input_shape: (H, W, C) before flatten, (D,) after.
    Raises ValueError naming the field of a bad spec (`type`, `padding`, `stride`,
    `kernel`, `size`).
    """
    input_shape = tuple(int(n) for n in input_shape)
    kind = layer["type"]
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r}: 'type' must be one of {LAYER_TYPES}")
    if kind == "flatten":
        return (math.prod(input_shape),)
    if kind == "dense":
        if len(input_shape) != 1:
            raise ValueError(f"a 'dense' layer (type) needs a flat (D,) input, got {input_shape}: flatten first")
        return (int(layer["units"]),)

    # conv and pool slide a window over (H, W, C)
    window_key = "kernel" if kind == "conv" else "size"
    if len(input_shape) != 3:
        raise ValueError(f"a {kind!r} layer (type) needs an (H, W, C) input, got {input_shape}")
    if layer["padding"] not in PADDINGS:
        raise ValueError(f"unknown padding {layer['padding']!r}: 'padding' must be 'same' or 'valid'")
    stride = int(layer["stride"])
    if stride < 1:
        raise ValueError(f"'stride' must be at least 1, got {stride}")
    H, W, C = input_shape
    kh, kw = (int(k) for k in layer[window_key])
    if layer["padding"] == "valid" and (kh > H or kw > W):
        raise ValueError(f"the {window_key!r} {(kh, kw)} is larger than the {(H, W)} input under 'valid' padding")
    channels = int(layer["filters"]) if kind == "conv" else C
    return (_output_size(H, kh, stride, layer["padding"]), _output_size(W, kw, stride, layer["padding"]), channels)


def layer_params(input_shape, layer) -> tuple:
    """``(weights, biases)`` of `layer` on an input of `input_shape`: conv kh*kw*C*F and F,
    dense D*U and U (0 biases without use_bias), pool and flatten (0, 0)."""
    kind = layer["type"]
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r}: 'type' must be one of {LAYER_TYPES}")
    if kind == "conv":
        kh, kw = layer["kernel"]
        F = int(layer["filters"])
        return int(kh) * int(kw) * int(input_shape[-1]) * F, F if layer["use_bias"] else 0
    if kind == "dense":
        U = int(layer["units"])
        return int(input_shape[-1]) * U, U if layer["use_bias"] else 0
    return 0, 0


def network_summary(input_shape, layers) -> tuple:
    """``(shapes, params, total)``: the output shape after each layer, its parameter count
    (weights + biases), and their sum, as Keras's summary of the same stack reports."""
    shapes, params = [], []
    shape = tuple(int(n) for n in input_shape)
    for layer in layers:
        params.append(sum(layer_params(shape, layer)))
        shape = layer_output_shape(shape, layer)
        shapes.append(shape)
    return shapes, params, sum(params)


# Part 2: batch normalisation and residual units --------------------------------------


def batch_norm(x, params, training, momentum=0.9, epsilon=1e-3):
    """Normalise x (N, H, W, C) per channel; params: tf.Variables gamma, beta,
    moving_mean, moving_variance, each (C,).

    training=True uses the batch's mean and biased variance over N, H, W and moves the
    moving statistics towards them; training=False uses the moving statistics and
    changes nothing.
    """
    x = tf.cast(x, tf.float32)
    if training:
        mean, variance = tf.nn.moments(x, axes=list(range(len(x.shape) - 1)))
        params["moving_mean"].assign(momentum * params["moving_mean"] + (1 - momentum) * mean)
        params["moving_variance"].assign(momentum * params["moving_variance"] + (1 - momentum) * variance)
    else:
        mean, variance = params["moving_mean"], params["moving_variance"]
    return tf.nn.batch_normalization(x, mean, variance, params["beta"], params["gamma"], epsilon)


def conv(x, w, stride=1):
    """A "SAME" convolution without bias: (N, H, W, C) -> (N, ceil(H/s), ceil(W/s), F)."""
    return tf.nn.conv2d(x, w, strides=stride, padding="SAME")


def residual_unit(x, params, training, stride=1):
    """Pre-activation residual unit: x (N, H, W, C) -> (N, ceil(H/s), ceil(W/s), F).

    params: "bn1" (C,), "conv1_w" (3, 3, C, F), "bn2" (F,), "conv2_w" (3, 3, F, F), and
    "proj_w" (1, 1, C, F) when the shortcut is projected (then x's shape may change).
    """
    x = tf.cast(x, tf.float32)
    a = tf.nn.relu(batch_norm(x, params["bn1"], training))
    h = conv(a, params["conv1_w"], stride)
    h = tf.nn.relu(batch_norm(h, params["bn2"], training))
    h = conv(h, params["conv2_w"], 1)
    shortcut = conv(a, params["proj_w"], stride) if "proj_w" in params else x
    return h + shortcut


def dense_block(x, params, training):
    """Dense block: x (N, H, W, C) -> (N, H, W, C + L*k); params: L layers
    {"bn": (C + i*k,), "conv_w": (3, 3, C + i*k, k)}, each adding k channels."""
    x = tf.cast(x, tf.float32)
    for layer in params:
        y = conv(tf.nn.relu(batch_norm(x, layer["bn"], training)), layer["conv_w"], 1)
        x = tf.concat([x, y], axis=-1)
    return x


# Part 3: a small ResNet --------------------------------------------------------------


def he_normal(rng, shape):
    """N(0, 2 / fan_in) with fan_in = kh*kw*C_in, float32."""
    kh, kw, c_in, _ = shape
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (kh * kw * c_in))).astype(np.float32)


def glorot_uniform(rng, shape):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)), float32."""
    fan_in, fan_out = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def batch_norm_params(channels: int) -> dict:
    """gamma 1, beta 0, moving mean 0 and moving variance 1; the moving statistics are
    updated by batch_norm, never by an optimizer."""
    return {
        "gamma": tf.Variable(tf.ones(channels), name="gamma"),
        "beta": tf.Variable(tf.zeros(channels), name="beta"),
        "moving_mean": tf.Variable(tf.zeros(channels), trainable=False, name="moving_mean"),
        "moving_variance": tf.Variable(tf.ones(channels), trainable=False, name="moving_variance"),
    }


def init_resnet(input_shape, n_classes, widths=(8, 16), seed=0):
    """A ResNet's parameters, nested dicts of float32 tf.Variables.

    input_shape: (H, W, C). Returns {"stem_w": (3, 3, C, widths[0]), "units": [unit per
    width], "bn": (widths[-1],), "dense_w": (widths[-1], n_classes), "dense_b": (n_classes,)};
    unit 0 keeps widths[0], unit i > 0 goes from widths[i-1] to widths[i] with a "proj_w".
    """
    C = int(input_shape[-1])
    rng = np.random.default_rng(seed)

    def variable(value, name):
        return tf.Variable(value, name=name)

    params = {"stem_w": variable(he_normal(rng, (3, 3, C, widths[0])), "stem_w"), "units": []}
    for i, width in enumerate(widths):
        c_in = widths[max(i - 1, 0)]
        unit = {
            "bn1": batch_norm_params(c_in),
            "conv1_w": variable(he_normal(rng, (3, 3, c_in, width)), "conv1_w"),
            "bn2": batch_norm_params(width),
            "conv2_w": variable(he_normal(rng, (3, 3, width, width)), "conv2_w"),
        }
        if i > 0:
            unit["proj_w"] = variable(he_normal(rng, (1, 1, c_in, width)), "proj_w")
        params["units"].append(unit)
    params["bn"] = batch_norm_params(widths[-1])
    params["dense_w"] = variable(glorot_uniform(rng, (widths[-1], n_classes)), "dense_w")
    params["dense_b"] = variable(np.zeros(n_classes, np.float32), "dense_b")
    return params


def resnet_forward(params, x, training):
    """Logits (N, n_classes) of images x (N, H, W, C), any float dtype."""
    h = conv(tf.cast(x, tf.float32), params["stem_w"], 1)
    for unit in params["units"]:
        h = residual_unit(h, unit, training, stride=2 if "proj_w" in unit else 1)
    h = tf.nn.relu(batch_norm(h, params["bn"], training))
    h = tf.reduce_mean(h, axis=[1, 2])  # global average pooling
    return h @ params["dense_w"] + params["dense_b"]


# Part 4: training --------------------------------------------------------------------


def trainable_variables(params) -> list:
    """Every trainable tf.Variable of the nested params, in order (not the moving statistics)."""
    return [v for v in tf.nest.flatten(params) if isinstance(v, tf.Variable) and v.trainable]


def train_resnet(params, optimizer, x, y, epochs, batch_size, seed=0):
    """Train in full mini-batches; returns {"loss": [...]}, the mean loss of each epoch.

    x: (N, H, W, C), y: one-hot (N, n_classes). Epoch e visits the samples in the order
    np.random.default_rng(seed + e).permutation(N); the last partial batch is dropped.
    """
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    variables = trainable_variables(params)
    if not optimizer.built:
        optimizer.build(variables)  # a tf.function must not create the optimizer's variables

    @tf.function
    def train_step(x, y):
        """One gradient step; returns the loss before the update."""
        with tf.GradientTape() as tape:
            logits = resnet_forward(params, x, training=True)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    n_batches = len(x) // batch_size
    history = {"loss": []}
    for e in range(epochs):
        order = np.random.default_rng(seed + e).permutation(len(x))
        losses = []
        for i in range(n_batches):
            idx = order[i * batch_size:(i + 1) * batch_size]
            losses.append(train_step(x[idx], y[idx]).numpy())
        history["loss"].append(float(np.mean(losses)))
    return history
