"""Scenarios that call the student's TensorFlow functions, inside the sandbox.

TensorFlow objects cannot cross to the judge, so each scenario builds them here from
plain arrays (nested dicts and lists of weights become the same of ``tf.Variable``s,
``moving_*`` ones not trainable), calls the student's function and sends back plain
arrays: the output, every variable after the call (keyed by its path, as
``"units[1]/bn2/moving_mean"``) and, given a ``cotangent``, the gradients of
``sum(cotangent * output)`` with respect to x and every trainable variable, from a
``tf.GradientTape``. The judge runs the same scenarios on the reference
(``solutions.convnets``), so both sides take the very same steps. Nothing here is hidden.

``train_resnet`` gets an optimizer built here (Keras ``SGD`` or ``Adam``), so that it is
graded apart from everything but the functions it calls.
"""
import numpy as np
import tensorflow as tf


def student(namespace, name: str):
    """The student's function, or the NameError that calling it by name would raise."""
    if name not in namespace:
        raise NameError(f"name '{name}' is not defined")
    return namespace[name]


def as_variables(weights, name: str = ""):
    """Nested dicts and lists of arrays as the same of float32 tf.Variables; the moving
    statistics of a batch norm are not trainable."""
    if isinstance(weights, dict):
        return {key: as_variables(value, key) for key, value in weights.items()}
    if isinstance(weights, (list, tuple)):
        return [as_variables(value) for value in weights]
    return tf.Variable(np.asarray(weights, np.float32), trainable=not name.startswith("moving_"), name=name or None)


def leaves(params, path: str = "") -> list:
    """``[(path, leaf)]`` of nested dicts and lists: ``stem_w``, ``units[0]/bn1/gamma``."""
    if isinstance(params, dict):
        return [item for key, value in params.items()
                for item in leaves(value, f"{path}/{key}" if path else str(key))]
    if isinstance(params, (list, tuple)):
        return [item for i, value in enumerate(params) for item in leaves(value, f"{path}[{i}]")]
    return [(path, params)]


def as_plain(value):
    """A tensor or variable as a numpy array; anything else as it is (the judge says what it is)."""
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return value.numpy()
    return value


def as_number(value):
    """One number of a history list, whatever float type it came as."""
    try:
        array = np.asarray(value)
    except Exception:
        return value
    return float(array) if array.shape == () and array.dtype.kind in "iuf" else value


def run(call, x, params, cotangent=None) -> dict:
    """``call(x)``'s output, every variable after it (the very variables built here, by
    their paths) and the paths whose variable ``call`` replaced in params by another
    object; with a ``cotangent`` (an array of the output's shape), x is a float32 tensor
    and the gradients of ``sum(cotangent * y)`` come back too: ``{"x": ..., path: ...}``,
    None where none flows."""
    built = leaves(params)
    trainable = [(path, leaf) for path, leaf in built if leaf.trainable]
    if cotangent is None:
        y = call(x)
    else:
        x = tf.constant(np.asarray(x, np.float32))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = call(x)
            connected = isinstance(y, tf.Tensor) and tuple(y.shape) == cotangent.shape
            if connected:
                loss = tf.reduce_sum(tf.cast(y, tf.float32) * cotangent)
    now = dict(leaves(params))
    result = {"y": as_plain(y), "after": {path: leaf.numpy() for path, leaf in built},
              "replaced": [path for path, leaf in built if now.get(path) is not leaf]}
    if cotangent is not None:
        result["gradients"] = None
        if connected:
            gradients = tape.gradient(loss, [x] + [leaf for _, leaf in trainable])
            names = ["x"] + [path for path, _ in trainable]
            result["gradients"] = {name: as_plain(g) for name, g in zip(names, gradients)}
    return result


def batch_norm(namespace, x, weights, training, cotangent=None, momentum=None, epsilon=None):
    params = as_variables(weights)
    options = {key: value for key, value in (("momentum", momentum), ("epsilon", epsilon)) if value is not None}
    return run(lambda x: student(namespace, "batch_norm")(x, params, training, **options), x, params, cotangent)


def residual_unit(namespace, x, weights, training, stride, cotangent=None):
    params = as_variables(weights)
    return run(lambda x: student(namespace, "residual_unit")(x, params, training, stride=stride), x, params,
               cotangent)


def dense_block(namespace, x, weights, training, cotangent=None):
    params = as_variables(weights)
    return run(lambda x: student(namespace, "dense_block")(x, params, training), x, params, cotangent)


def resnet_forward(namespace, x, weights, training, cotangent=None):
    params = as_variables(weights)
    return run(lambda x: student(namespace, "resnet_forward")(params, x, training), x, params, cotangent)


def init_resnet(namespace, input_shape, n_classes, widths, seed):
    """``[(path, type name, is a tf.Variable, trainable, value)]``, or the type of what
    came back when it is no dict; ``widths`` None: init_resnet's default."""
    options = {} if widths is None else {"widths": tuple(widths)}
    made = student(namespace, "init_resnet")(tuple(input_shape), n_classes, seed=seed, **options)
    if not isinstance(made, dict):
        return type(made).__name__
    return [(path, type(leaf).__name__, isinstance(leaf, tf.Variable), bool(getattr(leaf, "trainable", False)),
             as_plain(leaf)) for path, leaf in leaves(made)]


def keras_optimizer(name: str, learning_rate: float):
    """A fresh Keras optimizer, not yet built: train_resnet builds it."""
    if name == "sgd":
        return tf.keras.optimizers.SGD(learning_rate=learning_rate)
    return tf.keras.optimizers.Adam(learning_rate=learning_rate)


def train_resnet(namespace, weights, optimizer, learning_rate, x, y, epochs, batch_size, seed, built=False):
    """train_resnet's history (numbers as floats) and every variable after it; ``built``:
    the optimizer comes already built on the trainable variables."""
    params = as_variables(weights)
    variables = leaves(params)
    keras = keras_optimizer(optimizer, learning_rate)
    if built:
        keras.build([leaf for _, leaf in variables if leaf.trainable])
    history = student(namespace, "train_resnet")(params, keras, x, y, epochs, batch_size, seed=seed)
    if isinstance(history, dict):
        history = {str(key): [as_number(v) for v in values] if isinstance(values, (list, tuple)) else as_plain(values)
                   for key, values in history.items()}
    return {"history": history, "after": {path: leaf.numpy() for path, leaf in variables}}


SCENARIOS = {
    "batch_norm": batch_norm,
    "residual_unit": residual_unit,
    "dense_block": dense_block,
    "init_resnet": init_resnet,
    "resnet_forward": resnet_forward,
    "train_resnet": train_resnet,
}
