"""ConvNet mistakes students really make, and two other correct solutions.

Each mutant is a patch on the source notebook's solution code; ``breaks`` names the
contract function that must lose points, then the ones that call it in the notebook and
lose points with it: ``layer_output_shape`` and ``layer_params`` are called by
``network_summary``; ``batch_norm`` by ``residual_unit``, ``dense_block`` and
``resnet_forward`` (which ``train_resnet`` runs in training mode only, so a mistake of
inference alone does not reach it); ``residual_unit`` by ``resnet_forward``, and
``resnet_forward`` by ``train_resnet``. The hidden tests build the parameters of
``resnet_forward`` and ``train_resnet`` themselves, so a wrong ``init_resnet`` costs only
``init_resnet``.
"""
from autograder.mutants import Alternative, Mutant

_SHAPE = ("layer_output_shape", "network_summary")
_PARAMS = ("layer_params", "network_summary")
_UNIT = ("residual_unit", "resnet_forward", "train_resnet")
_BATCH_NORM_IN_TRAINING = ("batch_norm", "residual_unit", "dense_block", "resnet_forward", "train_resnet")
_BATCH_NORM_IN_TESTING = ("batch_norm", "residual_unit", "dense_block", "resnet_forward")

MUTANTS = [
    # Part 1: shapes and parameters
    Mutant(
        "same_computed_as_valid", _SHAPE,
        old="out_h, out_w = math.ceil(H / s), math.ceil(W / s)",
        new="out_h, out_w = (H - kh) // s + 1, (W - kw) // s + 1",
        why='"same" pads the input so that the output has ceil(n / s) positions; (n - k) // s + 1 is "valid"',
    ),
    Mutant(
        "valid_with_float_division", _SHAPE,
        old="out_h, out_w = (H - kh) // s + 1, (W - kw) // s + 1",
        new="out_h, out_w = (H - kh) / s + 1, (W - kw) / s + 1",
        why='(n - k) / s + 1 is a float; Keras rounds "valid" down to an int: (n - k) // s + 1',
    ),
    Mutant(
        "kernel_larger_than_the_input_accepted", _SHAPE,
        old="        if kh > H or kw > W:\n            raise", new="        if kh > H and kw > W:\n            raise",
        why='a kernel or window taller *or* wider than the input leaves no "valid" output: raise ValueError',
    ),
    Mutant(
        "dense_on_an_image", "layer_output_shape",
        old="        if len(input_shape) != 1:\n", new="        if len(input_shape) == 0:\n",
        why="a dense layer needs a flat (D,) input here (flatten first): raise ValueError naming type",
    ),
    Mutant(
        "conv_params_without_biases", _PARAMS,
        old='biases = layer["filters"] if layer["use_bias"] else 0', new="biases = 0",
        why="a conv layer with use_bias has one bias per filter, F parameters more",
    ),
    Mutant(
        "params_from_the_output_shape", "network_summary",
        old="weights, biases = layer_params(shape, layer)", new="weights, biases = layer_params(out, layer)",
        why="a layer's parameters depend on the shape coming into it, not on its output",
    ),
    # Part 2: batch normalisation
    Mutant(
        "bn_moving_statistics_in_training", _BATCH_NORM_IN_TRAINING,
        old="    x_hat = (x - mean) / tf.sqrt(variance + epsilon)",
        new='    x_hat = (x - params["moving_mean"]) / tf.sqrt(params["moving_variance"] + epsilon)',
        why="training=True normalises with the batch's own mean and variance, not the moving averages",
    ),
    Mutant(
        "bn_batch_statistics_in_testing", _BATCH_NORM_IN_TESTING,
        old='    else:\n        mean = params["moving_mean"]\n        variance = params["moving_variance"]',
        new=("    else:\n        mean = tf.reduce_mean(x, axis=axes)\n"
             "        variance = tf.reduce_mean(tf.square(x - mean), axis=axes)"),
        why="training=False normalises with the moving averages, not the batch's statistics",
    ),
    Mutant(
        "bn_always_in_training_mode", _BATCH_NORM_IN_TESTING,
        old="    if training:\n", new="    if True:\n",
        why="the training flag is ignored: with training=False batch norm uses the moving averages and updates nothing",
    ),
    Mutant(
        "bn_momentum_the_wrong_way_round", _BATCH_NORM_IN_TRAINING,
        old='momentum * params["moving_mean"] + (1 - momentum) * mean',
        new='(1 - momentum) * params["moving_mean"] + momentum * mean',
        why="the old moving average keeps the weight momentum, the batch gets 1 - momentum",
    ),
    Mutant(
        "bn_unbiased_variance", _BATCH_NORM_IN_TRAINING,
        old="        variance = tf.reduce_mean(tf.square(x - mean), axis=axes)\n",
        new=("        n = tf.cast(tf.size(x) // tf.shape(x)[-1], tf.float32)\n"
             "        variance = tf.reduce_sum(tf.square(x - mean), axis=axes) / (n - 1)\n"),
        why="batch norm divides by N*H*W (the biased variance), not N*H*W - 1",
    ),
    # Part 3: residual and dense units
    Mutant(
        "post_activation_unit", _UNIT,
        old=('    a = tf.nn.relu(batch_norm(x, params["bn1"], training))\n'
             '    h = tf.nn.conv2d(a, params["conv1_w"], strides=stride, padding="SAME")\n'
             '    h = tf.nn.relu(batch_norm(h, params["bn2"], training))\n'
             '    h = tf.nn.conv2d(h, params["conv2_w"], strides=1, padding="SAME")\n'),
        new=('    a = x\n'
             '    h = tf.nn.conv2d(x, params["conv1_w"], strides=stride, padding="SAME")\n'
             '    h = tf.nn.relu(batch_norm(h, params["bn1"], training))\n'
             '    h = tf.nn.conv2d(h, params["conv2_w"], strides=1, padding="SAME")\n'
             '    h = batch_norm(h, params["bn2"], training)\n'),
        why="the original (post-activation) unit: batch norm and ReLU come before each convolution here",
    ),
    Mutant(
        "relu_after_the_sum", _UNIT,
        old="    return h + shortcut", new="    return tf.nn.relu(h + shortcut)",
        why="a pre-activation unit returns h + shortcut as it is, with no ReLU after the sum",
    ),
    Mutant(
        "projection_from_x", _UNIT,
        old='shortcut = tf.nn.conv2d(a, params["proj_w"]', new='shortcut = tf.nn.conv2d(x, params["proj_w"]',
        why="the projection shortcut convolves a = relu(bn1(x)), not x",
    ),
    Mutant(
        "projection_without_the_stride", _UNIT,
        old='params["proj_w"], strides=stride', new='params["proj_w"], strides=1',
        why="the projection takes the unit's stride, so that the shortcut has the output's height and width",
    ),
    Mutant(
        "concat_on_the_height_axis", "dense_block",
        old="x = tf.concat([x, y], axis=-1)", new="x = tf.concat([x, y], axis=1)",
        why="NHWC images concatenate on the channel axis, -1 (axis 1 is NCHW's channels)",
    ),
    Mutant(
        "dense_block_returns_the_last_features", "dense_block",
        old="        x = tf.concat([x, y], axis=-1)\n    return x",
        new="        x = tf.concat([x, y], axis=-1)\n    return y",
        why="a dense block returns its input concatenated with every layer's features, C + L*k channels",
    ),
    # Part 4: the ResNet
    Mutant(
        "he_normal_with_fan_out", "init_resnet",
        old="        kh, kw, c_in, _ = shape\n        std = np.sqrt(2.0 / (kh * kw * c_in))",
        new="        kh, kw, _, c_out = shape\n        std = np.sqrt(2.0 / (kh * kw * c_out))",
        why="He normal divides by fan_in = kh*kw*C_in, not by the output channels",
    ),
    Mutant(
        "moving_statistics_trainable", "init_resnet",
        old='"moving_mean": tf.Variable(np.zeros(channels, np.float32), trainable=False)',
        new='"moving_mean": tf.Variable(np.zeros(channels, np.float32))',
        why="the moving statistics are created with trainable=False: batch norm updates them, not the optimizer",
    ),
    Mutant(
        "stride_1_in_every_unit", ("resnet_forward", "train_resnet"),
        old='stride = 2 if "proj_w" in unit else 1', new="stride = 1",
        why="the units that hold a proj_w halve the image: stride 2",
    ),
    Mutant(
        "no_final_batch_norm", ("resnet_forward", "train_resnet"),
        old='    h = tf.nn.relu(batch_norm(h, params["bn"], training))\n', new="",
        why="a pre-activation ResNet ends with relu(batch_norm(...)) before the pooling",
    ),
    Mutant(
        "loss_after_the_update", "train_resnet",
        old="        optimizer.apply_gradients(zip(grads, variables))\n        return loss",
        new=("        optimizer.apply_gradients(zip(grads, variables))\n"
             "        logits = resnet_forward(params, x_batch, training=False)\n"
             "        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_batch, logits=logits))"),
        why="each step returns the loss computed in the tape, before the update",
    ),
    Mutant(
        "training_step_in_inference_mode", "train_resnet",
        old="logits = resnet_forward(params, x_batch, training=True)",
        new="logits = resnet_forward(params, x_batch, training=False)",
        why="the training step runs batch norm with training=True: batch statistics, moving averages updated",
    ),
]

