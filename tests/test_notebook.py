"""Reading submissions: broken files, edited locked cells, deleted and renamed cells."""
import copy
import json
import os
import signal
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT, grade_notebook, scores_by_function

from autograder import assignments, notebook

CONV = assignments.load("conv")
RELEASED = nbformat.read(CONV.released_notebook, as_version=4)


def _source():
    return nbformat.read(CONV.source_notebook, as_version=4)


def _cell(nb, grade_id):
    return next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.parametrize("content, reason", [
    (b"", "could not be read"),
    (b'{"cells": [{"cell_type": "code", "source": "x = ', "could not be read"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "could not be read"),
    (b'{"nbformat": 4, "metadata": {}}', "could not be read"),
    (b'{"cells": [{"cell_type": "code", "source": 42}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "could not be read"),
], ids=["empty", "truncated", "binary", "no cells", "bad source"])
def test_unreadable_notebook_scores_zero_and_says_why(content, reason, tmp_path):
    path = tmp_path / "conv.ipynb"
    path.write_bytes(content)
    out = tmp_path / "out"
    finished = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--assignment", "conv",
                               "--out", str(out)], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == 0 and results["max_score"] > 0
    assert reason in results["tests"][0]["output"]
    assert not results["extra_data"]["internal_errors"]  # every check says the notebook could not be run
    assert (out / "feedback.html").read_text().count("<section>") == len(CONV.functions)


def test_oversized_notebook_is_refused_unread(tmp_path):
    path = tmp_path / "conv.ipynb"
    big = _source()
    big.cells[0].outputs = [nbformat.v4.new_output("stream", text="x" * (CONV.limits.notebook_bytes + 10))]
    nbformat.write(big, path)
    with pytest.raises(notebook.NotebookProblem, match="over the"):
        notebook.read(path, CONV.limits.notebook_bytes)


def test_linked_notebook_is_refused(tmp_path):
    """A link to the course's solutions would earn full marks if it were followed."""
    path = tmp_path / "conv.ipynb"
    path.symlink_to(CONV.source_notebook)
    with pytest.raises(notebook.NotebookProblem, match="is a link to another file"):
        notebook.read(path, CONV.limits.notebook_bytes)


def test_notebook_in_linked_submission_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    nbformat.write(_source(), elsewhere / "conv.ipynb")
    submissions = tmp_path / "submitted"
    submissions.mkdir()
    (submissions / "mallory").symlink_to(elsewhere, target_is_directory=True)
    path = submissions / "mallory" / "conv.ipynb"
    with pytest.raises(notebook.NotebookProblem, match="outside your submission folder"):
        notebook.read(path, CONV.limits.notebook_bytes, within=submissions)
    assert notebook.read(path, CONV.limits.notebook_bytes).cells  # its own folder, as given, holds it


class _Hung(BaseException):
    """Raised by the alarm, past every ``except Exception``."""


@pytest.mark.parametrize("make", [os.mkfifo, os.mkdir], ids=["fifo", "folder"])
def test_file_that_is_not_plain_is_refused_at_once(make, tmp_path):
    """Reading a FIFO would wait for a writer forever; an alarm stops the test if it does."""
    path = tmp_path / "conv.ipynb"
    make(path)

    def hung(signum, frame):
        raise _Hung(f"notebook.read waited on {path}")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, 5)
    try:
        with pytest.raises(notebook.NotebookProblem, match="not a plain file"):
            notebook.read(path, CONV.limits.notebook_bytes)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_grading_a_link_to_the_solutions_scores_zero(tmp_path):
    path = tmp_path / "conv.ipynb"
    path.symlink_to(assignments.load("conv").source_notebook)
    results = grade_notebook(path, "conv", tmp_path)
    assert results["score"] == 0 and results["max_score"] > 0
    assert "is a link to another file" in results["tests"][0]["output"]


# Expressions nested thousands deep: the parser gives up with SyntaxError, MemoryError or
# RecursionError, depending on the construct.
DEEP_SOURCES = ["(" * 100000 + ")" * 100000, "-" * 50000 + "1", "not " * 50000 + "1", "x" + ".a" * 100000,
                "[" * 100000]


