"""The instructor's log of a batch, ``<out>/grading.log``: a line per submission graded,
with what a student never reads (why the autograder could not grade it, internal
errors of checks), so that one file answers "what went wrong, and where"."""
import datetime
import threading
from pathlib import Path

from autograder.report.results import is_not_graded

_lock = threading.Lock()  # the batch's threads append whole lines


def graded(out: Path, submission: str, data, seconds: float) -> None:
    if data is None:
        line = "no result"
    elif is_not_graded(data):
        reasons = " | ".join(str(reason).strip().replace("\n", " ") for reason in data["extra_data"]["internal_errors"])
        line = f"not graded: {reasons}"
    else:
        line = f"{data['score']:g} / {data['max_score']:g}"
        internal = data.get("extra_data", {}).get("internal_errors") or []
        if internal:
            line += f"; {len(internal)} internal errors: " + " | ".join(e.splitlines()[0] for e in internal)
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    with _lock, open(Path(out) / "grading.log", "a", encoding="utf-8") as file:
        file.write(f"{stamp}  {submission}  {seconds:.1f} s  {line}\n")
