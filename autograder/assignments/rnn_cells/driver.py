"""Scenarios that run inside the sandbox, next to the student's notebook.

A plain call cannot tell whether numpy warned; here ``sigmoid`` runs under
``warnings.catch_warnings``, as in the notebook's visible test. Nothing here is
hidden: the judge sends the inputs and checks the answers.
"""
import warnings


def sigmoid_warnings(namespace, z):
    """``(sigmoid(z), [the text of each warning it raised])``."""
    sigmoid = namespace.get("sigmoid")
    if sigmoid is None:
        raise NameError("name 'sigmoid' is not defined")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = sigmoid(z)
    return value, [f"{warning.category.__name__}: {warning.message}"[:200] for warning in caught[:5]]


SCENARIOS = {"sigmoid_warnings": sigmoid_warnings}
