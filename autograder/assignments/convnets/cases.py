"""Cases for the convnets tests: layer specs and the networks of the notes, random specs
and bad ones; random weights for batch norms, residual units, dense blocks and ResNets;
small training sets and the digits.

Every corner is a case of its own, named, that varies one thing from a plain baseline;
the rng draws the values (and the sizes where the corner leaves them free), never which
corners there are. Training-mode statistics always cover at least 4 values per channel.
"""
import functools

import numpy as np

# Part 1: layer specs --------------------------------------------------------------------


def conv(filters, kernel, stride=1, padding="same", use_bias=True) -> dict:
    return {"type": "conv", "filters": int(filters), "kernel": tuple(int(k) for k in kernel), "stride": int(stride),
            "padding": padding, "use_bias": bool(use_bias)}


def pool(size, stride, padding="valid") -> dict:
    return {"type": "pool", "size": tuple(int(k) for k in size), "stride": int(stride), "padding": padding}


def dense(units, use_bias=True) -> dict:
    return {"type": "dense", "units": int(units), "use_bias": bool(use_bias)}


FLATTEN = {"type": "flatten"}

# (input shape, layers): the networks of the notes
NETWORKS = {
    "LeNet-5": ((32, 32, 1), [conv(6, (5, 5), padding="valid"), pool((2, 2), 2), conv(16, (5, 5), padding="valid"),
                              pool((2, 2), 2), FLATTEN, dense(120), dense(84), dense(10)]),
    "AlexNet's first layers": ((227, 227, 3), [conv(96, (11, 11), 4, "valid"), pool((3, 3), 2),
                                               conv(256, (5, 5)), pool((3, 3), 2), conv(384, (3, 3)),
                                               conv(384, (3, 3)), conv(256, (3, 3)), pool((3, 3), 2)]),
    "a VGG block": ((224, 224, 3), [conv(64, (3, 3)), conv(64, (3, 3)), pool((2, 2), 2)]),
    "the notes' MNIST network": ((28, 28, 1), [conv(32, (3, 3)), pool((2, 2), 2), conv(64, (3, 3)), pool((2, 2), 2),
                                               FLATTEN, dense(256), dense(10)]),
}


def output_shape(input_shape, layer) -> tuple:
    from solutions import convnets as reference

    return reference.layer_output_shape(input_shape, layer)


def chain(input_shape, layers) -> list:
    """``[(input_shape, layer)]`` along a stack, each input the previous layer's output."""
    pairs, shape = [], tuple(input_shape)
    for layer in layers:
        pairs.append((shape, layer))
        shape = output_shape(shape, layer)
    return pairs


def _size(rng, window: int, stride: int, padding: str) -> int:
    """An input size where the usual slips show: larger than the window, and not divided
    by the stride ("same") or leaving a remainder after the window ("valid")."""
    n = int(rng.integers(window + 1, window + 25))
    while stride > 1 and (n if padding == "same" else n - window) % stride == 0:
        n += 1
    return n


def window_layer(rng, kind: str, padding: str, stride: int, rectangular: bool = False) -> tuple:
    """``(input_shape, layer)``: a conv or pool layer with a window wider than its stride
    (so that "same" and "valid" differ) on an input of a size where its output's rounding
    shows; ``rectangular``: kh < kw and H < W. A conv's filters differ from C."""
    kh = int(rng.integers(stride + 1, stride + 5))
    kw = kh + int(rng.integers(1, 3)) if rectangular else kh
    H, W, C = _size(rng, kh, stride, padding), _size(rng, kw, stride, padding), int(rng.integers(1, 17))
    while rectangular and W <= H:
        W += stride
    if kind == "pool":
        return (H, W, C), pool((kh, kw), stride, padding)
    F = int(rng.integers(1, 65))
    return (H, W, C), conv(F + (F == C), (kh, kw), stride, padding, use_bias=bool(rng.integers(2)))


def image_shape(rng, low: int = 5, high: int = 30) -> tuple:
    return int(rng.integers(low, high)), int(rng.integers(low, high)), int(rng.integers(1, 17))


