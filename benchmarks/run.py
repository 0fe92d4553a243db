"""Side-by-side timings of the course kit, one table: each row two things measured in the same run.

    python benchmarks/run.py                 every row (about fifteen minutes on two cores)
    python benchmarks/run.py --quick         tiny sizes, few repetitions, no nbgrader (for CI)
    python benchmarks/run.py --only conv,pool --threads 1

Rows (the names --only takes):
    grade       autograder grade against nbgrader autograde, per assignment     target <= 0.5x
                (an assignment whose graded code imports TensorFlow: <= 1x)
    batch       40 conv submissions with --jobs 2 against --jobs 1               target >= 1.8x
    conv, pool, lstm, gru
                the reference solutions against TensorFlow's CPU ops             target <= 2x
    train_step  the migrated TF2 train_step against the TF1 session step         target <= 1x
"""
import argparse
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import benchmarks  # noqa: E402, F401 (first: it keeps the shell's environment for the grading rows)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter, in this process

from benchmarks import grading, kernels, train_step  # noqa: E402
from benchmarks.timing import table  # noqa: E402

GROUPS = {
    "grade": lambda quick, repeats: grading.grade_rows(quick, repeats),
    "batch": lambda quick, repeats: [grading.batch_row(2 if quick else 40)],
    "conv": kernels.conv_rows,
    "pool": kernels.pool_rows,
    "lstm": lambda quick, repeats: kernels.rnn_rows("lstm", quick, repeats),
    "gru": lambda quick, repeats: kernels.rnn_rows("gru", quick, repeats),
    "train_step": train_step.train_step_rows,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repetitions, no nbgrader rows")
    parser.add_argument("--only", type=_groups, default=list(GROUPS), metavar="ROWS",
                        help=f"comma-separated, among: {', '.join(GROUPS)}")
    parser.add_argument("--repeat", type=int, help="repetitions per measurement (the median is shown)")
    parser.add_argument("--threads", type=int, default=_usable_cores(),
                        help="threads for numpy's BLAS and for TensorFlow's ops in the kernel and train_step rows, "
                             "the same on both sides (default: one per core)")
    args = parser.parse_args(argv)
    repeats = args.repeat or (3 if args.quick else 7)
    _set_threads(args.threads, tensorflow=bool(set(args.only) - {"grade", "batch"}))

    print(machine())
    print(f"sizes: {kernels.sizes(args.quick)}; {train_step.sizes(args.quick)}")
    if args.quick:
        print("--quick: tiny sizes and few repetitions; the ratios say little")
    rows = []
    for group in args.only:
        print(f"measuring {group} ...", end=" ", file=sys.stderr, flush=True)
        started = time.perf_counter()
        # grading runs whole processes: three repetitions of each side are plenty
        rows += GROUPS[group](args.quick, min(repeats, 3) if group == "grade" else repeats)
        print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"load average at the end: {_load()}")
    print()
    print(table(rows))
    return 0


def _groups(text: str) -> list:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown rows {unknown}; choose among {', '.join(GROUPS)}")
    return [name for name in GROUPS if name in chosen]


def _set_threads(threads: int, tensorflow: bool) -> None:
    """The same number of threads on both sides of a kernel row, whatever the environment
    says (importing the autograder pins numpy to one thread for grading's sake)."""
    from threadpoolctl import threadpool_limits

    import numpy  # noqa: F401 (loads its BLAS, for threadpoolctl to find)

    threadpool_limits(threads, user_api="blas")
    if tensorflow:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def machine() -> str:
    """The CPU, its cores, the threads, and the versions that decide the timings."""
    from threadpoolctl import threadpool_info

    numpy_blas = [pool for pool in threadpool_info() if "numpy" in pool["filepath"]]
    blas = ", ".join(f"{pool['internal_api']}, {pool['num_threads']} threads" for pool in numpy_blas) or "unknown"
    versions = ", ".join(f"{name} {_version(name)}" for name in ("numpy", "tensorflow", "keras", "nbgrader"))
    return (f"machine: {_cpu_model()}, {os.cpu_count()} cores ({_usable_cores()} usable), load average {_load()}\n"
            f"threads: numpy's BLAS {blas}; TensorFlow {_tensorflow_threads()}\n"
            f"Python {platform.python_version()}, {versions}")


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _tensorflow_threads() -> str:
    if "tensorflow" not in sys.modules:
        return "not loaded"
    import tensorflow as tf

    return f"{tf.config.threading.get_intra_op_parallelism_threads()} threads per op"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
