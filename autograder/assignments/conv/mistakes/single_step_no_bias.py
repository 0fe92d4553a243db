"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the products summed in a Python loop, the bias b never added."""


def conv_single_step(x_slice, w, b):
    total = 0.0
    for product in (x_slice * w).ravel():
        total += product
    return x_slice.dtype.type(total)