def _strides_not_dividing(rng, padding: str) -> list:
    return [window_layer(rng, kind, padding, int(rng.integers(2, 5))) for kind in ("conv", "pool")]


def _random_specs(rng) -> list:
    return [window_layer(rng, kind, padding, int(rng.integers(2, 4)))
            for kind in ("conv", "pool") for padding in ("same", "valid")]


def _rectangular(rng) -> list:
    return [window_layer(rng, "conv", "valid", 1, rectangular=True),
            window_layer(rng, "pool", "valid", 1, rectangular=True),
            window_layer(rng, "conv", "same", 2, rectangular=True)]


def _window_as_large_as_the_input(rng) -> list:
    H, W, C = int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(1, 9))
    return [((H, W, C), conv(rng.integers(1, 33), (H, W), 1, "valid")), ((H, W, C), pool((H, W), 2, "valid"))]


def _same_window_larger_than_the_input(rng) -> list:
    """Fine under "same": the output is ceil(n / s) whatever the window."""
    H, W, C = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(1, 9))
    return [((H, W, C), conv(rng.integers(1, 33), (H + 2, W + 1), 1, "same")),
            ((H, W, C), pool((H + 1, W + 3), 2, "same"))]


def _flatten_and_dense(rng) -> list:
    shape = image_shape(rng, 2, 9)
    D = int(np.prod(shape))
    return [(shape, FLATTEN), ((D,), dense(rng.integers(1, 129), use_bias=True)),
            ((int(rng.integers(1, 300)),), dense(rng.integers(1, 129), use_bias=False))]


# name: rng -> [(input_shape, layer)], each pair one call
SHAPE_CASES = {
    **{name: (lambda rng, network=network: chain(*network)) for name, network in NETWORKS.items()},
    "'same' padding, strides that do not divide": lambda rng: _strides_not_dividing(rng, "same"),
    "'valid' padding, strides that do not divide": lambda rng: _strides_not_dividing(rng, "valid"),
    "rectangular kernels and windows": _rectangular,
    "a window as large as the input, 'valid'": _window_as_large_as_the_input,
    "a window larger than the input, 'same'": _same_window_larger_than_the_input,
    "flatten and dense layers": _flatten_and_dense,
    "random valid specs": _random_specs,
}


def _conv_counts(rng, use_bias: bool) -> list:
    """A rectangular kernel, and as many filters as input channels never."""
    shape, layer = window_layer(rng, "conv", ("same", "valid")[int(rng.integers(2))], int(rng.integers(1, 3)),
                                rectangular=True)
    return [(shape, {**layer, "use_bias": use_bias})]


def _dense_counts(rng, use_bias: bool) -> list:
    D, U = int(rng.integers(2, 500)), int(rng.integers(2, 200))
    return [((D,), dense(U + (U == D), use_bias))]


PARAMS_CASES = {
    "conv with bias": lambda rng: _conv_counts(rng, True),
    "conv without bias": lambda rng: _conv_counts(rng, False),
    "dense with bias": lambda rng: _dense_counts(rng, True),
    "dense without bias": lambda rng: _dense_counts(rng, False),
    "pool and flatten": lambda rng: [window_layer(rng, "pool", "valid", 2), (image_shape(rng), FLATTEN)],
    "LeNet-5": lambda rng: chain(*NETWORKS["LeNet-5"]),
}


def random_stack(rng) -> tuple:
    """``(input_shape, layers)``: a "same" conv without bias, stride 2 on odd sizes; an
    overlapping "valid" pool, stride 2 on even ones (a remainder after the window); a
    rectangular "valid" conv; flatten; a dense layer without bias and one with."""
    # 4j + 3 becomes 2j + 2 after the first conv
    shape = (4 * int(rng.integers(4, 8)) + 3, 4 * int(rng.integers(4, 8)) + 3, int(rng.integers(1, 4)))
    layers = [conv(rng.integers(4, 17), (3, 3), 2, "same", use_bias=False), pool((3, 3), 2, "valid"),
              conv(rng.integers(4, 17), (2, 3), 1, "valid", use_bias=True), FLATTEN,
              dense(rng.integers(8, 65), use_bias=False), dense(rng.integers(2, 11), use_bias=True)]
    return shape, layers


