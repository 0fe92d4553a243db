"""Scenarios that run inside the sandbox, next to the student's notebook.

A plain call cannot tell whether numpy warned; here ``sigmoid`` runs under
``warnings.catch_warnings``, as in the notebook's visible test. Nothing here is
hidden: the judge sends the inputs and checks the answers.
"""
import warnings

import numpy as np


def sigmoid_warnings(namespace, z):
    """``(sigmoid(z), [the text of each warning it raised])``."""
    sigmoid = namespace.get("sigmoid")
    if sigmoid is None:
        raise NameError("name 'sigmoid' is not defined")
    # numpy's own defaults, whatever the notebook set with np.seterr: an overflow warns,
    # the underflow of a stable exp(-|z|) does not
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        value = sigmoid(z)
    return value, [f"{warning.category.__name__}: {warning.message}"[:200] for warning in caught[:5]]


SCENARIOS = {"sigmoid_warnings": sigmoid_warnings}