def test_deeply_nested_cells_do_not_crash_the_judge():
    nb = _source()
    nb.cells += [nbformat.v4.new_code_cell(source) for source in DEEP_SOURCES]
    nb.cells.append(nbformat.v4.new_code_cell("def conv_forward(x, w, b, stride=1, pad=0):\n    return None"))
    program = notebook.program(nb, RELEASED, CONV.functions)
    assert len(program.cells) == len(notebook.program(_source(), RELEASED).cells) + len(DEEP_SOURCES) + 1
    assert any("conv_forward is defined more than once" in note for note in program.notes)


def _code_cell(source="x = 1", **fields):
    """A cell of the student's own, as nbformat reads it from a file."""
    return nbformat.from_dict({"cell_type": "code", "id": "student-cell", "source": source, "metadata": {},
                               "outputs": [], "execution_count": None, **fields})


# What a student can write into the notebook's JSON by hand
HOSTILE = {
    "tags not a list": lambda nb: nb.cells.append(_code_cell(metadata={"tags": 5})),
    "tags not text": lambda nb: nb.cells.append(_code_cell(metadata={"tags": [["demo"], 5, None]})),
    "nbgrader a string": lambda nb: nb.cells.append(_code_cell(metadata={"nbgrader": "x"})),
    "nbgrader a list": lambda nb: nb.cells.append(_code_cell(metadata={"nbgrader": [["grade_id", "helpers"]]})),
    "grade_id a list": lambda nb: _cell(nb, "helpers")["metadata"]["nbgrader"].update(grade_id=["a"]),
    "grade_id a dict": lambda nb: nb.cells.append(_code_cell(metadata={"nbgrader": {"grade_id": {"a": 1}}})),
    "cell type differs": lambda nb: _cell(nb, "helpers").update(cell_type="markdown"),
    "solution as raw": lambda nb: _cell(nb, "conv_forward").update(cell_type="raw"),
    "cell type a number": lambda nb: _cell(nb, "helpers").update(cell_type=5),
    "points not a number": lambda nb: _cell(nb, "test_conv_forward")["metadata"]["nbgrader"].update(points="x"),
    "points on a new grade cell": lambda nb: nb.cells.append(_code_cell(metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "mine", "points": [1]}})),
    "flags not booleans": lambda nb: _cell(nb, "helpers")["metadata"]["nbgrader"].update(
        locked="yes", grade=[], solution={"a": 1}, checksum=5),
    "metadata a list": lambda nb: nb.cells.append(_code_cell(metadata=[1])),
    "metadata missing": lambda nb: _cell(nb, "helpers").pop("metadata"),
    "source missing": lambda nb: nb.cells.append(nbformat.from_dict({"cell_type": "code", "id": "x", "metadata": {}})),
    "source not text": lambda nb: nb.cells.append(_code_cell(source=None)),
    "cell a number": lambda nb: nb.cells.append(5),
}


