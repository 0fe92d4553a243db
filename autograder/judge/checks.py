"""The checks hidden tests make on what a student's function returned.

Each raises :class:`Failure` with a sentence the student can act on: the name of the
value, the case's shapes and hyper-parameters, and where it went wrong, in the words of
the value's kind (a boolean array marks positions; a float array is off by an error).
Expected arrays are never shown. A check about something else than the values (the
inputs left unchanged, a ValueError, a cache, the time) that looks at the values first
says so when the values are what failed: :func:`values_first`.
"""
from contextlib import contextmanager

import numpy as np

from autograder.judge.student import Failure, Other, Returned, Scalar, explain
from autograder.judge.tolerances import tolerance_for
from autograder.messages import say


def unpack(value, function: str, names: list, case: str) -> list:
    """The items of a returned tuple (a list is accepted too)."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise Failure(
            say("value.not_tuple", function=function, count=len(names), names=", ".join(names),
                got=describe_value(value), case=case)
        )
    return list(value)


def check_array(value, expected: np.ndarray, name: str, case: str, tolerance: dict = None) -> None:
    """Same shape, same dtype, finite where expected, equal within the dtype's tolerance
    (or ``tolerance``, one of those in ``tolerances``)."""
    if not isinstance(value, np.ndarray):
        raise Failure(say("value.not_array", name=name, got=describe_value(value), case=case))
    if value.shape != expected.shape:
        raise Failure(say("value.wrong_shape", name=name, got=value.shape, expected=expected.shape, case=case))
    if value.dtype != expected.dtype:
        key = "value.not_bool" if expected.dtype.kind == "b" else "value.wrong_dtype"
        raise Failure(say(key, name=name, got=value.dtype, expected=expected.dtype, case=case))
    if expected.dtype.kind == "b":
        return _check_marks(value, expected, name, case)
    if expected.dtype.kind in "iu":
        wrong = value != expected
        if wrong.any():
            error = np.abs(value.astype(np.int64) - expected.astype(np.int64))
            index = tuple(int(i) for i in np.argwhere(error == error.max())[0])
            raise Failure(
                say("value.mismatch", name=name, error=float(error[index]), index=list(index), count=int(wrong.sum()),
                    total=wrong.size, rtol=0, atol=0, case=case)
            )
        return
    bad = ~np.isfinite(value) & np.isfinite(expected)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise Failure(say("value.not_finite", name=name, index=list(index), case=case))
    tolerance = tolerance or tolerance_for(expected.dtype)
    actual64, expected64 = value.astype(np.float64), expected.astype(np.float64)
    error = np.abs(actual64 - expected64)
    off = error > tolerance["atol"] + tolerance["rtol"] * np.abs(expected64)
    if off.any():
        index = np.unravel_index(int(np.argmax(np.where(off, error, -1.0))), error.shape)
        raise Failure(
            say("value.mismatch", name=name, error=float(error[index]), index=[int(i) for i in index],
                count=int(off.sum()), total=off.size, rtol=tolerance["rtol"], atol=tolerance["atol"], case=case)
        )


def _check_marks(value: np.ndarray, expected: np.ndarray, name: str, case: str) -> None:
    """A boolean array, in its own words: how many positions it marks (is True at), and
    where it marks one it should not."""
    marked, wanted = int(value.sum()), int(expected.sum())
    if marked != wanted:
        raise Failure(say("value.wrong_mark_count", name=name, got=marked, total=value.size, expected=wanted,
                          case=case))
    wrong = value != expected
    if wrong.any():  # as many marks as expected, some in the wrong places
        index = [int(i) for i in np.argwhere(value & ~expected)[0]]
        raise Failure(say("value.wrong_marks", name=name, index=index, count=int(wrong.sum()), total=wrong.size,
                          case=case))


def check_number(value, expected: float, name: str, case: str, dtype=np.float64, tolerance: dict = None) -> None:
    """A Python or numpy float (or 0-d array) equal to ``expected`` within ``dtype``'s tolerance
    (or ``tolerance``)."""
    if isinstance(value, np.ndarray) and value.shape == ():
        number = value[()]
    elif isinstance(value, Scalar) and value.type_name != "bool":
        number = value.value
    else:
        raise Failure(say("value.not_number", name=name, got=describe_value(value), case=case))
    tolerance = tolerance or tolerance_for(dtype)
    if not np.isfinite(number) or not np.isclose(float(number), float(expected), **tolerance):
        raise Failure(say("value.wrong_number", name=name, got=f"{float(number):.6g}", case=case))


def check_int(value, expected: int, name: str, case: str) -> None:
    if not (isinstance(value, Scalar) and value.type_name in ("int", "int64", "int32", "intc", "int_")):
        raise Failure(say("value.not_int", name=name, got=describe_value(value), case=case))
    if int(value.value) != expected:
        raise Failure(say("value.wrong_int", name=name, got=int(value.value), case=case))


def check_arrays(value, expected: dict, name: str, case: str) -> None:
    """A dict of arrays with exactly ``expected``'s keys, each checked as an array."""
    if not isinstance(value, dict):
        raise Failure(say("value.not_dict", name=name, keys=sorted(expected), got=describe_value(value), case=case))
    if set(value) != set(expected):
        raise Failure(say("value.wrong_keys", name=name, keys=sorted(expected), got=sorted(value), case=case))
    for key, array in expected.items():
        check_array(value[key], array, f"{name}[{key!r}]", case)


