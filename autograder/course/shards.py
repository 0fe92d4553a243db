"""Spread one batch over several machines that an existing engine starts (the jobs of a
CI matrix, an array job on a cluster), then merge what they leave into one tree.

    autograder grade submitted/ --out grading/shard-2 --shard 2/4   # job 2 of 4
    autograder merge grading/shard-* --out grading/all               # once all 4 are done

Shard K of N holds the students whose id hashes to K - 1 modulo N: every job computes
the same partition from its own copy of the tree, and a student who submits late moves
no one else. A student's assignments all go to the same shard. Each job calibrates its
time budgets on its own machine, which is what budgets are for.
"""
import hashlib
from pathlib import Path

from autograder.course import CourseError
from autograder.report.grades import collect
from autograder.report.results import copy_atomically
from autograder.messages import say


def parse(spec: str) -> tuple:
    """``"2/4"`` → ``(2, 4)``."""
    index, _, count = spec.partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        index = count = 0
    if not 1 <= index <= count:
        raise ValueError(say("course.bad_shard", spec=spec))
    return index, count


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
        if not graded:
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