SUMMARY_CASES = {**{name: (lambda rng, network=network: network) for name, network in NETWORKS.items()},
                 "a random stack": random_stack}

# Bad specs: (what is wrong, in words; the field the message names; rng -> (input_shape, bad layer, good layer))


def _bad(field: str, value):
    """A valid "valid" conv (or pool, for ``size``) layer with ``field`` set to ``value``."""

    def make(rng):
        kind = "pool" if field == "size" else "conv"
        shape, good = window_layer(rng, kind, "valid", 2)
        bad = dict(good)
        bad[field] = value(shape, good) if callable(value) else value
        return shape, bad, good

    return make


def _wrong_input(kind: str):
    """A dense layer on an image, or a conv or pool layer on a flat input."""

    def make(rng):
        if kind == "dense":
            return image_shape(rng, 4, 9), dense(rng.integers(1, 33)), None
        image, layer = window_layer(rng, kind, "same", int(rng.integers(1, 3)))
        return (int(np.prod(image)),), layer, None

    return make


BAD_SPECS = {
    "the kernel is larger than the input under 'valid'": (
        "kernel", _bad("kernel", lambda shape, good: (shape[0] + 1, good["kernel"][1]))),
    "the pool window is larger than the input under 'valid'": (
        "size", _bad("size", lambda shape, good: (good["size"][0], shape[1] + 2))),
    "the stride is 0": ("stride", _bad("stride", 0)),
    "the stride is negative": ("stride", _bad("stride", -1)),
    "the type is unknown": ("type", _bad("type", "batchnorm")),
    "the padding is unknown": ("padding", _bad("padding", "full")),
    "a dense layer gets an (H, W, C) input": ("type", _wrong_input("dense")),
    "a conv layer gets a flat input": ("type", _wrong_input("conv")),
    "a pool layer gets a flat input": ("type", _wrong_input("pool")),
}


def bad_stack(rng, where: str) -> tuple:
    """``(input_shape, layers, field)``: a random stack, broken ``where``."""
    shape, layers = random_stack(rng)
    if where == "dense before flatten":
        return shape, layers[:2] + [dense(10)] + layers[2:], "type"
    inner = output_shape(*chain(shape, layers[:3])[-1])
    window = (inner[0] + 1, 1)
    return shape, layers[:3] + [pool(window, 1, "valid")] + layers[3:], "size"


# Parts 2 and 3: weights and images --------------------------------------------------------


def images(rng, shape, dtype=np.float32) -> np.ndarray:
    """Images whose channels have means and spreads of their own, far from the moving statistics."""
    C = shape[-1]
    return (rng.uniform(-1, 1, C) + rng.uniform(0.5, 2, C) * rng.standard_normal(shape)).astype(dtype)


def bn_weights(rng, channels: int) -> dict:
    """A batch norm's weights, none at its initial value: gamma near 1, beta, and moving
    statistics that differ from any batch's."""
    return {"gamma": rng.uniform(0.5, 1.5, channels).astype(np.float32),
            "beta": (0.5 * rng.standard_normal(channels)).astype(np.float32),
            "moving_mean": (0.5 * rng.standard_normal(channels)).astype(np.float32),
            "moving_variance": rng.uniform(0.5, 2.0, channels).astype(np.float32)}


def conv_weights(rng, shape) -> np.ndarray:
    kh, kw, c_in, _ = shape
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (kh * kw * c_in))).astype(np.float32)


def unit_weights(rng, c_in: int, width: int, projection: bool) -> dict:
    weights = {"bn1": bn_weights(rng, c_in), "conv1_w": conv_weights(rng, (3, 3, c_in, width)),
               "bn2": bn_weights(rng, width), "conv2_w": conv_weights(rng, (3, 3, width, width))}
    if projection:
        weights["proj_w"] = conv_weights(rng, (1, 1, c_in, width))
    return weights


