"""Cases for the tf2_migration tests: random networks, gradients, batches and the digits,
TF1's optimizers fed given gradients, and a reading of the student's source code."""
import ast
import functools

import numpy as np

from autograder.judge import remembered, source

NAMES = ("conv_w", "conv_b", "w1", "b1", "w2", "b2")

# Corners of the network: image shape (H, W, C), kernels, units, classes, batch, dtype.
CORNERS = {
    "8x8x1 digits": {"image": (8, 8, 1), "kernels": 10, "units": 100, "classes": 10},
    "odd height and width": {"image": (7, 9, 2)},
    "3 channels, float64 images": {"image": (6, 6, 3), "dtype": np.float64},
    "batch of 1": {"batch": 1},
    "wide 4x10 images": {"image": (4, 10, 1)},
}


def network_case(rng, corner: str, batch: int = None) -> dict:
    """``{weights, x, y}`` for the named corner: random weights whose ReLUs are partly
    dead and partly alive, images in [0, 1] and one-hot labels of the images' dtype."""
    spec = CORNERS[corner]
    image = spec.get("image", (int(rng.integers(2, 11)), int(rng.integers(2, 11)), int(rng.integers(1, 4))))
    kernels = spec.get("kernels", int(rng.integers(2, 7)))
    units = spec.get("units", int(rng.integers(3, 13)))
    classes = spec.get("classes", int(rng.integers(2, 11)))
    n = batch or spec.get("batch", int(rng.integers(2, 9)))
    dtype = spec.get("dtype", np.float32)
    x = rng.random((n, *image)).astype(dtype)
    return {"weights": random_weights(rng, image, kernels, units, classes), "x": x,
            "y": one_hot(rng.integers(0, classes, n), classes, dtype)}


def random_weights(rng, image, kernels: int, units: int, classes: int) -> dict:
    """Weights of every shape, scaled by 1/sqrt(fan_in), with non-zero biases."""
    H, W, C = image
    n_features = (H // 2) * (W // 2) * kernels
    fans = {"conv_w": ((3, 3, C, kernels), 9 * C), "w1": ((n_features, units), n_features),
            "w2": ((units, classes), units)}
    weights = {}
    for weight, bias, size in (("conv_w", "conv_b", kernels), ("w1", "b1", units), ("w2", "b2", classes)):
        shape, fan_in = fans[weight]
        weights[weight] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
        weights[bias] = (0.5 * rng.standard_normal(size)).astype(np.float32)
    return {name: weights[name] for name in NAMES}


def glorot_weights(rng, image, kernels: int, units: int, classes: int) -> dict:
    """Fresh weights as init_params makes them (Glorot uniform, zero biases)."""
    from solutions import tf2_migration as reference

    params = reference.init_params(image, classes, n_kernels=kernels, units=units, seed=int(rng.integers(2**31)))
    return {name: variable.numpy() for name, variable in params.items()}


def one_hot(labels, classes: int, dtype=np.float32) -> np.ndarray:
    return np.eye(classes, dtype=dtype)[labels]


def image_batches(rng, count: int, size: int, image, classes: int, dtype=np.float32) -> list:
    """``count`` random batches ``(x, y)`` of ``size`` images."""
    return [(rng.random((size, *image)).astype(dtype), one_hot(rng.integers(0, classes, size), classes, dtype))
            for _ in range(count)]


def gradient_steps(rng, weights: dict, count: int) -> list:
    """``count`` dicts of gradients, their sizes spread from 1e-7 to 1 so that Adam's
    epsilon matters for some entries."""
    return [{name: (rng.standard_normal(w.shape) * 10.0 ** rng.uniform(-7, 0, w.shape)).astype(np.float32)
             for name, w in weights.items()} for _ in range(count)]


def optimizer_case(rng, optimizer: str, learning_rate: float, steps: int) -> dict:
    """The make_optimizer scenario's inputs: digit-sized weights and ``steps`` gradients."""
    weights = network_case(rng, "8x8x1 digits")["weights"]
    return {"weights": weights, "name": optimizer, "learning_rate": learning_rate,
            "gradients": gradient_steps(rng, weights, steps)}


def train_case(rng, optimizer: str, learning_rate: float, steps: int, dtype) -> dict:
    """The train_step scenario's inputs: fresh weights for 8x8x1 digits and ``steps`` batches."""
    image, classes = (8, 8, 1), 10
    weights = glorot_weights(rng, image, kernels=int(rng.integers(4, 11)), units=int(rng.integers(16, 65)),
                             classes=classes)
    return {"weights": weights, "optimizer": optimizer, "learning_rate": learning_rate,
            "batches": image_batches(rng, steps, int(rng.integers(8, 33)), image, classes, dtype)}


def fit_case(rng, epochs: int, validation: bool) -> dict:
    """The fit scenario's inputs: SGD on float64 images, some batches and a partial one to
    drop, with validation images or none."""
    image, classes = (8, 8, 1), 10
    weights = glorot_weights(rng, image, kernels=int(rng.integers(4, 11)), units=int(rng.integers(16, 65)),
                             classes=classes)
    batch_size = int(rng.integers(8, 17))
    n = int(rng.integers(3, 6)) * batch_size + int(rng.integers(1, batch_size))
    (x, y), = image_batches(rng, 1, n, image, classes, np.float64)
    inputs = {"weights": weights, "optimizer": "sgd", "learning_rate": float(rng.uniform(0.05, 0.2)), "x": x, "y": y,
              "epochs": epochs, "batch_size": batch_size, "seed": int(rng.integers(1000))}
    if validation:
        (inputs["x_val"], inputs["y_val"]), = image_batches(rng, 1, int(rng.integers(5, 20)), image, classes,
                                                            np.float64)
    return inputs


def contract_batches(x, y, batch_size: int, seed: int, epoch: int) -> list:
    """The batches of one epoch of fit, in the contract's order; the partial batch is dropped."""
    order = np.random.default_rng(seed + epoch).permutation(len(x))
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x) - batch_size + 1, batch_size)]


