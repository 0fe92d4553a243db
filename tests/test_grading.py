"""Every hidden check proven both ways: the reference scores full marks, the released
stub scores zero, each mutant loses points on the function it breaks and only there,
and each alternative correct implementation scores full marks."""
import ast
import functools

import jsonschema
import nbformat
import pytest
from conftest import failures, grade_notebook, grade_under_seeds, scores_by_function

from autograder import assignments, notebook
from autograder.report.results import SCHEMA

ASSIGNMENTS = [name for name in assignments.names() if assignments.load(name).released_notebook.exists()]


_catalogue = assignments.catalogue
SEEDS = (1, 2, 3, 4, 5)


def _source(name):
    return nbformat.read(assignments.load(name).source_notebook, as_version=4)


def _released(name):
    return nbformat.read(assignments.load(name).released_notebook, as_version=4)


def _callers(name: str) -> dict:
    """``{contract function: the contract functions that call it, directly or through
    the notebook's other functions}``, from the source notebook's code."""
    uses = {}  # every function the notebook defines: the names its code reads
    for cell in _source(name).cells:
        if cell.cell_type == "code":
            for node in ast.parse(notebook.python_source(cell.source)).body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    uses[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {node.name}
    callers = {function: set() for function in uses}
    for _ in uses:  # to the fixed point: callers of callers
        for caller, names in uses.items():
            for callee in names & set(uses):
                callers[callee] |= {caller} | callers[caller]
    contract = set(assignments.load(name).functions)
    return {function: callers.get(function, set()) & contract for function in contract}


def _disjoint_groups(name: str, mutants) -> list:
    """The mutants packed into as few notebooks as can be. A mutant can move the scores of
    the function it patches, of every function that calls it and of those it declares;
    mutants whose such sets are disjoint cannot move each other's, so one grading shows
    what each one costs. (A TensorFlow notebook takes seconds to load: grading each
    mutant alone took most of the suite's time.)"""
    callers = _callers(name)
    reach = {m.name: {*m.functions, *callers[m.functions[0]]} for m in mutants}
    groups = []
    for mutant in sorted(mutants, key=lambda m: -len(reach[m.name])):  # the largest first: fewer notebooks
        group = next((g for g in groups if not reach[mutant.name] & {f for m in g for f in reach[m.name]}), None)
        groups.append([mutant]) if group is None else group.append(mutant)
    return groups


MUTANTS = [(name, tuple(group)) for name in ASSIGNMENTS if _catalogue(name)
           for group in _disjoint_groups(name, _catalogue(name).MUTANTS)]
ALTERNATIVES = [(name, alt) for name in ASSIGNMENTS if _catalogue(name) for alt in _catalogue(name).ALTERNATIVES]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_reference_scores_full_marks_under_every_seed(name, tmp_path, calibrated):
    graded = grade_under_seeds(_source(name), name, tmp_path, SEEDS, budgets=calibrated(name))
    for results in graded.values():
        jsonschema.validate(results, __import__("json").loads(SCHEMA.read_text()))
        assert results["max_score"] > 0
        assert results["score"] == results["max_score"], failures(results)
        assert set(scores_by_function(results)) == set(assignments.load(name).functions)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_stub_scores_zero(name, tmp_path, calibrated):
    results = grade_notebook(assignments.load(name).released_notebook, name, tmp_path, budgets=calibrated(name))
    assert results["max_score"] > 0
    assert results["score"] == 0, [t["name"] for t in results["tests"] if t["score"]]
    assert "not implemented yet" in failures(results)


def _same_under_every_seed(graded: dict, label: str) -> dict:
    """The per-function scores, which must not depend on the seed: which corners are
    exercised, and what each costs, is fixed; only the values are random."""
    by_seed = {seed: scores_by_function(results) for seed, results in graded.items()}
    first = by_seed[SEEDS[0]]
    moved = {f: [by_seed[seed][f][0] for seed in SEEDS] for f in first
             if any(by_seed[seed][f] != first[f] for seed in SEEDS)}
    assert not moved, f"{label}: the score depends on the seed: {moved}"
    return first


@pytest.mark.parametrize("name, mutants", MUTANTS, ids=[f"{n}-{'+'.join(m.name for m in g)}" for n, g in MUTANTS])
def test_mutants_lose_points_only_where_they_break_under_every_seed(name, mutants, tmp_path, calibrated):
    notebook = _source(name)
    for mutant in mutants:
        notebook = mutant.notebook(notebook)
    broken = tuple(function for mutant in mutants for function in mutant.functions)
    # after the first seed, only the functions the mutants break are graded again: the
    # others run the reference's own code, whose verdict no seed changes (its own test)
    graded = grade_under_seeds(notebook, name, tmp_path, SEEDS, budgets=calibrated(name), functions=broken)
    scores = _same_under_every_seed(graded, "+".join(m.name for m in mutants))
    for mutant in mutants:
        for function in mutant.functions:
            score, maximum = scores[function]
            assert score < maximum, f"{mutant.name} ({mutant.why}) lost nothing on {function}"
    others = {f: s for f, s in scores.items() if f not in broken and s[0] < s[1]}
    names = [mutant.name for mutant in mutants]
    assert not others, f"{names} also lost points on {sorted(others)}:\n{failures(graded[SEEDS[0]])}"


@pytest.mark.parametrize("name, alternative", ALTERNATIVES, ids=[f"{n}-{a.name}" for n, a in ALTERNATIVES])
def test_alternative_scores_full_marks_under_every_seed(name, alternative, tmp_path, calibrated):
    graded = grade_under_seeds(alternative.notebook(_released(name)), name, tmp_path, SEEDS, budgets=calibrated(name))
    for results in graded.values():
        assert results["score"] == results["max_score"], failures(results)


def test_catalogues_are_large_enough():
    for name in ASSIGNMENTS:
        catalogue = _catalogue(name)
        assert catalogue is not None, f"{name} has no mutants.py"
        assert len(catalogue.MUTANTS) >= 8 and len(catalogue.ALTERNATIVES) >= 2, name


def test_budgets_are_measured_once_per_machine_and_again_when_that_changes(tmp_path, monkeypatch):
    from autograder.judge import budgets, kept

    monkeypatch.setenv(kept.CACHE_VARIABLE, str(tmp_path / "kept"))
    conv = assignments.load("conv")
    measurements = []
    monkeypatch.setattr(budgets, "calibrate", lambda a, d: measurements.append(a.name) or {"conv_forward": 1.5})
    assert budgets.measured(conv, "cpu") == {"conv_forward": 1.5}
    assert budgets.measured(conv, "cpu") == {"conv_forward": 1.5} and measurements == ["conv"]  # kept
    budgets.measured(conv, "cpu", fresh=True)
    assert measurements == ["conv", "conv"]
    monkeypatch.setattr(budgets, "processor", lambda: "another processor")
    budgets.measured(conv, "cpu")
    assert len(measurements) == 3  # another machine: measured again
    for kept in (tmp_path / "kept").iterdir():
        kept.chmod(0o666)  # writable by others: not to be believed
    budgets.measured(conv, "cpu")
    assert len(measurements) == 4


def test_released_data_is_computed_once_per_machine_and_believed_only_as_kept(tmp_path, monkeypatch):
    import numpy as np

    from autograder.assignments import testing
    from autograder.judge import kept

    monkeypatch.setenv(kept.CACHE_VARIABLE, str(tmp_path / "kept"))
    runs = []
    run_cell = testing.released_cell_namespace
    monkeypatch.setattr(testing, "released_cell_namespace", lambda *cell: runs.append(cell) or run_cell(*cell))
    digits = functools.partial(testing.released_cell_result, "convnets", "data", "load_digits_split")
    computed, again = digits(seed=3), digits(seed=3)
    assert len(runs) == 1 and len(computed) == len(again) == 6  # kept
    for value, kept_value in zip(computed, again):
        assert kept_value.dtype == value.dtype and np.array_equal(kept_value, value)
    digits(seed=4)
    assert len(runs) == 2  # other arguments: computed
    [first, second] = sorted((tmp_path / "kept").iterdir())
    second.write_bytes(first.read_bytes())  # a file that says it was computed from something else
    first.chmod(0o666)  # writable by others
    digits(seed=3), digits(seed=4)
    assert len(runs) == 4  # neither believed
    for kept_file in (tmp_path / "kept").iterdir():
        kept_file.write_bytes(b"PK\x03\x04 not a zip archive")
    assert len(digits(seed=3)) == 6 and len(runs) == 5  # unreadable: computed again


APPENDING_IM2COL = '''
def conv_forward(x, w, b, stride=1, pad=0):
    """Right values, but the patches matrix grows with np.append: every append copies it."""
    kh, kw, c_in, c_out = w.shape
    n, height, width, _ = x.shape
    if stride <= 0 or pad < 0 or kh > height + 2 * pad or kw > width + 2 * pad:
        raise ValueError(f"bad arguments: stride={stride}, pad={pad}, w={w.shape}")
    x_pad = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    h_out, w_out = (height + 2 * pad - kh) // stride + 1, (width + 2 * pad - kw) // stride + 1
    patches = np.empty((0, kh * kw * c_in), dtype=x.dtype)
    for i in range(n):
        for top in range(0, h_out * stride, stride):
            for left in range(0, w_out * stride, stride):
                patch = x_pad[i, top:top + kh, left:left + kw, :].reshape(1, -1)
                patches = np.append(patches, patch, axis=0)
    out = (patches @ w.reshape(-1, c_out) + b).astype(x.dtype)
    return out.reshape(n, h_out, w_out, c_out), (x, w, b, stride, pad)
'''


def test_time_that_grows_faster_than_the_work_fails_the_budget(tmp_path, calibrated):
    """An im2col grown with np.append (quadratic copying) gives the right values and
    loses the budget only, while the notebook's plain loops pass it (the reference test)."""
    conv = assignments.load("conv")
    notebook = conv.notebook("source")
    notebook.cells.append(nbformat.v4.new_code_cell(APPENDING_IM2COL))
    results = grade_notebook(notebook, "conv", tmp_path, budgets=calibrated("conv"))
    forward = [t for t in results["tests"] if t["tags"] == ["conv_forward"]]
    budget = [t for t in forward if "time budget" in t["name"]]
    assert budget and all(t["score"] == 0 for t in budget)
    assert "grows" in budget[0]["output"] and "np.append" in budget[0]["output"], budget[0]["output"]
    assert all(t["score"] == t["max_score"] for t in forward if t not in budget), failures(results)


def test_what_the_judge_computes_meanwhile_is_waited_for_and_its_errors_are_raised():
    """A check's reference runs in a thread while the student's call runs: the check goes
    on only once it ended, whatever the call did, and an error of the judge's own is
    raised, never lost."""
    import time

    from autograder.judge import Failure, meanwhile

    done = []
    with pytest.raises(Failure, match="the student's call"):
        with meanwhile(lambda: time.sleep(0.2) or done.append("reference")):
            raise Failure("the student's call failed")
    assert done == ["reference"]  # not left running into the next check
    with meanwhile(lambda: 1 / 0) as reference:
        pass
    with pytest.raises(ZeroDivisionError):
        reference.result()


def test_the_judge_parses_each_cell_once_however_many_checks_read_it(monkeypatch):
    """Checks read the cells again and again (every source check builds its own reader):
    each cell's code is parsed once, and a cell that does not parse defines nothing."""
    import uuid

    from autograder.judge.source import Source

    parsed = []
    real_parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda text, *args, **kwargs: parsed.append(text) or real_parse(text, *args,
                                                                                                        **kwargs))
    marker = uuid.uuid4().hex  # cells no earlier test parsed
    cells = [{"label": "cell 1", "source": f"# {marker}\ndef f(x):\n    return g(x)\n"},
             {"label": "cell 2", "source": f"# {marker}\ndef g(x):\n    return x +\n"},
             {"label": "cell 3", "source": f"# {marker}\ndef g(x):\n    return 2 * x\n"}]
    readers = [Source(cells, ("f",)) for _ in range(3)]
    assert len(parsed) == len(cells)
    for reader in readers:
        assert reader.defines("f") and [label for label, _ in reader.reach("f")] == ["cell 1", "cell 3"]
    huge = [{"label": "cell 1", "source": f"# {marker}\n" + "x = 1\n" * 20_000}]  # not kept in memory
    assert all(Source(huge, ("f",)).defines("x") for _ in range(2)) and len(parsed) == len(cells) + 2


