"""Rows of the benchmark table, and how their seconds are measured."""
import statistics
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
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {2, 4, 5}  # numbers line up on the right
    text = []
    for k, line in enumerate(lines):
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        text.append("  ".join(cells).rstrip())
        if k == 0:
            text.append("  ".join("-" * w for w in widths))
    text += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(text)
