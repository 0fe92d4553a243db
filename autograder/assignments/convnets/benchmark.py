"""Benchmark rows of convnets: the reference ResNet (``tf.nn`` ops and ``tf.Variable``s)
against the same network made of Keras layers (``Conv2D``, ``BatchNormalization``,
``ReLU``, ``GlobalAveragePooling2D``, ``Dense``) with the same weights, float32.

Both sides run as ``tf.function``s: the forward pass in inference, then in training
(batch statistics, the moving averages updated), then one training step (forward and
backward under a ``GradientTape`` and an SGD update). Before timing, both are run once and
their answers compared: a row only stands when the two compute the same thing.
``benchmarks/run.py`` finds this module by looking.
"""
import numpy as np

from benchmarks.timing import compared_row

TARGET = ("<=", 1.5)
BN = ("gamma", "beta", "moving_mean", "moving_variance")
# (name, images (N, H, W, C), widths, classes): the notebook's digits, and CIFAR-sized images
FULL = [("digits", (256, 8, 8, 1), (8, 16), 10), ("cifar", (64, 32, 32, 3), (16, 32, 64), 10)]
QUICK = [("digits", (8, 8, 8, 1), (4, 8), 10)]


def keras_resnet(tf, params, input_shape):
    """The reference's ResNet as a Keras model, its weights those of ``params``."""
    pending = []

    def loaded(layer, values):
        pending.append((layer, values))
        return layer

    def bn(weights):
        return loaded(tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3),
                      [weights[name].numpy() for name in BN])

    def conv(w, stride=1):
        return loaded(tf.keras.layers.Conv2D(w.shape[-1], w.shape[:2], strides=stride, padding="same",
                                             use_bias=False), [w.numpy()])

    relu = tf.keras.layers.ReLU()
    x = tf.keras.Input(input_shape)
    h = conv(params["stem_w"])(x)
    for unit in params["units"]:
        stride = 2 if "proj_w" in unit else 1
        a = relu(bn(unit["bn1"])(h))
        r = conv(unit["conv2_w"])(relu(bn(unit["bn2"])(conv(unit["conv1_w"], stride)(a))))
        h = tf.keras.layers.Add()([r, conv(unit["proj_w"], stride)(a) if "proj_w" in unit else h])
    h = tf.keras.layers.GlobalAveragePooling2D()(relu(bn(params["bn"])(h)))
    logits = loaded(tf.keras.layers.Dense(params["dense_w"].shape[1]),
                    [params["dense_w"].numpy(), params["dense_b"].numpy()])(h)
    model = tf.keras.Model(x, logits)
    for layer, values in pending:
        layer.set_weights(values)
    return model


def resnet_rows(quick: bool, repeats: int) -> list:
    import tensorflow as tf

    from solutions import convnets

    rows = []
    for name, shape, widths, classes in QUICK if quick else FULL:
        rng = np.random.default_rng(5)
        x = tf.constant(rng.random(shape, dtype=np.float32))
        y = tf.constant(np.eye(classes, dtype=np.float32)[rng.integers(0, classes, shape[0])])
        params = convnets.init_resnet(shape[1:], classes, widths=widths, seed=0)
        model = keras_resnet(tf, params, shape[1:])
        ours_variables = convnets.trainable_variables(params)
        ours_sgd, keras_sgd = tf.keras.optimizers.SGD(1e-6), tf.keras.optimizers.SGD(1e-6)
        ours_sgd.build(ours_variables)
        keras_sgd.build(model.trainable_variables)

        def loss_of(logits):
            return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

        @tf.function(autograph=False)
        def ours_forward(training):
            return convnets.resnet_forward(params, x, training)

        @tf.function(autograph=False)
        def keras_forward(training):
            return model(x, training=training)

        @tf.function(autograph=False)
        def ours_step():
            with tf.GradientTape() as tape:
                loss = loss_of(convnets.resnet_forward(params, x, training=True))
            ours_sgd.apply_gradients(zip(tape.gradient(loss, ours_variables), ours_variables))
            return loss

        @tf.function(autograph=False)
        def keras_step():
            with tf.GradientTape() as tape:
                loss = loss_of(model(x, training=True))
            keras_sgd.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss

        keras = "Keras layers, tf.function"
        rows += [
            compared_row("resnet", f"resnet {name} inference", "resnet_forward, tf.function", keras, TARGET, repeats,
                         lambda: ours_forward(False).numpy(), lambda: keras_forward(False).numpy()),
            compared_row("resnet", f"resnet {name} training", "resnet_forward, tf.function", keras, TARGET, repeats,
                         lambda: ours_forward(True).numpy(), lambda: keras_forward(True).numpy()),
            # a learning rate of 1e-6 keeps both sides' losses together over every repetition
            compared_row("resnet", f"resnet {name} step", "tape + SGD on resnet_forward", f"{keras} + SGD", TARGET,
                         repeats, lambda: ours_step().numpy(), lambda: keras_step().numpy()),
        ]
    return rows


def sizes(quick: bool) -> str:
    return "; ".join(f"resnet {name}: x {shape}, widths {widths}, {classes} classes, float32"
                     for name, shape, widths, classes in (QUICK if quick else FULL))


GROUPS = {"resnet": resnet_rows}