def test_the_judge_asks_the_reference_each_question_once_and_hands_out_copies(monkeypatch):
    """A batch's judge grades every student under one seed: the reference answers each
    question (the same plain arguments, to the last byte and dtype) once, every caller
    gets a copy it may change, anything but plain values is computed each time, and the
    answers kept stay within their bytes."""
    import numpy as np

    from autograder.judge import answers, remembered

    asked = []

    @remembered
    def reference(weights: dict, x, scale=1.0):
        asked.append(x.dtype)
        return {"y": weights["w"] * x * scale, "losses": [float(x.sum())]}

    weights, x = {"w": np.arange(4.0)}, np.ones(4)
    first = reference(weights, x, scale=2.0)
    first["y"][:] = -1  # a check that changes its copy
    again = reference({"w": np.arange(4.0)}, np.ones(4), scale=2.0)
    assert len(asked) == 1 and again["y"].tolist() == [0.0, 2.0, 4.0, 6.0]
    reference(weights, np.ones(4, dtype=np.float32), scale=2.0)  # another dtype: another question
    reference(weights, x, scale=2)  # an int is not a float
    reference(weights, np.ones((2, 2)).reshape(4), scale=2.0)  # the same bytes and shape: the same question
    assert len(asked) == 3
    reference({"w": np.arange(4.0), "extra": object()}, x)  # not plain: computed, never kept
    reference({"w": np.arange(4.0), "extra": object()}, x)
    assert len(asked) == 5

    monkeypatch.setattr(answers, "MOST_BYTES", 3 * 8 * 1000)
    bounded = remembered(reference.__wrapped__)  # a judge's answers of 8 kB each, room for two
    for n in range(5):
        bounded({"w": np.ones(1000)}, np.full(1000, n))
    assert bounded.bytes <= answers.MOST_BYTES and len(bounded.answers) == 2
    bounded({"w": np.ones(1000)}, np.full(1000, 4))  # the newest is kept, the oldest forgotten
    bounded({"w": np.ones(1000)}, np.full(1000, 0))
    assert len(asked) == 5 + 5 + 1