def block_weights(rng, channels: int, growth: int, layers: int) -> list:
    return [{"bn": bn_weights(rng, channels + i * growth),
             "conv_w": conv_weights(rng, (3, 3, channels + i * growth, growth))} for i in range(layers)]


def resnet_weights(rng, channels: int, n_classes: int, widths) -> dict:
    """Random weights of every shape init_resnet gives, biases not zero."""
    return {"stem_w": conv_weights(rng, (3, 3, channels, widths[0])),
            "units": [unit_weights(rng, widths[max(i - 1, 0)], width, projection=i > 0)
                      for i, width in enumerate(widths)],
            "bn": bn_weights(rng, widths[-1]),
            "dense_w": (rng.standard_normal((widths[-1], n_classes)) / np.sqrt(widths[-1])).astype(np.float32),
            "dense_b": (0.5 * rng.standard_normal(n_classes)).astype(np.float32)}


# name: (x shape, options); training is the test's
BATCH_NORM_CORNERS = {
    "plain": {"x": (2, 3, 3, 4)},
    "float64 x": {"x": (2, 3, 3, 4), "dtype": np.float64},
    "one image, 2x2 (4 values per channel)": {"x": (1, 2, 2, 3)},
    "one channel": {"x": (3, 2, 3, 1)},
    "momentum=0.5, epsilon=0.1": {"x": (2, 3, 3, 4), "momentum": 0.5, "epsilon": 0.1},
}


def batch_norm_case(rng, corner: str, training: bool, gradients: bool = False) -> dict:
    spec = BATCH_NORM_CORNERS[corner]
    x = images(rng, spec["x"], spec.get("dtype", np.float32))
    inputs = {"x": x, "weights": bn_weights(rng, x.shape[-1]), "training": training}
    inputs.update({key: spec[key] for key in ("momentum", "epsilon") if key in spec})
    if gradients:
        inputs["cotangent"] = rng.standard_normal(x.shape).astype(np.float32)
    return inputs


# name: (x shape, width F, stride, projection)
RESIDUAL_CORNERS = {
    "identity shortcut, stride 1": {"x": (2, 4, 4, 3), "width": 3, "stride": 1, "projection": False},
    "identity shortcut, float64 x": {"x": (2, 4, 4, 3), "width": 3, "stride": 1, "projection": False,
                                     "dtype": np.float64},
    "projection, stride 1": {"x": (2, 4, 4, 2), "width": 3, "stride": 1, "projection": True},
    "projection, stride 2, odd 5x5 input": {"x": (2, 5, 5, 2), "width": 4, "stride": 2, "projection": True},
    "projection, stride 2, 4x6 input": {"x": (2, 4, 6, 3), "width": 2, "stride": 2, "projection": True},
}


