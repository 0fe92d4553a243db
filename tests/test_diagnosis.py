"""The diagnosis of a failed check: the matcher against the catalogue of known mistakes,
the pattern rules, and two gradings (an independently written mistake gets its likely
cause, a correct implementation in another style gets none)."""
import copy
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import assignments
from autograder.assignments.testing import solution_namespace
from autograder.grading import grade
from autograder.judge import diagnosis
from autograder.judge.diagnosis import Diagnosis, Observed, array_pattern, same
from autograder.judge.student import Called, Outcome, received_as, sent_as
from autograder.messages import say
from autograder.run import resolve

MISTAKES = {name: assignments.load(name).folder / "mistakes" for name in ("pooling", "rnn_cells")}


def _why(name: str, mutant: str) -> str:
    return {m.name: m.why for m in assignments.catalogue(name).MUTANTS}[mutant]


def _student(name: str, code: str = "") -> dict:
    """The source notebook's namespace with ``code`` run after it, as a student's last cell."""
    namespace = solution_namespace(name)
    exec(compile(code, "<student>", "exec"), namespace)
    return namespace


def _called(namespace: dict, function: str, **args) -> Called:
    """What Student.call records for ``function(**args)`` run in ``namespace``."""
    sent = sent_as(tuple(args.values()))
    try:
        value = namespace[function](*sent)
    except Exception as error:  # noqa: BLE001
        return Called(function, args, Outcome("raised", error={"type": type(error).__name__, "message": str(error)}),
                      (function,))
    back = received_as({"value": value, "args_after": sent})
    return Called(function, args, Outcome("returned", value=back["value"], args_after=back["args_after"]), (function,))


@pytest.fixture(scope="module")
def pooling():
    return Diagnosis(assignments.load("pooling"), solution_namespace)


def _pool_inputs(dtype=np.float64, pool_size=3, stride=1):
    rng = np.random.default_rng(5)
    return {"x": rng.standard_normal((2, 6, 6, 3)).astype(dtype), "pool_size": pool_size, "stride": stride,
            "mode": "average"}


# ------------------------------------------------------------------ comparing answers


def test_answers_compare_within_the_dtypes_tolerance_and_nan_equals_nan():
    a = Observed("returned", (np.array([1.0, np.nan, 3.0]), None))
    assert same(a, Observed("returned", (np.array([1.0 + 1e-12, np.nan, 3.0]), None)))
    assert not same(a, Observed("returned", (np.array([1.0 + 1e-3, np.nan, 3.0]), None)))
    assert not same(a, Observed("returned", (np.array([1.0, np.nan, 3.0], dtype=np.float32), None)))
    assert same(a, Observed("returned", [np.array([1.0, np.nan, 3.0]), None]))  # a list for a tuple
    assert same(Observed("raised", error=("ZeroDivisionError", "division by zero")),
                Observed("raised", error=("ZeroDivisionError", "integer division or modulo by zero")))


def test_a_float32_case_compares_answers_at_float32s_precision():
    mine = Observed("returned", (np.array([1.0, 2.0]), None))
    theirs = Observed("returned", (np.array([1.0 + 1e-6, 2.0]), None))
    assert not same(mine, theirs)
    assert same(mine, theirs, diagnosis.case_tolerance({"x": np.ones(2, np.float32)}))


# ------------------------------------------------------------------ the catalogue


def test_an_independent_mistake_is_named_by_its_mutants_why(pooling):
    code = (MISTAKES["pooling"] / "forward_average_not_divided.py").read_text()
    called = _called(_student("pooling", code), "pool_forward", **_pool_inputs())
    assert pooling.cause(called) == _why("pooling", "forward_average_not_divided")
    assert pooling.line(called) == say("diagnosis.likely", cause=_why("pooling", "forward_average_not_divided"))


def test_a_float64_answer_for_float32_inputs_is_named(pooling):
    code = (MISTAKES["pooling"] / "backward_float64.py").read_text()
    x = _pool_inputs(np.float32)["x"]
    dout = np.random.default_rng(1).standard_normal((2, 4, 4, 3)).astype(np.float32)
    called = _called(_student("pooling", code), "pool_backward", dout=dout, cache=(x, 3, 1, "max"))
    assert pooling.cause(called) == _why("pooling", "backward_float64")


def test_a_missing_value_error_is_named_by_the_mistake_that_returns_too(pooling):
    code = (MISTAKES["pooling"] / "forward_mode_loose.py").read_text()  # "Max" pools as max, not as average
    called = _called(_student("pooling", code), "pool_forward", **{**_pool_inputs(), "mode": "Max"})
    assert pooling.cause(called) == _why("pooling", "forward_mode_loose")


def test_in_place_changes_of_the_arguments_count(pooling):
    code = (MISTAKES["pooling"] / "backward_scales_dout_in_place.py").read_text()
    x = _pool_inputs()["x"]
    dout = np.random.default_rng(2).standard_normal((2, 3, 3, 3))
    called = _called(_student("pooling", code), "pool_backward", dout=dout, cache=(x, 2, 2, "average"))
    assert called.outcome.args_after[0].tolist() != dout.tolist()
    assert pooling.cause(called) == _why("pooling", "backward_scales_dout_in_place")


def test_a_right_answer_or_an_unimplemented_function_gets_no_cause(pooling):
    called = _called(_student("pooling"), "pool_forward", **_pool_inputs())
    assert pooling.cause(called) == ""
    stub = "def pool_forward(x, pool_size=2, stride=2, mode='max'):\n    raise NotImplementedError()\n"
    assert pooling.cause(_called(_student("pooling", stub), "pool_forward", **_pool_inputs())) == ""
    assert pooling.cause(None) == ""
    assert pooling.cause(Called("pool_forward", _pool_inputs(), Outcome("timeout"), ("pool_forward",))) == ""