@pytest.mark.parametrize("mutate", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_metadata_gives_a_program_or_a_problem(mutate, tmp_path):
    """Read from a file (as the grader does) or handed over as it is, the notebook becomes a
    program or a NotebookProblem: nothing else."""
    nb = _source()
    mutate(nb)
    path = tmp_path / "conv.ipynb"
    path.write_text(json.dumps(nb))
    for submitted in (lambda: notebook.read(path, CONV.limits.notebook_bytes), lambda: nb):
        try:
            program = notebook.program(submitted(), RELEASED, CONV.functions)
        except notebook.NotebookProblem:
            continue
        assert program.cells and all(isinstance(cell["source"], str) for cell in program.cells)


def test_metadata_of_the_wrong_type_counts_as_absent():
    """A list of pairs is no nbgrader metadata (it does not make the cell the locked helpers),
    and a number is no list of tags (it does not hide the cell as a demo)."""
    nb = _source()
    nb.cells += [_code_cell("MINE = 1", metadata={"nbgrader": [["grade_id", "helpers"]]}),
                 _code_cell("MINE = 2", metadata={"tags": 5})]
    program = notebook.program(nb, RELEASED, CONV.functions)
    mine = [cell["label"] for cell in program.cells if cell["source"].startswith("MINE")]
    assert len(mine) == 2 and all("your cell" in label for label in mine)


def test_edited_locked_cells_are_restored(tmp_path, calibrated):
    """Editing a helper or a visible test gains nothing: both come back as released."""
    nb = _source()
    _cell(nb, "helpers").source = "import numpy as np\nnp.zeros = None  # sabotage the helpers"
    _cell(nb, "test_conv_forward").source = "assert True"
    program = notebook.program(nb, nbformat.read(CONV.released_notebook, as_version=4), CONV.functions)
    assert any("helpers" in note for note in program.notes)
    results = grade_notebook(nb, "conv", tmp_path, budgets=calibrated("conv"))
    assert results["score"] == results["max_score"]
    assert "put back as released" in results["tests"][0]["output"]


def test_deleted_cells_come_back(tmp_path, calibrated):
    nb = _source()
    nb.cells = [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") != "imports"]
    results = grade_notebook(nb, "conv", tmp_path, budgets=calibrated("conv"))
    assert results["score"] == results["max_score"]
    assert "imports" in results["tests"][0]["output"]


def test_renamed_function_is_missing_not_crashing(tmp_path, calibrated):
    nb = _source()
    cell = _cell(nb, "zero_pad")
    cell.source = cell.source.replace("def zero_pad(", "def zeroPad(")
    results = grade_notebook(nb, "conv", tmp_path, budgets=calibrated("conv"))
    scores = scores_by_function(results)
    assert scores["zero_pad"][0] == 0
    messages = [t["output"] for t in results["tests"] if t["tags"] == ["zero_pad"]]
    assert all("is not defined in your notebook" in m for m in messages)


def test_duplicate_definitions_are_pointed_out():
    nb = _source()
    nb.cells.append(nbformat.v4.new_code_cell("def conv_forward(x, w, b, stride=1, pad=0):\n    return None"))
    program = notebook.program(nb, nb, CONV.functions)
    assert any("conv_forward is defined more than once" in note for note in program.notes)


def test_student_cells_stay_in_place():
    nb = _source()
    position = nb.cells.index(_cell(nb, "conv_forward"))
    nb.cells.insert(position, nbformat.v4.new_code_cell("HELPER = 1"))
    labels = [cell["label"] for cell in notebook.program(nb, nb).cells]
    helper = next(i for i, label in enumerate(labels) if "your cell" in label)
    assert "conv_forward" in labels[helper + 1]


def test_visible_tests_and_demos_are_not_run():
    labels = " ".join(cell["label"] for cell in notebook.program(_source(), _source()).cells)
    assert "test_conv_forward" not in labels and "demo" not in labels


@pytest.mark.parametrize("name", assignments.names())
def test_checksum_is_nbgraders(name):
    from nbgrader.utils import compute_checksum

    for path in (assignments.load(name).source_notebook, assignments.load(name).released_notebook):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id"):
                assert notebook.compute_checksum(cell) == compute_checksum(copy.deepcopy(cell))


def test_released_checksums_match_released_cells():
    for name in assignments.names():
        for cell in nbformat.read(assignments.load(name).released_notebook, as_version=4).cells:
            stored = cell.metadata.get("nbgrader", {}).get("checksum")
            if stored:
                assert notebook.compute_checksum(cell) == stored, (name, cell.metadata.nbgrader.grade_id)


def test_release_is_up_to_date(tmp_path):
    """release/ is what `nbgrader generate_assignment` makes of source/ now."""
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    for folder in (ROOT / "source").iterdir():
        subprocess.run(["cp", "-r", str(folder), str(course / "source")], check=True)
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    names = sorted(folder.name for folder in (ROOT / "source").iterdir())
    for name in names:
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"], cwd=course,
                       env=env, check=True, capture_output=True)
        generated = course / "release" / name / f"{name}.ipynb"
        shipped = ROOT / "release" / name / f"{name}.ipynb"
        assert json.loads(generated.read_text()) == json.loads(shipped.read_text()), (
            f"release/{name} is out of date: run `make release`")


def test_visible_test_points_equal_hidden_points():
    from conftest import grade_notebook  # noqa: F401  (same helpers as the grading tests)
    from autograder.judge.plugin import GradingPlugin

    for name in assignments.names():
        assignment = assignments.load(name)
        visible = {cell.metadata.nbgrader["grade_id"][len("test_"):]: cell.metadata.nbgrader["points"]
                   for cell in nbformat.read(assignment.source_notebook, as_version=4).cells
                   if cell.metadata.get("nbgrader", {}).get("grade")}
        hidden = _hidden_points(assignment, GradingPlugin)
        assert {k: pytest.approx(v) for k, v in hidden.items()} == visible, name


def _hidden_points(assignment, plugin_class) -> dict:
    import contextlib
    import io

    import pytest as pytest_module

    plugin = plugin_class(None, 0, None)
    with contextlib.redirect_stdout(io.StringIO()):
        pytest_module.main([str(assignment.hidden_tests), "--collect-only", "-q", "-c",
                            str(ROOT / "autograder" / "judge" / "pytest.ini"), "-p", "no:cacheprovider"],
                           plugins=[plugin])
    points: dict = {}
    for check in plugin.results.values():
        points[check.function] = points.get(check.function, 0) + check.max_score
    return points


def test_command_ends_with_everything_written_after_loading_tensorflow(tmp_path):
    """The command skips TensorFlow's teardown at exit; its printed line, results.json and
    feedback.html are all there, and the exit status is 0."""
    released = assignments.load("tf2_migration").released_notebook
    out = tmp_path / "out"
    buffered = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}  # as a cron job runs it
    finished = subprocess.run([sys.executable, "-m", "autograder", "grade", str(released),
                               "--assignment", "tf2_migration", "--out", str(out)], capture_output=True, text=True,
                              env=buffered)
    assert finished.returncode == 0, finished.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == 0 and results["max_score"] > 0
    assert f"0 / {results['max_score']:g}" in finished.stdout
    assert "</html>" in (out / "feedback.html").read_text()