@remembered
def tf1_apply_gradients(weights: dict, optimizer: str, learning_rate: float, steps: list) -> dict:
    """The weights after TF1's GradientDescentOptimizer ("sgd") or AdamOptimizer ("adam",
    epsilon 1e-8) applied each step's gradients, through placeholders and a Session."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        variables = [v1.Variable(weights[name]) for name in NAMES]
        gradients = [v1.placeholder(tf.float32, weights[name].shape) for name in NAMES]
        if optimizer == "sgd":
            tf1_optimizer = v1.train.GradientDescentOptimizer(learning_rate)
        else:
            tf1_optimizer = v1.train.AdamOptimizer(learning_rate, epsilon=1e-8)
        apply = tf1_optimizer.apply_gradients(zip(gradients, variables))
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            for step in steps:
                session.run(apply, feed_dict={g: step[name] for g, name in zip(gradients, NAMES)})
            return dict(zip(NAMES, session.run(variables)))


@functools.lru_cache(maxsize=4)
def digits(seed: int) -> tuple:
    """``load_digits_split(seed)`` of the released notebook's locked ``data`` cell, run here
    (or kept from an earlier grading on this machine)."""
    from autograder.assignments.testing import released_cell_result

    return released_cell_result("tf2_migration", "data", "load_digits_split", seed=seed)


# The student's source ------------------------------------------------------------------

TF1_ATTRIBUTES = {"Session", "InteractiveSession", "placeholder", "placeholder_with_default", "contrib",
                  "feed_dict"}


class Source(source.Source):
    """The cells the sandbox ran, read on the judge's side (``judge.source``), and the
    names that importing TF1's modules bound."""

    @functools.cached_property
    def tf1_aliases(self) -> set:
        """The names the cells bound by importing TF1's modules (read only when asked:
        every scenario the judge drives reads the cells, for their calls alone)."""
        return {name for _, tree in self.trees for node in ast.walk(tree) for name in _tf1_imported_names(node)}

    def tf1_uses(self, function: str) -> list:
        """``["tf.compat.v1 (line 3 of cell 9 (compute_loss))", ...]``: TF1 API the function reaches."""
        found = []
        for label, part in self.reach(function):
            for node in ast.walk(part):
                what = _tf1_use(node, self.tf1_aliases)
                if what:
                    found.append(f"{what} (line {node.lineno} of {label})")
        return list(dict.fromkeys(found))


def _is_tf1_module(module: str) -> bool:
    """``tensorflow.compat.v1``, ``tensorflow.contrib`` and what lies under them."""
    parts = module.split(".")
    return "contrib" in parts or any(a == "compat" and b == "v1" for a, b in zip(parts, parts[1:]))


def _tf1_imported_names(node) -> set:
    if isinstance(node, ast.Import):
        return {alias.asname for alias in node.names if alias.asname and _is_tf1_module(alias.name)}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {alias.asname or alias.name for alias in node.names
                if _is_tf1_module(node.module) or _is_tf1_module(f"{node.module}.{alias.name}")}
    return set()


def _tf1_use(node, aliases: set) -> str:
    """What in ``node`` is TF1's API, in words; "" when nothing."""
    if isinstance(node, ast.Attribute):
        if node.attr in TF1_ATTRIBUTES:
            return source.dotted(node)
        if node.attr == "v1" and source.dotted(node.value).split(".")[-1] == "compat":
            return source.dotted(node)
    if isinstance(node, ast.Name) and node.id in aliases:
        return node.id
    if isinstance(node, ast.keyword) and node.arg == "feed_dict":
        return "feed_dict="
    if isinstance(node, ast.Import) and any(_is_tf1_module(alias.name) for alias in node.names):
        return source.dotted(node)
    if isinstance(node, ast.ImportFrom) and _tf1_imported_names(node):
        return source.dotted(node)
    return ""


