"""The checks hidden tests make on what a student's function returned.

Each raises :class:`Failure` with a sentence the student can act on: the name of the
value, the case's shapes and hyper-parameters, and where it went wrong. Expected
arrays are never shown.
"""
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
        raise Failure(say("value.wrong_dtype", name=name, got=value.dtype, expected=expected.dtype, case=case))
    if expected.dtype.kind == "b" or expected.dtype.kind in "iu":
        wrong = value != expected
        if wrong.any():
            index = tuple(int(i) for i in np.argwhere(wrong)[0])
            raise Failure(
                say("value.mismatch", name=name, error=1.0, index=list(index), count=int(wrong.sum()),
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


def check_unmodified(result: Returned, function: str) -> None:
    """Every array argument is exactly as it was sent."""
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


def expect_value_error(student, function: str, bad: str, argument: str, **args) -> None:
    """The call raises ValueError whose message names ``argument``."""
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