@contextmanager
def values_first(about: str):
    """Around the look at the values that a check about something else makes first (``about``:
    what the check is about, in words, e.g. ``say("value.about_cache", name="cache")``): a
    failure there says that the values were checked first, and were wrong, so that the
    student can tell why a check of the inputs, a ValueError or a cache failed."""
    try:
        yield
    except Failure as failure:
        raise Failure(say("value.checked_first", about=about, message=str(failure))) from None


def values_before(about: str, verify):
    """``verify`` (of a returned call) made the first look of a check about something
    else (``about``): its failure says that the values were checked first."""

    def check(result):
        with values_first(about):
            verify(result)

    return check


def check_unmodified(result: Returned, function: str, verify=None) -> None:
    """Every array argument is exactly as it was sent. ``verify(result)``, if given, checks
    the values first (its failure says that the values failed, not the inputs)."""
    if verify is not None:
        with values_first(say("value.about_unmodified", function=function)):
            verify(result)
    after = result.args_after
    for position, (name, sent) in enumerate(result.args.items()):
        left = after[position] if isinstance(after, (tuple, list)) and position < len(after) else None
        if not _same(sent, left):
            raise Failure(say("value.modified_input", function=function, name=name, case=result.case))


def _same(sent, left) -> bool:
    if isinstance(sent, np.ndarray):
        return (
            isinstance(left, np.ndarray)
            and left.shape == sent.shape
            and left.dtype == sent.dtype
            and np.array_equal(left, sent, equal_nan=sent.dtype.kind in "fc")
        )
    if isinstance(sent, dict):
        return isinstance(left, dict) and set(left) == set(sent) and all(_same(sent[k], left[k]) for k in sent)
    if isinstance(sent, (tuple, list)):
        return isinstance(left, (tuple, list)) and len(left) == len(sent) and all(map(_same, sent, left))
    return True  # scalars cannot be changed in place


def expect_value_error(student, function: str, bad: str, argument: str, *, good: dict = None, verify=None,
                       **args) -> None:
    """The call raises ValueError whose message names ``argument``. With ``good``, arguments
    that are right, a call on them comes first and ``verify(result)`` checks its values
    (raising ValueError for everything earns nothing); a failure there says that the values
    failed, not the ValueError."""
    if good is not None:
        result = student.call(function, **good)
        if verify is not None:
            with values_first(say("value.about_value_error", function=function, bad=bad)):
                verify(result)
    outcome = student.outcome(function, **args)
    case_text = ", ".join(f"{k}={v!r}" for k, v in args.items() if not isinstance(v, np.ndarray))
    if outcome.kind == "raised" and outcome.error["type"] == "ValueError":
        if argument not in outcome.error["message"]:
            raise Failure(
                say("value.value_error_unnamed", function=function, bad=bad, argument=argument,
                    message=outcome.error["message"][:200], case=case_text)
            )
        return
    if outcome.kind == "returned":
        did = say("value.did_return")
    elif outcome.kind == "raised":
        did = say("value.did_raise", type=outcome.error["type"])
    else:
        raise Failure(explain(outcome, function, case_text, student.limits.call_seconds))
    raise Failure(say("value.no_value_error", function=function, bad=bad, did=did, case=case_text))


def describe_value(value) -> str:
    """What a returned value is, in words: ``a list of 3 items``, ``a float``."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, Scalar):
        return f"a {value.type_name}"
    if isinstance(value, Other):
        return f"an object of type {value.type_name}"
    if value is None:
        return "None"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    return f"a {type(value).__name__}"
