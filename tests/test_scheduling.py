"""``--shard auto`` on the schedulers departments have: each template of
``docs/scheduling/`` is run as its scheduler would run it (every shard a separate
process, with the scheduler's variables set), then merged; the merged grades equal a
single machine's."""
import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder import assignments
from autograder.course import shards

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "docs" / "scheduling"
SEED = "7"
COUNT = 2


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Three students of one assignment (found by looking: the first with mutants), and
    the grades of one machine."""
    name = next(n for n in assignments.names() if assignments.catalogue(n) and
                "tensorflow" not in assignments.load(n).imports)
    assignment = assignments.load(name)
    root = tmp_path_factory.mktemp("course")
    students = _students_in_every_shard(3)
    notebooks = dict(zip(students, [assignment.notebook("source"), assignment.notebook("released"),
                                    assignments.catalogue(name).MUTANTS[0].notebook(assignment.notebook("source"))]))
    for student, notebook in notebooks.items():
        (root / "submitted" / student / name).mkdir(parents=True)
        nbformat.write(notebook, root / "submitted" / student / name / f"{name}.ipynb")
    (root / "cache").mkdir(mode=0o700)
    single = _run(["autograder", "grade", "submitted", "--out", "single", "--seed", SEED], root, {})
    assert single.returncode == 0, single.stderr[-2000:]
    return root


def _students_in_every_shard(count: int) -> list:
    """``count`` student ids that fill each of the ``COUNT`` shards: every shard grades someone."""
    names = [f"student{number:02d}" for number in range(1, 100)]
    chosen = [next(n for n in names if shards.shard_of(n, COUNT) == shard) for shard in range(1, COUNT + 1)]
    return (chosen + [n for n in names if n not in chosen])[:count]


def _run(command: list, cwd: Path, variables: dict, shell: bool = False) -> subprocess.CompletedProcess:
    """``command`` as a scheduler runs it: the kit's command on PATH, its variables set;
    the budgets measured once for the whole test (a cache of its own)."""
    environment = {**os.environ, **variables, "AUTOGRADER_CALIBRATION_CACHE": str(cwd / "cache"),
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if not shell:
        command = [sys.executable, "-m", "autograder", *command[1:]]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600,
                          shell=shell, executable="/bin/bash" if shell else None)


def _grades(folder: Path) -> list:
    with open(folder / "grades.csv", newline="") as file:
        return sorted((row["student"], row["assignment"], row["score"], row["status"]) for row in csv.DictReader(file))


def _merge_and_compare(course: Path, outs: list) -> None:
    merged = _run(["autograder", "merge", *map(str, outs), "--out", "merged"], course, {})
    assert merged.returncode == 0, merged.stderr[-2000:]
    assert _grades(course / "merged") == _grades(course / "single")
    assert all(any(out.glob("*/*/results.json")) for out in outs), "a shard graded nothing: the test proves little"


def _kit_command(line: str) -> str:
    """A template's command line, run from the course folder with the kit on PATH."""
    return line.replace(".venv/bin/autograder", "autograder")


def test_slurm_array_job(course):
    script = (TEMPLATES / "slurm.sbatch").read_text()
    outs = []
    for task in range(1, COUNT + 1):  # sbatch --array=1-2
        variables = {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": str(COUNT),
                     "SLURM_CPUS_PER_TASK": "1", "SEED": SEED, "SUBMITTED": "submitted"}
        (course / "grading").mkdir(exist_ok=True)
        run = _run(_kit_command(script), course, variables, shell=True)
        assert run.returncode == 0, run.stderr[-2000:]
        outs.append(course / "grading" / f"shard-{task}")
    _merge_and_compare(course, outs)


def test_kubernetes_indexed_job(course):
    job = yaml.safe_load((TEMPLATES / "kubernetes-job.yaml").read_text())
    assert job["spec"]["completionMode"] == "Indexed"
    container = job["spec"]["template"]["spec"]["containers"][0]
    variables = {item["name"]: item["value"] for item in container["env"]}
    assert int(variables["AUTOGRADER_SHARD_COUNT"]) == job["spec"]["completions"]
    variables.update(AUTOGRADER_SHARD_COUNT=str(COUNT), SEED=SEED)
    command = _kit_command(container["args"][0]).replace("/course/", "").replace("/grading/", "k8s/")
    outs = []
    for index in range(COUNT):  # Kubernetes sets JOB_COMPLETION_INDEX from 0
        run = _run(command, course, {**variables, "JOB_COMPLETION_INDEX": str(index)}, shell=True)
        assert run.returncode == 0, run.stderr[-2000:]
        outs.append(course / "k8s" / f"shard-{index}")
    _merge_and_compare(course, outs)


def test_github_actions_matrix(course):
    workflow = yaml.safe_load((TEMPLATES / "github-actions.yml").read_text())
    job = workflow["jobs"]["shard"]
    shards_of_matrix = job["strategy"]["matrix"]["shard"]
    grade_step = next(step["run"] for step in job["steps"] if "autograder grade" in step.get("run", ""))
    for step in job["steps"] + workflow["jobs"]["merge"]["steps"]:  # every action pinned by commit
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    outs = []
    for index, shard in enumerate(shards_of_matrix[:COUNT]):
        context = {"matrix.shard": str(shard), "strategy.job-index": str(index), "strategy.job-total": str(COUNT),
                   "github.run_id": SEED}
        expand = lambda text: re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context[m.group(1)], text)  # noqa: E731
        variables = {name: expand(value) for name, value in job["env"].items()}
        run = _run(_kit_command(expand(grade_step)).replace("grading/", "actions/"), course, variables, shell=True)
        assert run.returncode == 0, run.stderr[-2000:]
        outs.append(course / "actions" / f"shard-{shard}")
    _merge_and_compare(course, outs)


@pytest.mark.parametrize("variables, expected", [
    ({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"}, (2, 3)),
    ({"JOB_COMPLETION_INDEX": "0", "AUTOGRADER_SHARD_COUNT": "4"}, (1, 4)),
    ({"AUTOGRADER_SHARD_INDEX": "3", "AUTOGRADER_SHARD_COUNT": "4"}, (4, 4)),
], ids=["slurm", "kubernetes", "any engine"])
def test_auto_reads_the_schedulers_variables(variables, expected):
    assert shards.parse("auto", variables) == expected


@pytest.mark.parametrize("variables", [{}, {"JOB_COMPLETION_INDEX": "0"}, {"AUTOGRADER_SHARD_INDEX": "4",
                                                                          "AUTOGRADER_SHARD_COUNT": "4"}],
                         ids=["none", "kubernetes without a count", "index past the count"])
def test_auto_without_a_shard_says_how_to_give_one(variables):
    with pytest.raises(ValueError, match="--shard"):
        shards.parse("auto", variables)
