"""Adding an assignment touches nothing but its own folders: a tiny one (``relu``, in
``tests/data/new_assignment/``) dropped into a copy of the kit is released by nbgrader
and graded, with its own budgets, messages and mutant, by the unchanged kit."""
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NEW = ROOT / "tests" / "data" / "new_assignment"
KIT = ("autograder", "solutions/__init__.py", "nbgrader_config.py")


def _kit_without_assignments(target: Path) -> None:
    """The kit's code, with none of its own assignments."""
    for item in KIT:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (target / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / item)
    for folder in (target / "autograder" / "assignments").iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)


def _autograder(kit: Path, *args) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(kit)}  # this copy of the kit, not the installed one
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=kit, capture_output=True, text=True,
                          timeout=300, env=environment)


def test_a_new_assignment_is_only_its_folders(tmp_path):
    kit = tmp_path / "kit"
    _kit_without_assignments(kit)
    shutil.copytree(NEW, kit, dirs_exist_ok=True)

    released = _autograder(kit, "release", "relu")
    assert released.returncode == 0, released.stderr[-3000:]
    stub = kit / "release" / "relu" / "relu.ipynb"
    assert "NotImplementedError" in stub.read_text()

    source = nbformat.read(kit / "source" / "relu" / "relu.ipynb", as_version=4)
    mutant = runpy.run_path(str(NEW / "autograder" / "assignments" / "relu" / "mutants.py"))["MUTANTS"][0]
    mutated = mutant.notebook(source)
    submitted = tmp_path / "submitted"
    for student, notebook in (("ann", source), ("bob", nbformat.read(stub, as_version=4)), ("cy", mutated)):
        (submitted / student / "relu").mkdir(parents=True)
        nbformat.write(notebook, submitted / student / "relu" / "relu.ipynb")

    graded = _autograder(kit, "grade", str(submitted), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert graded.returncode == 0, graded.stderr[-3000:]
    scores = {}
    for student in ("ann", "bob", "cy"):
        data = json.loads((tmp_path / "out" / student / "relu" / "results.json").read_text())
        scores[student] = {test["name"]: test["score"] for test in data["tests"][1:]}
        assert data["max_score"] == 4.0
    assert all(score > 0 for score in scores["ann"].values()), scores["ann"]
    assert not any(scores["bob"].values())
    lost = {name.split(":")[0] for name, score in scores["cy"].items() if score == 0}
    assert lost == {"relu"}
    feedback = (tmp_path / "out" / "cy" / "relu" / "feedback.html").read_text()
    assert "left a negative value" in feedback  # the assignment's own sentence
    budgets = json.loads((tmp_path / "out" / "ann" / "relu" / "results.json").read_text())["extra_data"]
    assert budgets["budgets_seconds"]["relu"] > 0  # calibrated on its own source notebook
