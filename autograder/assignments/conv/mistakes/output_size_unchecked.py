"""Test data for the diagnosis (benchmarks/diagnosis.py), written apart from the mutant
of the same name: the output size with float division and floor, and no check at all."""
import math


def conv_output_size(n, f, pad, stride):
    return int(math.floor((n - f + 2 * pad) / stride)) + 1