def test_a_wrong_answer_no_mistake_explains_gets_at_most_a_pattern(pooling):
    noisy = ("def pool_forward(x, pool_size=2, stride=2, mode='max'):\n"
             "    out, cache = _reference_pool(x, pool_size, stride, mode)\n"
             "    return out + np.linspace(0, 1, out.size).reshape(out.shape), cache\n")
    namespace = _student("pooling")
    namespace["_reference_pool"] = namespace["pool_forward"]
    exec(compile(noisy, "<student>", "exec"), namespace)
    assert pooling.cause(_called(namespace, "pool_forward", **_pool_inputs())) == ""


def test_a_driven_check_is_diagnosed_with_the_assignments_driver():
    rnn = Diagnosis(assignments.load("rnn_cells"), solution_namespace)
    namespace = _student("rnn_cells", (MISTAKES["rnn_cells"] / "sigmoid_where_both_branches.py").read_text())
    z = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0])
    driver = rnn._run(None, Called("driver:sigmoid_warnings", {"z": z}, None, ("sigmoid",)))
    assert driver.kind == "returned" and driver.value[0][1] == []  # the notebook's sigmoid does not warn
    scenario = diagnosis._driver(assignments.load("rnn_cells").driver).SCENARIOS["sigmoid_warnings"]
    value = received_as(scenario(namespace, z=z.copy()))
    called = Called("driver:sigmoid_warnings", {"z": z}, Outcome("returned", value=value), ("sigmoid",))
    assert rnn.cause(called) == _why("rnn_cells", "sigmoid_where_both_branches")


def test_assignments_whose_code_uses_tensorflow_are_not_diagnosed():
    task = replace(assignments.load("pooling"), imports=("numpy", "tensorflow"))
    assert not Diagnosis(task, solution_namespace).enabled
    assert not Diagnosis(assignments.load("pooling")).enabled  # nothing to run the catalogue with


# ------------------------------------------------------------------ pattern rules


def _rng_array(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_pattern_constant_factor():
    want = _rng_array((2, 3, 3, 2))
    assert array_pattern(4 * want, want) == say("diagnosis.factor", factor="4")
    assert array_pattern(want / 9, want) == say("diagnosis.factor", factor="1/9")
    assert array_pattern(-want, want) == say("diagnosis.factor", factor="-1")
    assert array_pattern(np.full(3, 2.0), np.full(3, 1.0)) == ""  # a constant is a multiple of any constant


def test_pattern_transposed_and_zeros():
    want = _rng_array((3, 5))
    assert array_pattern(want.T.copy(), want) == say("diagnosis.transposed", axes="0 and 1")
    square = _rng_array((4, 4))
    assert array_pattern(square.T.copy(), square) == say("diagnosis.transposed", axes="0 and 1")
    assert array_pattern(np.zeros_like(want), want) == say("diagnosis.zeros")


def test_pattern_border_only():
    want = _rng_array((2, 8, 8, 3))
    mine = want.copy()
    mine[:, 0, :, :] += 1
    mine[:, :, -1, 1] -= 2
    assert array_pattern(mine, want) == say("diagnosis.border")
    mine[:, 4, 4, 0] += 1  # inside too: not the padding
    assert array_pattern(mine, want) == ""


def test_pattern_time_steps():
    want = _rng_array((3, 5, 4))
    mine = want.copy()
    mine[:, 1:] += 0.5 * _rng_array((3, 4, 4), 1)
    assert array_pattern(mine, want) == say("diagnosis.first_step")
    mine = want.copy()
    mine[:, :-1] -= 0.5 * _rng_array((3, 4, 4), 2)
    assert array_pattern(mine, want) == say("diagnosis.last_step")


def test_no_pattern_in_noise():
    want = _rng_array((2, 6, 6, 3))
    assert array_pattern(want + _rng_array((2, 6, 6, 3), 3), want) == ""
    assert array_pattern(want.astype(np.float32), want) == ""  # the dtype is the check's to say


# ------------------------------------------------------------------ gradings


def _grade(name: str, code: str, folder: Path) -> list:
    notebook = copy.deepcopy(assignments.load(name).notebook("source"))
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    task = assignments.load(name)
    run = resolve(name, 7, "cpu", budgets={function: 60.0 for function in task.budgets}, within=folder)
    graded = grade(path, run)
    assert "not_graded" not in graded, graded["not_graded"]
    return graded["checks"]


def test_a_graded_mistake_says_its_likely_cause_and_shows_no_values(tmp_path):
    checks = _grade("pooling", (MISTAKES["pooling"] / "backward_overwrites_dx.py").read_text(), tmp_path)
    failed = [check for check in checks if not check.passed]
    assert failed and {check.function for check in failed} == {"pool_backward"}
    line = say("diagnosis.likely", cause=_why("pooling", "backward_overwrites_dx"))
    diagnosed = [check for check in failed if line in check.output]
    assert diagnosed, "\n".join(check.output for check in failed)
    for check in failed:
        cause = [row for row in check.output.splitlines() if row.startswith("Likely cause:")]
        assert cause in ([], [line]), check.output  # one fixed sentence: no input or expected value


def test_a_graded_correct_implementation_gets_no_cause(tmp_path):
    checks = _grade("pooling", (MISTAKES["pooling"] / "correct" / "plain_loops.py").read_text(), tmp_path)
    assert all(check.passed for check in checks), [check.output for check in checks if not check.passed]
    assert not any("Likely cause" in check.output for check in checks)