@pytest.mark.parametrize("name", assignments.names())
def test_the_notebook_states_and_checks_what_may_be_imported(name):
    """The released notebook says which packages the autograder has, and its last cell
    (a check students run) passes on the solution and names a package it lacks."""
    assignment = assignments.load(name)
    released = nbformat.read(assignment.released_notebook, as_version=4)
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in released.cells}
    assert all(f"{package}" in cells["what_to_import"].source.lower() for package in assignment.imports)
    check = cells["check_imports"].source
    assert "ALLOWED = {" + ", ".join(f'"{p}"' for p in sorted(assignment.imports)) + "}" in check

    source = nbformat.read(assignment.source_notebook, as_version=4)
    shell = type("Shell", (), {"run_line_magic": lambda *args, **kwargs: None})()
    namespace = {"__name__": "__main__", "get_ipython": lambda: shell}
    for index, cell in enumerate(source.cells):
        flags = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (flags.get("solution") or flags.get("grade_id") == "imports"):
            _run_as_a_cell(notebook.python_source(cell.source), f"<cell {index}>", namespace)
    _run_as_a_cell(check, "<check>", namespace)  # the solution uses only what is allowed

    first = assignment.functions[0]
    _run_as_a_cell(f"def {first}(*args, **kwargs):\n    from scipy import signal\n    return signal\n", "<student>",
                   namespace)
    with pytest.raises(AssertionError, match=f"{first} uses scipy, which is not available in this assignment"):
        _run_as_a_cell(check, "<check>", namespace)


def _run_as_a_cell(source: str, filename: str, namespace: dict) -> None:
    """As Jupyter runs a cell: its source readable by ``inspect``."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
