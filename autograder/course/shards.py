"""Spread one batch over several machines that an existing engine starts (the jobs of a
CI matrix, an array job on a cluster), then merge what they leave into one tree.

    autograder grade submitted/ --out grading/shard-2 --shard 2/4   # job 2 of 4
    autograder grade submitted/ --out grading/shard-$ID --shard auto # K and N from the scheduler
    autograder merge grading/shard-* --out grading/all               # once all 4 are done

``--shard auto`` reads the job's index and count from the scheduler's own variables: a
Slurm array job (``SLURM_ARRAY_TASK_ID``, ``SLURM_ARRAY_TASK_MIN``,
``SLURM_ARRAY_TASK_COUNT``), a Kubernetes Indexed Job (``JOB_COMPLETION_INDEX``, with the
count in ``AUTOGRADER_SHARD_COUNT``), or any engine that sets ``AUTOGRADER_SHARD_INDEX``
(from 0) and ``AUTOGRADER_SHARD_COUNT`` (a GitHub Actions matrix, from
``strategy.job-index`` and ``strategy.job-total``). ``docs/scheduling/`` has a template
for each.

Shard K of N holds the students whose id hashes to K - 1 modulo N: every job computes
the same partition from its own copy of the tree, and a student who submits late moves
no one else. A student's assignments all go to the same shard. Each job calibrates its
time budgets on its own machine, which is what budgets are for.
"""
import hashlib
import os
from pathlib import Path

from autograder.course import CourseError
from autograder.report.grades import collect
from autograder.report.results import copy_atomically
from autograder.messages import say


def parse(spec: str, environment: dict = None) -> tuple:
    """``"2/4"`` → ``(2, 4)``; ``"auto"`` → the scheduler's own (see above)."""
    if spec == "auto":
        return from_scheduler(os.environ if environment is None else environment)
    index, _, count = spec.partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        index = count = 0
    if not 1 <= index <= count:
        raise ValueError(say("course.bad_shard", spec=spec))
    return index, count


def from_scheduler(environment) -> tuple:
    """``(K, N)`` from the variables of the scheduler that started this job."""
    def number(name):
        try:
            return int(environment[name])
        except (KeyError, ValueError):
            return None

    if number("AUTOGRADER_SHARD_INDEX") is not None and number("AUTOGRADER_SHARD_COUNT"):
        found = number("AUTOGRADER_SHARD_INDEX") + 1, number("AUTOGRADER_SHARD_COUNT")
    elif number("SLURM_ARRAY_TASK_ID") is not None and number("SLURM_ARRAY_TASK_COUNT"):
        found = (number("SLURM_ARRAY_TASK_ID") - (number("SLURM_ARRAY_TASK_MIN") or 0) + 1,
                 number("SLURM_ARRAY_TASK_COUNT"))
    elif number("JOB_COMPLETION_INDEX") is not None and number("AUTOGRADER_SHARD_COUNT"):
        found = number("JOB_COMPLETION_INDEX") + 1, number("AUTOGRADER_SHARD_COUNT")
    else:
        raise ValueError(say("course.no_scheduler"))
    if not 1 <= found[0] <= found[1]:
        raise ValueError(say("course.bad_shard", spec=f"{found[0]}/{found[1]}"))
    return found


def shard_of(student: str, count: int) -> int:
    """The shard (1 to ``count``) that grades ``student``."""
    return int.from_bytes(hashlib.sha256(student.encode()).digest()[:8], "big") % count + 1


def select(submissions: list, index: int, count: int) -> list:
    return [s for s in submissions if shard_of(s.student, count) == index]


def merge(sources: list, out: Path) -> int:
    """Copy every graded submission of ``sources`` into ``out``; return how many.

    A submission graded in two sources means the shards overlapped: nothing is copied."""
    origin = {}
    for source in sources:
        graded = collect(source)
        if not graded and not (source / "grades.csv").exists():  # a shard with no student left a table
            raise CourseError(say("course.nothing_to_merge", folder=source))
        for g in graded:
            key = f"{g.student}/{g.assignment}"
            if key in origin and origin[key].resolve() != g.folder.resolve():
                raise CourseError(say("course.duplicate", submission=key, first=origin[key].parents[1],
                                      second=g.folder.parents[1]))
            origin[key] = g.folder
    for key, folder in origin.items():
        _copy_folder(folder, out / key)
    return len(origin)


def _copy_folder(source: Path, destination: Path) -> None:
    if source.resolve() != destination.resolve():
        for path in source.iterdir():
            if path.is_file():
                copy_atomically(path, destination / path.name)
