"""The trusted side of grading: the hidden tests, and what they are written with.

Hidden tests (``assignments/<name>/hidden_tests.py``) import everything they need from
this package: ``graded`` to mark a test with its function and points, the ``student``
to call, the checks that compare what came back with the reference, and the types of
the plain values that cross from the sandbox. ``student.py`` is the one door into
``runner/``; nothing else in the kit reaches the untrusted side.
"""
from autograder.judge.budgets import check_budget
from autograder.judge.checks import (check_array, check_arrays, check_int, check_number, check_unmodified,
                                     describe_value, expect_value_error, unpack, values_before)
from autograder.judge.describe import describe_case
from autograder.judge.plugin import graded
from autograder.judge.student import Failure, Other, Returned, Scalar, plain

__all__ = ["Failure", "Other", "Returned", "Scalar", "check_array", "check_arrays", "check_budget", "check_int",
           "check_number", "check_unmodified", "describe_case", "describe_value", "expect_value_error", "graded",
           "plain", "unpack", "values_before"]
