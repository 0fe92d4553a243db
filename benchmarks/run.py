"""Side-by-side timings of the course kit, one table: each row two things measured in the same run.

    python benchmarks/run.py                 every row (about fifteen minutes on two cores)
    python benchmarks/run.py --quick         tiny sizes, few repetitions, no nbgrader (for CI)
    python benchmarks/run.py --only grade,batch --threads 1

Rows (the names --only takes):
    grade       autograder grade against nbgrader autograde, per assignment     target <= 0.2x
                (an assignment whose graded code imports TensorFlow: <= 0.5x)
    batch       40 submissions of one assignment, --jobs 2 against --jobs 1      target >= 1.9x
                and its time per notebook against one nbgrader autograde        target <= 0.06x
                (the first assignment, by name, with mutants and no TensorFlow)
    and the groups of every assignment that has a benchmark.py in its folder
    (autograder/assignments/<name>/benchmark.py: GROUPS and sizes), found by looking;
    --help lists them.
"""
import argparse
import importlib
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import benchmarks  # noqa: E402, F401 (first: it keeps the shell's environment for the grading rows)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter, in this process

from autograder import assignments  # noqa: E402
from autograder.judge.budgets import processor  # noqa: E402
from benchmarks import grading  # noqa: E402
from benchmarks.timing import set_threads, table, tensorflow_threads, usable_cores  # noqa: E402

GENERIC = {
    "grade": lambda quick, repeats: grading.grade_rows(quick, repeats),
    "batch": lambda quick, repeats: grading.batch_rows(2 if quick else 40, quick),
}


def discover() -> dict:
    """``{assignment: its benchmark module}``, for every assignment whose folder has a
    ``benchmark.py``, in the order of ``assignments.names()``."""
    modules = {}
    for name in assignments.names():
        module_name = f"{assignments.__name__}.{name}.benchmark"
        try:
            modules[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:  # the module is there, but something it imports is not
                raise
    return modules


def groups(modules: dict = None) -> dict:
    """``{group: rows function}``: the generic rows first, then each assignment's."""
    found = dict(GENERIC)
    for name, module in (discover() if modules is None else modules).items():
        for group, rows in module.GROUPS.items():
            if group in found:
                raise ValueError(f"{name}'s benchmark.py defines the group {group!r}, which is taken")
            found[group] = rows
    return found


def main(argv=None) -> int:
    modules = discover()
    known = groups(modules)
    owner = {group: module for module in modules.values() for group in module.GROUPS}
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repetitions, no nbgrader rows")
    parser.add_argument("--only", type=lambda text: _groups(text, known), default=list(known), metavar="ROWS",
                        help=f"comma-separated, among: {', '.join(known)}")
    parser.add_argument("--repeat", type=int, help="repetitions per measurement (the median is shown)")
    parser.add_argument("--threads", type=int, default=usable_cores(),
                        help="threads for numpy's BLAS and for TensorFlow's ops in the assignments' rows, "
                             "the same on both sides (default: one per core)")
    args = parser.parse_args(argv)
    repeats = args.repeat or (3 if args.quick else 7)
    chosen_modules = list(dict.fromkeys(owner[group] for group in args.only if group in owner))
    set_threads(args.threads, tensorflow=bool(chosen_modules))

    print(machine())
    if chosen_modules:
        print(f"sizes: {'; '.join(module.sizes(args.quick) for module in chosen_modules)}")
    if args.quick:
        print("--quick: tiny sizes and few repetitions; the ratios say little")
    rows = []
    for group in args.only:
        print(f"measuring {group} ...", end=" ", file=sys.stderr, flush=True)
        started = time.perf_counter()
        # grading runs whole processes: three repetitions of each side are plenty
        measured = known[group](args.quick, min(repeats, 3) if group == "grade" else repeats)
        strays = [row.name for row in measured if row.group != group]
        if strays or not measured:
            raise ValueError(f"the group {group!r} measured no rows of its own: {strays or 'none at all'}")
        rows += measured
        print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"load average at the end: {_load()}")
    print()
    print(table(rows))
    return 0


def _groups(text: str, known: dict) -> list:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown rows {unknown}; choose among {', '.join(known)}")
    return [name for name in known if name in chosen]


def machine() -> str:
    """The CPU, its cores, the threads, and the versions that decide the timings."""
    from threadpoolctl import threadpool_info

    numpy_blas = [pool for pool in threadpool_info() if "numpy" in pool["filepath"]]
    blas = ", ".join(f"{pool['internal_api']}, {pool['num_threads']} threads" for pool in numpy_blas) or "unknown"
    versions = ", ".join(f"{name} {_version(name)}" for name in ("numpy", "tensorflow", "keras", "nbgrader"))
    return (f"machine: {processor()}, {os.cpu_count()} cores ({usable_cores()} usable), load average {_load()}\n"
            f"threads: numpy's BLAS {blas}; TensorFlow {tensorflow_threads()}\n"
            f"Python {platform.python_version()}, {versions}")


def _version(name: str) -> str:
    for package in (name, f"{name}-cpu"):  # tensorflow-cpu is TensorFlow too
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"


if __name__ == "__main__":
    sys.exit(main())
