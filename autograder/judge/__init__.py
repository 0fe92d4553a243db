"""The trusted side of grading: the hidden tests, and what they are written with.

Hidden tests (``assignments/<name>/hidden_tests.py``) import everything they need from
this package: ``graded`` to mark a test with its function and points, the ``student``
to call, the checks that compare what came back with the reference, and the types of
the plain values that cross from the sandbox. ``student.py`` is the one door into
``runner/``; nothing else in the kit reaches the untrusted side.
"""
import importlib

# Each name and the module it lives in, imported on first use: the command line opens
# the door (a sandbox started ahead) before pytest and the checks are imported.
_WHERE = {
    "check_budget": "budgets",
    **dict.fromkeys(("check_array", "check_arrays", "check_int", "check_number", "check_unmodified", "describe_value",
                     "expect_value_error", "unpack", "values_before"), "checks"),
    "describe_case": "describe",
    "graded": "plugin",
    "remembered": "answers",
    "Source": "source",
    **dict.fromkeys(("Failure", "Other", "Returned", "Scalar", "meanwhile", "plain"), "student"),
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
