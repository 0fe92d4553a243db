"""The command never pretends: nothing to grade is an error that says what was expected,
a file that is not a notebook is named as such, a CI log gets a line per submission,
JUnit XML carries every check, and a reader that goes away early (``| head``) is no error."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import nbformat
import pytest
from conftest import run_file

from autograder import assignments, cli

CONV = assignments.load("conv")
SOURCE = nbformat.read(CONV.source_notebook, as_version=4)
RELEASED = nbformat.read(CONV.released_notebook, as_version=4)


@pytest.mark.parametrize("layout", ["empty", "flat", "unknown assignment"])
def test_a_folder_with_nothing_to_grade_is_an_error(layout, tmp_path, capsys):
    folder = tmp_path / "submitted"
    folder.mkdir()
    if layout == "flat":
        nbformat.write(SOURCE, folder / "alice_conv.ipynb")
    if layout == "unknown assignment":
        (folder / "alice" / "homework1").mkdir(parents=True)
        nbformat.write(SOURCE, folder / "alice" / "homework1" / "homework1.ipynb")
    assert cli.main(["grade", str(folder), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert "holds no submission to grade" in error and "<student>/<assignment>/<notebook>.ipynb" in error
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_a_script_handed_in_as_the_notebook_is_named_as_such(tmp_path, calibrated):
    script = tmp_path / "conv.py"
    script.write_text("def conv_forward(x, w, b, stride=1, pad=0):\n    return x\n")
    run = run_file(tmp_path / "run.json", "conv", calibrated("conv"))
    out = tmp_path / "out"
    assert cli.main(["grade", str(script), "--assignment", "conv", "--out", str(out), "--run", str(run)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert "conv.py is not a Jupyter notebook (.ipynb)" in data["tests"][0]["output"] and data["score"] == 0


def test_a_ci_log_gets_a_line_per_submission_and_junit_every_check(tmp_path):
    submitted = tmp_path / "submitted"
    for student, notebook in (("ann", SOURCE), ("bob", RELEASED)):
        (submitted / student / "conv").mkdir(parents=True)
        nbformat.write(notebook, submitted / student / "conv" / "conv.ipynb")
    junit = tmp_path / "junit.xml"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(tmp_path / "out"),
                          "--jobs", "2", "--junit", str(junit)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert any(line.startswith("ann  conv  12 / 12  ") and line.endswith(" s") for line in lines), lines
    assert any(line.startswith("bob  conv  0 / 12  ") for line in lines), lines
    suites = {suite.get("name"): suite for suite in ElementTree.parse(junit).getroot()}
    assert set(suites) == {"ann/conv", "bob/conv"}
    bob = json.loads((tmp_path / "out" / "bob" / "conv" / "results.json").read_text())
    cases = suites["bob/conv"].findall("testcase")
    assert len(cases) == len(bob["tests"]) and suites["ann/conv"].get("failures") == "0"
    failures = {case.get("name"): case.find("failure").text for case in cases if case.find("failure") is not None}
    assert failures and all(text == next(t["output"] for t in bob["tests"] if t["name"] == name)
                            for name, text in failures.items())


def test_a_reader_that_goes_away_is_no_error(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"score": 1, "max_score": 2, "execution_time": 1.0, "tests": [
        {"name": f"check {n}", "score": 0, "max_score": 1, "output": "wrong " * 50, "tags": ["conv_forward"]}
        for n in range(200)], "extra_data": {"assignment": "conv", "seed": 1}}))
    process = subprocess.Popen([sys.executable, "-m", "autograder", "report", str(results)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # as `| head` does, before the command has written anything
    _, error = process.communicate(timeout=60)
    assert process.returncode == 0 and b"Traceback" not in error and b"BrokenPipe" not in error, error