ALTERNATIVES = [
    Alternative("moments_and_a_module_level_step", '''
import math

import numpy as np
import tensorflow as tf

KINDS = {"conv": "kernel", "pool": "size"}


def _size(n, k, s, padding):
    return -(-n // s) if padding == "same" else (n - k) // s + 1


def layer_output_shape(input_shape, layer):
    kind = layer["type"]
    if kind == "flatten":
        return (int(np.prod(input_shape)),)
    if kind == "dense":
        if len(input_shape) != 1:
            raise ValueError("type: a dense layer needs a flat input")
        return (int(layer["units"]),)
    if kind not in KINDS:
        raise ValueError(f"unknown type {kind!r}")
    if len(input_shape) != 3:
        raise ValueError(f"type: {kind} needs an image input (H, W, C)")
    window = KINDS[kind]
    if layer["padding"] not in ("same", "valid"):
        raise ValueError("padding must be same or valid")
    if layer["stride"] < 1:
        raise ValueError("stride below 1")
    sizes = []
    for n, k in zip(input_shape[:2], layer[window]):
        if layer["padding"] == "valid" and k > n:
            raise ValueError(f"{window} does not fit")
        sizes.append(int(_size(n, k, layer["stride"], layer["padding"])))
    return (*sizes, int(layer.get("filters", input_shape[2])))


def layer_params(input_shape, layer):
    kind = layer["type"]
    if kind in ("pool", "flatten"):
        return (0, 0)
    if kind == "conv":
        units, weights = layer["filters"], math.prod(layer["kernel"]) * input_shape[-1] * layer["filters"]
    elif kind == "dense":
        units, weights = layer["units"], input_shape[0] * layer["units"]
    else:
        raise ValueError(f"type {kind!r} is not a layer")
    return (int(weights), int(units) * bool(layer["use_bias"]))


def network_summary(input_shape, layers):
    shapes, params = [], []
    for layer in layers:
        params.append(sum(layer_params(input_shape, layer)))
        input_shape = layer_output_shape(input_shape, layer)
        shapes.append(input_shape)
    return shapes, params, sum(params)


def batch_norm(x, params, training, momentum=0.9, epsilon=1e-3):
    x = tf.convert_to_tensor(x)
    x = tf.cast(x, tf.float32)
    if training:
        mean, variance = tf.nn.moments(x, axes=[0, 1, 2])
        for name, batch in (("moving_mean", mean), ("moving_variance", variance)):
            params[name].assign_sub((1.0 - momentum) * (params[name] - batch))
    else:
        mean, variance = params["moving_mean"], params["moving_variance"]
    return tf.nn.batch_normalization(x, mean, variance, offset=params["beta"], scale=params["gamma"],
                                     variance_epsilon=epsilon)


def _preact(x, bn, training):
    return tf.nn.relu(batch_norm(x, bn, training))


def residual_unit(x, params, training, stride=1):
    x = tf.cast(x, tf.float32)
    a = _preact(x, params["bn1"], training)
    h = tf.nn.convolution(a, params["conv1_w"], strides=stride, padding="SAME")
    h = tf.nn.convolution(_preact(h, params["bn2"], training), params["conv2_w"], padding="SAME")
    if "proj_w" not in params:
        return tf.add(h, x)
    return tf.add(h, tf.nn.convolution(a, params["proj_w"], strides=stride, padding="SAME"))


def dense_block(x, params, training):
    features = [tf.cast(x, tf.float32)]
    for layer in params:
        inputs = tf.concat(features, axis=3)
        features.append(tf.nn.convolution(_preact(inputs, layer["bn"], training), layer["conv_w"], padding="SAME"))
    return tf.concat(features, axis=3)


def init_resnet(input_shape, n_classes, widths=(8, 16), seed=0):
    keys = iter(range(1000))

    def he(*shape):
        fan_in = shape[0] * shape[1] * shape[2]
        return tf.Variable(tf.random.stateless_normal(shape, seed=[seed, next(keys)], stddev=(2.0 / fan_in) ** 0.5))

    def bn(c):
        return {"gamma": tf.Variable(tf.ones([c])), "beta": tf.Variable(tf.zeros([c])),
                "moving_mean": tf.Variable(tf.zeros([c]), trainable=False),
                "moving_variance": tf.Variable(tf.ones([c]), trainable=False)}

    units = []
    for i, width in enumerate(widths):
        c = widths[i - 1] if i else widths[0]
        unit = dict(bn1=bn(c), conv1_w=he(3, 3, c, width), bn2=bn(width), conv2_w=he(3, 3, width, width))
        if i:
            unit["proj_w"] = he(1, 1, c, width)
        units.append(unit)
    dense = tf.keras.initializers.GlorotUniform(seed=seed)((widths[-1], n_classes))
    return {"stem_w": he(3, 3, input_shape[2], widths[0]), "units": units, "bn": bn(widths[-1]),
            "dense_w": tf.Variable(dense), "dense_b": tf.Variable(tf.zeros([n_classes]))}


def resnet_forward(params, x, training):
    h = tf.nn.convolution(tf.cast(x, tf.float32), params["stem_w"], padding="SAME")
    for unit in params["units"]:
        h = residual_unit(h, unit, training, stride=(1, 2)["proj_w" in unit])
    h = tf.reduce_mean(_preact(h, params["bn"], training), axis=(1, 2))
    return tf.matmul(h, params["dense_w"]) + params["dense_b"]


@tf.function
def _train_step(params, optimizer, variables, x, y):
    with tf.GradientTape() as tape:
        logits = resnet_forward(params, x, True)
        loss = tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y, logits, from_logits=True))
    optimizer.apply(tape.gradient(loss, variables), variables)
    return loss


def train_resnet(params, optimizer, x, y, epochs, batch_size, seed=0):
    x, y = np.float32(x), np.float32(y)
    variables = [v for v in tf.nest.flatten(params) if v.trainable]
    if not optimizer.built:
        optimizer.build(variables)
    n = len(x) // batch_size * batch_size
    losses = []
    for epoch in range(epochs):
        batches = np.random.default_rng(seed + epoch).permutation(len(x))[:n].reshape(-1, batch_size)
        losses.append(float(np.mean([_train_step(params, optimizer, variables, x[b], y[b]) for b in batches])))
    return {"loss": losses}
'''),
    Alternative("loops_and_plain_formulas", '''
import numpy as np
import tensorflow as tf


def _check_window(name, window, height, width, padding):
    if padding == "valid" and (window[0] > height or window[1] > width):
        raise ValueError(f"the {name} {window} does not fit in {height}x{width} without padding")


def layer_output_shape(input_shape, layer):
    t = layer["type"]
    if t == "conv" or t == "pool":
        if len(input_shape) != 3:
            raise ValueError("wrong input for this layer type: " + t)
        if layer["padding"] != "same" and layer["padding"] != "valid":
            raise ValueError("bad padding: " + str(layer["padding"]))
        if not layer["stride"] >= 1:
            raise ValueError("bad stride: " + str(layer["stride"]))
        name = "kernel" if t == "conv" else "size"
        _check_window(name, layer[name], input_shape[0], input_shape[1], layer["padding"])
        out = []
        for n, k in zip(input_shape[:2], layer[name]):
            s = layer["stride"]
            if layer["padding"] == "same":
                size = n // s + (1 if n % s else 0)
            else:
                size = 1
                while size * s + k <= n:
                    size += 1
            out.append(size)
        out.append(layer["filters"] if t == "conv" else input_shape[2])
        return tuple(out)
    if t == "flatten":
        total = 1
        for n in input_shape:
            total *= n
        return (total,)
    if t == "dense":
        if len(input_shape) == 1:
            return (layer["units"],)
        raise ValueError("a dense layer (type) takes a flat input")
    raise ValueError("bad type: " + repr(t))


def layer_params(input_shape, layer):
    t = layer["type"]
    if t == "conv":
        kh, kw = layer["kernel"]
        return kh * kw * input_shape[2] * layer["filters"], (layer["filters"] if layer["use_bias"] else 0)
    if t == "dense":
        return input_shape[0] * layer["units"], (layer["units"] if layer["use_bias"] else 0)
    if t == "pool" or t == "flatten":
        return 0, 0
    raise ValueError("bad type: " + repr(t))


def network_summary(input_shape, layers):
    shapes = []
    counts = []
    current = input_shape
    for layer in layers:
        nxt = layer_output_shape(current, layer)
        w, b = layer_params(current, layer)
        shapes.append(nxt)
        counts.append(w + b)
        current = nxt
    total = 0
    for c in counts:
        total += c
    return shapes, counts, total


def batch_norm(x, params, training, momentum=0.9, epsilon=1e-3):
    x = tf.cast(x, tf.float32)
    if training:
        count = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), tf.float32)
        mean = tf.reduce_sum(x, axis=[0, 1, 2]) / count
        variance = tf.reduce_sum((x - mean) ** 2, axis=[0, 1, 2]) / count
        new_mean = momentum * params["moving_mean"] + (1.0 - momentum) * mean
        new_variance = momentum * params["moving_variance"] + (1.0 - momentum) * variance
        params["moving_mean"].assign(new_mean)
        params["moving_variance"].assign(new_variance)
    else:
        mean = tf.identity(params["moving_mean"])
        variance = tf.identity(params["moving_variance"])
    scale = params["gamma"] * tf.math.rsqrt(variance + epsilon)
    return x * scale + (params["beta"] - mean * scale)


def residual_unit(x, params, training, stride=1):
    x = tf.cast(x, tf.float32)
    out = tf.nn.relu(batch_norm(x, params["bn1"], training))
    a = out
    out = tf.nn.conv2d(out, params["conv1_w"], [1, stride, stride, 1], "SAME")
    out = tf.nn.relu(batch_norm(out, params["bn2"], training))
    out = tf.nn.conv2d(out, params["conv2_w"], [1, 1, 1, 1], "SAME")
    skip = x
    if "proj_w" in params.keys():
        skip = tf.nn.conv2d(a, params["proj_w"], [1, stride, stride, 1], "SAME")
    return out + skip


def dense_block(x, params, training):
    out = tf.cast(x, tf.float32)
    for i in range(len(params)):
        new = tf.nn.relu(batch_norm(out, params[i]["bn"], training))
        new = tf.nn.conv2d(new, params[i]["conv_w"], 1, "SAME")
        out = tf.concat([out, new], 3)
    return out


def init_resnet(input_shape, n_classes, widths=(8, 16), seed=0):
    rng = np.random.default_rng(seed)

    def normal(shape):
        std = np.sqrt(2.0 / (shape[0] * shape[1] * shape[2]))
        return tf.Variable(np.float32(std * rng.standard_normal(shape)))

    def norm(c):
        out = {}
        out["gamma"] = tf.Variable(np.ones(c, np.float32))
        out["beta"] = tf.Variable(np.zeros(c, np.float32))
        out["moving_mean"] = tf.Variable(np.zeros(c, np.float32), trainable=False)
        out["moving_variance"] = tf.Variable(np.ones(c, np.float32), trainable=False)
        return out

    params = {}
    params["stem_w"] = normal((3, 3, input_shape[-1], widths[0]))
    params["units"] = []
    previous = widths[0]
    for i in range(len(widths)):
        unit = {}
        unit["bn1"] = norm(previous)
        unit["conv1_w"] = normal((3, 3, previous, widths[i]))
        unit["bn2"] = norm(widths[i])
        unit["conv2_w"] = normal((3, 3, widths[i], widths[i]))
        if i >= 1:
            unit["proj_w"] = normal((1, 1, previous, widths[i]))
        params["units"].append(unit)
        previous = widths[i]
    params["bn"] = norm(widths[-1])
    limit = np.sqrt(6.0 / (widths[-1] + n_classes))
    params["dense_w"] = tf.Variable(np.float32(rng.uniform(-limit, limit, (widths[-1], n_classes))))
    params["dense_b"] = tf.Variable(np.zeros(n_classes, np.float32))
    return params


def resnet_forward(params, x, training):
    out = tf.nn.conv2d(tf.cast(x, tf.float32), params["stem_w"], 1, "SAME")
    for unit in params["units"]:
        if "proj_w" in unit:
            out = residual_unit(out, unit, training, stride=2)
        else:
            out = residual_unit(out, unit, training)
    out = tf.nn.relu(batch_norm(out, params["bn"], training))
    out = tf.reduce_mean(tf.reduce_mean(out, axis=2), axis=1)
    return tf.matmul(out, params["dense_w"]) + params["dense_b"]


def _trainable(params, found):
    if isinstance(params, dict):
        for key in sorted(params):
            _trainable(params[key], found)
    elif isinstance(params, list):
        for item in params:
            _trainable(item, found)
    elif params.trainable:
        found.append(params)
    return found


def train_resnet(params, optimizer, x, y, epochs, batch_size, seed=0):
    variables = _trainable(params, [])
    if not optimizer.built:
        optimizer.build(variables)
    x = tf.constant(np.asarray(x), dtype=tf.float32)
    y = tf.constant(np.asarray(y), dtype=tf.float32)

    def one_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = resnet_forward(params, xb, True)
            log_p = tf.nn.log_softmax(logits)
            loss = -tf.reduce_mean(tf.reduce_sum(yb * log_p, axis=1))
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(list(zip(gradients, variables)))
        return loss

    step = tf.function(one_step)
    history = {"loss": []}
    for epoch in range(epochs):
        order = np.random.default_rng(seed + epoch).permutation(int(x.shape[0]))
        total, count = 0.0, 0
        for start in range(0, int(x.shape[0]) - batch_size + 1, batch_size):
            idx = order[start:start + batch_size]
            total += float(step(tf.gather(x, idx), tf.gather(y, idx)))
            count += 1
        history["loss"].append(total / count)
    return history
'''),
]
