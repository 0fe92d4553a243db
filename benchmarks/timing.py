"""Rows of the benchmark table, and how their seconds are measured.

Nothing here knows an assignment: each assignment's rows are in its own folder,
``autograder/assignments/<name>/benchmark.py``, which ``benchmarks/run.py`` finds by
looking. Such a module holds

- ``GROUPS``: ``{group: rows}``, where ``group`` is a name ``--only`` takes and
  ``rows(quick: bool, repeats: int) -> list[Row]`` measures that group's rows (each
  with ``Row.group == group``);
- ``sizes(quick: bool) -> str``: the sizes its rows use, in words, for the header.

Kernel rows that compare a reference with another library's op use ``compared_row``:
both answers are computed and compared before the clock starts.
"""
import os
import statistics
import sys
import time
from dataclasses import dataclass


@dataclass
class Row:
    """Two things measured side by side in one run.

    ``ratio`` is ``ours / theirs`` when ``target`` reads ``<= r`` (time: lower is better)
    and ``theirs / ours`` when it reads ``>= r`` (a speed-up: higher is better).
    """

    group: str  # what --only selects
    name: str
    ours: str  # what was measured
    theirs: str  # what it is measured against
    target: tuple  # ("<=", 0.5) or (">=", 1.8)
    ours_s: float = None
    theirs_s: float = None
    note: str = ""  # a skip's reason, or a detail worth a footnote

    @property
    def ratio(self):
        if self.ours_s is None or self.theirs_s is None:
            return None
        if self.target[0] == "<=":
            return self.ours_s / self.theirs_s
        return self.theirs_s / self.ours_s

    @property
    def result(self) -> str:
        if self.ratio is None:
            return "skipped"
        op, bound = self.target
        return "met" if (self.ratio <= bound if op == "<=" else self.ratio >= bound) else "missed"


def skipped(group: str, name: str, ours: str, theirs: str, target: tuple, why: str) -> Row:
    return Row(group, name, ours, theirs, target, note=why)


def median_alternating(ours, theirs, repeats: int) -> tuple:
    """Median seconds of ``ours()`` and of ``theirs()``, called by turns: for whole
    processes, whose turns spread the noise of a shared machine over both sides."""
    ours_s, theirs_s = [], []
    for _ in range(repeats):
        ours_s.append(seconds(ours))
        theirs_s.append(seconds(theirs))
    return statistics.median(ours_s), statistics.median(theirs_s)


def median_in_blocks(ours, theirs, repeats: int, rounds: int = 2) -> tuple:
    """Median seconds of ``ours()`` and of ``theirs()`` in one process: each timed
    ``repeats`` times in a row, the two blocks taking turns ``rounds`` times.

    An untimed call opens each block: after their work, numpy's BLAS threads and
    TensorFlow's spin a while, and that must not land in the other side's time."""
    ours_s, theirs_s = [], []
    for _ in range(rounds):
        for function, times in ((ours, ours_s), (theirs, theirs_s)):
            function()
            times += [seconds(function) for _ in range(repeats)]
    return statistics.median(ours_s), statistics.median(theirs_s)


def seconds(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def format_seconds(value) -> str:
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.0f} us"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def table(rows: list) -> str:
    """The rows as a fixed-width text table, then the notes they carry."""
    header = ("row", "measured", "time", "against", "time", "ratio", "target", "result")
    lines = [header]
    notes = []
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        result = row.result
        if row.note:
            notes.append(row.note)
            result += f" [{len(notes)}]"
        lines.append((row.name, row.ours, format_seconds(row.ours_s), row.theirs, format_seconds(row.theirs_s),
                      ratio, f"{row.target[0]} {row.target[1]:g}x", result))
    return aligned(lines, right={2, 4, 5}, notes=notes)


def aligned(lines: list, right: set, notes: list) -> str:
    """``lines`` (the header first) in columns, those in ``right`` aligned on the right
    (numbers), a rule under the header, then the numbered notes."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = []
    for k, line in enumerate(lines):
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        text.append("  ".join(cells).rstrip())
        if k == 0:
            text.append("  ".join("-" * w for w in widths))
    text += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(text)


def compared_row(group: str, name: str, ours: str, theirs: str, target: tuple, repeats: int,
                 reference, other) -> Row:
    """Compare the two answers (which runs both once: tracing, caches), then time both in blocks."""
    mismatch = differs(reference(), other())
    ours_s, theirs_s = median_in_blocks(reference, other, repeats)
    note = f"{name}: THE ANSWERS DIFFER, {mismatch}" if mismatch else ""
    return Row(group, name, ours, theirs, target, ours_s=ours_s, theirs_s=theirs_s, note=note)


def differs(ours, theirs) -> str:
    """Why the two answers differ (float64 work against float32 is not the same work), or ""
    when they agree to float32 precision."""
    import numpy as np

    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    if len(ours) != len(theirs):
        return f"{len(ours)} outputs against {len(theirs)}"
    for k, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return f"output {k}: {a.dtype} {a.shape} against {b.dtype} {b.shape}"
        if not np.allclose(a, b, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(b).max(initial=0)))):
            return f"output {k}: max difference {np.abs(a - b).max():.3g}"
    return ""


def normal(rng, shape, scale=1.0):
    """Float32 normal noise; scaled before the cast, so that nothing promotes it to float64."""
    import numpy as np

    return (scale * rng.standard_normal(shape)).astype(np.float32)


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def set_threads(threads: int, tensorflow: bool) -> None:
    """The same number of threads on both sides of a kernel row, whatever the environment
    says (importing the autograder pins numpy to one thread for grading's sake); with
    ``tensorflow``, TensorFlow's ops too (before TensorFlow runs its first op)."""
    from threadpoolctl import threadpool_limits

    import numpy  # noqa: F401 (loads its BLAS, for threadpoolctl to find)

    threadpool_limits(threads, user_api="blas")
    if tensorflow:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def tensorflow_threads() -> str:
    if "tensorflow" not in sys.modules:
        return "not loaded"
    import tensorflow as tf

    return f"{tf.config.threading.get_intra_op_parallelism_threads()} threads per op"
