"""Scenarios that call the student's TensorFlow 2 functions, inside the sandbox.

TensorFlow objects cannot cross to the judge, so each scenario builds them here from
plain arrays (weights become ``tf.Variable``s, an optimizer is built on them), calls the
student's functions in order and sends back plain numbers. Nothing here is hidden: the
inputs come from the judge and the expected values stay with it.

``train_step`` and ``fit`` get an optimizer built here, as the notebook's table says
(Keras ``SGD``, or ``Adam`` with TF1's epsilon), so that they are graded apart from
``make_optimizer``.
"""
import numpy as np
import tensorflow as tf

NAMES = ("conv_w", "conv_b", "w1", "b1", "w2", "b2")


def student(namespace, name: str):
    """The student's function, or the NameError that calling it by name would raise."""
    if name not in namespace:
        raise NameError(f"name '{name}' is not defined")
    return namespace[name]


def as_variables(weights: dict) -> dict:
    return {name: tf.Variable(np.asarray(weights[name], np.float32), name=name) for name in NAMES}


def as_arrays(params: dict) -> dict:
    return {name: params[name].numpy() for name in NAMES}


def keras_optimizer(name: str, learning_rate: float, params: dict):
    """TF1's GradientDescentOptimizer or AdamOptimizer, in Keras, built on params."""
    if name == "sgd":
        optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    else:
        optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)
    optimizer.build(list(params.values()))
    return optimizer


def as_plain(value):
    """A tensor or numpy value as a numpy array; anything else as it is (the judge says what it is)."""
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


def init_params(namespace, input_shape, n_classes, n_kernels, units, seed):
    """[(name, is a tf.Variable, value)] in the order of the returned dict."""
    make = student(namespace, "init_params")
    params = make(tuple(input_shape), n_classes, n_kernels=n_kernels, units=units, seed=seed)
    if not isinstance(params, dict):
        return type(params).__name__
    return [(str(name), isinstance(value, tf.Variable), as_plain(value)) for name, value in params.items()]


def forward(namespace, weights, x):
    return as_plain(student(namespace, "forward")(as_variables(weights), x))


def compute_loss(namespace, weights, x, y):
    return as_plain(student(namespace, "compute_loss")(as_variables(weights), x, y))


def predict(namespace, weights, x):
    return student(namespace, "predict")(as_variables(weights), x)  # a numpy array, as the notebook asks


def accuracy(namespace, weights, x, y):
    return student(namespace, "accuracy")(as_variables(weights), x, y)  # a Python float, as the notebook asks


def make_optimizer(namespace, weights, name, learning_rate, gradients):
    """The student's optimizer applies the given gradients, one dict per step."""
    params = as_variables(weights)
    optimizer = student(namespace, "make_optimizer")(name, learning_rate, params)
    report = {
        "type": type(optimizer).__name__,
        "keras_class": isinstance(optimizer, {"sgd": tf.keras.optimizers.SGD, "adam": tf.keras.optimizers.Adam}[name]),
        "built": bool(getattr(optimizer, "built", False)),
        "variables": len(optimizer.variables),
    }
    variables = list(params.values())
    for step in gradients:
        optimizer.apply_gradients(zip([tf.constant(step[name], tf.float32) for name in NAMES], variables))
    report["new_variables"] = len(optimizer.variables) - report["variables"]
    report["weights"] = as_arrays(params)
    return report


def train_step(namespace, weights, optimizer, learning_rate, batches):
    """train_step on each (x, y) batch in turn: what it returned, and the weights after."""
    params = as_variables(weights)
    keras = keras_optimizer(optimizer, learning_rate, params)
    losses = [as_plain(student(namespace, "train_step")(params, keras, x, y)) for x, y in batches]
    return {"losses": losses, "weights": as_arrays(params)}


def is_tf_function(namespace):
    step = student(namespace, "train_step")
    return {
        "polymorphic": isinstance(step, tf.types.experimental.PolymorphicFunction),
        "traceable": hasattr(step, "get_concrete_function"),
    }


def fit(namespace, weights, optimizer, learning_rate, x, y, epochs, batch_size, seed, x_val=None, y_val=None):
    """fit's history (numbers as floats) and the weights after it."""
    params = as_variables(weights)
    keras = keras_optimizer(optimizer, learning_rate, params)
    validation = {} if x_val is None else {"x_val": x_val, "y_val": y_val}
    history = student(namespace, "fit")(params, keras, x, y, epochs, batch_size, seed=seed, **validation)
    if isinstance(history, dict):
        history = {str(key): [as_number(v) for v in values] if isinstance(values, (list, tuple)) else as_plain(values)
                   for key, values in history.items()}
    return {"history": history, "weights": as_arrays(params)}


SCENARIOS = {
    "init_params": init_params,
    "forward": forward,
    "compute_loss": compute_loss,
    "predict": predict,
    "accuracy": accuracy,
    "make_optimizer": make_optimizer,
    "train_step": train_step,
    "is_tf_function": is_tf_function,
    "fit": fit,
}