def _cotangent(rng, shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def residual_case(rng, corner: str, training: bool, gradients: bool = False) -> dict:
    spec = RESIDUAL_CORNERS[corner]
    x = images(rng, spec["x"], spec.get("dtype", np.float32))
    inputs = {"x": x, "weights": unit_weights(rng, x.shape[-1], spec["width"], spec["projection"]),
              "training": training, "stride": spec["stride"]}
    if gradients:
        N, H, W, _ = x.shape
        s = spec["stride"]
        inputs["cotangent"] = _cotangent(rng, (N, -(-H // s), -(-W // s), spec["width"]))
    return inputs


# name: (x shape, growth rate k, layers L)
DENSE_CORNERS = {
    "2 layers, growth rate 3": {"x": (2, 4, 4, 2), "growth": 3, "layers": 2},
    "1 layer": {"x": (2, 3, 4, 3), "growth": 2, "layers": 1},
    "3 layers, growth rate 1": {"x": (1, 4, 4, 2), "growth": 1, "layers": 3},
    "float64 x": {"x": (2, 4, 4, 2), "growth": 3, "layers": 2, "dtype": np.float64},
}


def dense_case(rng, corner: str, training: bool, gradients: bool = False) -> dict:
    spec = DENSE_CORNERS[corner]
    x = images(rng, spec["x"], spec.get("dtype", np.float32))
    inputs = {"x": x, "weights": block_weights(rng, x.shape[-1], spec["growth"], spec["layers"]),
              "training": training}
    if gradients:
        inputs["cotangent"] = _cotangent(rng, x.shape[:-1] + (x.shape[-1] + spec["growth"] * spec["layers"],))
    return inputs


# name: (x shape, widths, classes)
RESNET_CORNERS = {
    "widths (4, 6), 8x8x1 images": {"x": (4, 8, 8, 1), "widths": (4, 6), "classes": 10},
    "three units, odd 7x9x2 images": {"x": (3, 7, 9, 2), "widths": (3, 4, 6), "classes": 5},
    "one unit, no projection": {"x": (2, 6, 6, 3), "widths": (5,), "classes": 3},
    "float64 images": {"x": (4, 8, 8, 1), "widths": (4, 6), "classes": 10, "dtype": np.float64},
}


def resnet_case(rng, corner: str, training: bool, gradients: bool = False) -> dict:
    spec = RESNET_CORNERS[corner]
    x = images(rng, spec["x"], spec.get("dtype", np.float32))
    inputs = {"x": x, "weights": resnet_weights(rng, x.shape[-1], spec["classes"], spec["widths"]),
              "training": training}
    if gradients:
        inputs["cotangent"] = _cotangent(rng, (x.shape[0], spec["classes"]))
    return inputs


# init_resnet: name: (input_shape, n_classes, widths; None for the default)
INIT_CASES = {
    "8x8x1 digits, the default widths": ((8, 8, 1), 10, None),
    "7x9x3 images, widths (4, 6, 10)": ((7, 9, 3), 5, (4, 6, 10)),
    "one width (5,)": ((6, 6, 2), 2, (5,)),
}
# large enough for the statistics of every weight: at least 480 values each
INIT_STATISTICS = ((12, 12, 3), 10, (24, 48))


# Part 4: training ------------------------------------------------------------------------


def one_hot(labels, classes: int, dtype=np.float32) -> np.ndarray:
    return np.eye(classes, dtype=dtype)[labels]


def train_case(rng, optimizer: str, epochs: int, built: bool, dtype=np.float64) -> dict:
    """The train_resnet scenario's inputs: a small ResNet on a few random images, some
    full batches and a partial one to drop."""
    image, classes, widths = (6, 6, 1), 3, (3, 4)
    batch_size = int(rng.integers(4, 7))
    n = int(rng.integers(2, 4)) * batch_size + int(rng.integers(1, batch_size))
    x = images(rng, (n, *image), dtype)
    learning_rate = float(rng.uniform(0.02, 0.1)) if optimizer == "sgd" else float(rng.uniform(1e-3, 5e-3))
    return {"weights": init_weights(rng, image, classes, widths), "optimizer": optimizer,
            "learning_rate": learning_rate, "x": x, "y": one_hot(rng.integers(0, classes, n), classes, dtype),
            "epochs": epochs, "batch_size": batch_size, "seed": int(rng.integers(1000)), "built": built}


def init_weights(rng, image, classes: int, widths) -> dict:
    """Fresh weights as init_resnet makes them (the reference's, from a seed the rng draws)."""
    from solutions import convnets as reference

    params = reference.init_resnet(image, classes, widths=widths, seed=int(rng.integers(2**31)))
    return _nested_arrays(params)


def _nested_arrays(params):
    if isinstance(params, dict):
        return {key: _nested_arrays(value) for key, value in params.items()}
    if isinstance(params, list):
        return [_nested_arrays(value) for value in params]
    return params.numpy()


@functools.lru_cache(maxsize=4)
def digits(seed: int) -> tuple:
    """``load_digits_split(seed)`` of the released notebook's locked ``data`` cell, run here
    (or kept from an earlier grading on this machine)."""
    from autograder.assignments.testing import released_cell_result

    return released_cell_result("convnets", "data", "load_digits_split", seed=seed)
