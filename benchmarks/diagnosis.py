"""How often the diagnosis names the right mistake, on mistakes the catalogue did not write.

    .venv/bin/python benchmarks/diagnosis.py                  # every assignment with mistakes/
    .venv/bin/python benchmarks/diagnosis.py --only NAME --verbose

A mutant diagnosing itself proves nothing, so each assignment keeps, in
``autograder/assignments/<name>/mistakes/``, a second implementation of each of its
known mistakes, written differently (loops where the mutant is vectorised, another
student's names and structure): ``<mutant name>.py``, a code cell that defines the
broken function(s) and relies on the notebook for the rest (``<mutant name>.<variant>.py``:
one more version of the same mistake, counted too). ``mistakes/correct/*.py``
are correct implementations in other styles, graded with the catalogue's own
``ALTERNATIVES``.

Each is appended as the student's last cell to the source notebook and graded as a
submission (``autograder.grading.grade``, fixed generous time budgets: no calibration).
A mistake is named correctly when the failed checks of the function it breaks (the
mutant's first) carry a ``Likely cause:`` line with the mutant's why, and no line
there without it. A correct implementation is left undiagnosed when no check of its
grading carries a ``Likely cause:`` line. Targets: 90 % and 100 %.
"""
import argparse
import copy
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder import assignments  # noqa: E402
from autograder.grading import grade  # noqa: E402
from autograder.messages import say  # noqa: E402
from autograder.run import resolve  # noqa: E402
from benchmarks.timing import aligned  # noqa: E402

NAMED_TARGET = 0.90
UNDIAGNOSED_TARGET = 1.00
BUDGET_SECONDS = 120.0  # per budgeted function: generous, so that no calibration runs
SEED = 20261123
CAUSE = re.compile(r"^" + re.escape(say("diagnosis.likely", cause="\0")).split("\0")[0] + r"(.*)$", re.MULTILINE)


@dataclass
class Tally:
    assignment: str
    named: int = 0
    mistakes: int = 0
    undiagnosed: int = 0
    correct: int = 0
    notes: list = field(default_factory=list)


def mistakes_folder(name: str) -> Path:
    return assignments.load(name).folder / "mistakes"


def with_cell(notebook, code: str):
    """The notebook with ``code`` appended as the student's own last cell."""
    notebook = copy.deepcopy(notebook)
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    return notebook


def graded_checks(name: str, notebook, seed: int, folder: Path) -> list:
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    task = assignments.load(name)
    run = resolve(name, seed, "cpu", budgets={function: BUDGET_SECONDS for function in task.budgets}, within=folder)
    graded = grade(path, run)
    if "not_graded" in graded:
        raise RuntimeError(f"{name}: not graded: {graded['not_graded']}")
    return graded["checks"]


def causes(checks: list, function: str = None) -> list:
    """The likely causes named in the failed checks (of ``function``)."""
    return [cause.rstrip(".") for check in checks if not check.passed and function in (None, check.function)
            for cause in CAUSE.findall(check.output)]


def measure(name: str, seed: int, verbose: bool) -> Tally:
    tally = Tally(name)
    catalogue = assignments.catalogue(name)
    mutants = {mutant.name: mutant for mutant in catalogue.MUTANTS}
    source = assignments.load(name).notebook("source")
    folder = mistakes_folder(name)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        covered = set()
        for path in sorted(folder.glob("*.py")):
            mutant = mutants.get(path.stem.split(".")[0])
            if mutant is None:
                tally.notes.append(f"{name}/mistakes/{path.name}: no mutant of that name in the catalogue")
                continue
            covered.add(mutant.name)
            function = mutant.functions[0]
            checks = graded_checks(name, with_cell(source, path.read_text()), seed, scratch)
            failed = [check for check in checks if check.function == function and not check.passed]
            said = causes(checks, function)
            right = bool(said) and all(mutant.why in cause for cause in said)
            tally.mistakes += 1
            tally.named += right
            if not failed:
                verdict = f"loses no points on {function}"
            elif right:
                separator = say("diagnosis.either", first="\0", second="\0").split("\0")[1]
                others = sorted({part for cause in said for part in cause.split(separator)} - {mutant.why})
                verdict = f"named, with a second cause that gives the same answer: {others[0]!r}" if others else "named"
            else:
                verdict = f"said {sorted(set(said))}" if said else "no cause named"
            if verdict != "named":
                tally.notes.append(f"{name}: {path.stem}: {verdict}")
            if verbose:
                print(f"  {name:12} {path.stem:45} {verdict}", flush=True)
        missing = [mutant for mutant in mutants if mutant not in covered]
        if missing:
            tally.notes.append(f"{name}: no independent version of {', '.join(missing)} (not counted)")
        correct = [(alternative.name, alternative.code) for alternative in catalogue.ALTERNATIVES]
        correct += [(path.stem, path.read_text()) for path in sorted((folder / "correct").glob("*.py"))]
        for label, code in correct:
            checks = graded_checks(name, with_cell(source, code), seed, scratch)
            said = causes(checks)
            lost = [check.name for check in checks if not check.passed]
            tally.correct += 1
            tally.undiagnosed += not said
            verdict = f"said {sorted(set(said))}" if said else "no cause named"
            if lost:
                verdict += f"; loses points on {len(lost)} checks (not a correct implementation?)"
            if said or lost:
                tally.notes.append(f"{name}: correct {label}: {verdict}")
            if verbose:
                print(f"  {name:12} correct: {label:36} {verdict}", flush=True)
    return tally


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def table(tallies: list) -> str:
    header = ("assignment", "mistakes named", "share", "target", "result", "correct undiagnosed", "share", "target",
              "result")
    lines = [header]
    notes = []
    for tally in tallies:
        named_met = tally.mistakes and tally.named / tally.mistakes >= NAMED_TARGET
        quiet_met = tally.correct and tally.undiagnosed / tally.correct >= UNDIAGNOSED_TARGET
        lines.append((tally.assignment, f"{tally.named} / {tally.mistakes}", share(tally.named, tally.mistakes),
                      f">= {NAMED_TARGET:.0%}", "met" if named_met else "missed",
                      f"{tally.undiagnosed} / {tally.correct}", share(tally.undiagnosed, tally.correct),
                      f"= {UNDIAGNOSED_TARGET:.0%}", "met" if quiet_met else "missed"))
        notes += tally.notes
    return aligned(lines, right={1, 2, 5, 6}, notes=notes)


def main(argv=None) -> int:
    found = [name for name in assignments.names() if mistakes_folder(name).is_dir()]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated assignments (of {', '.join(found)})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--verbose", action="store_true", help="a line per graded implementation")
    options = parser.parse_args(argv)
    names = options.only.split(",") if options.only else found
    started = time.monotonic()
    tallies = [measure(name, options.seed, options.verbose) for name in names]
    print(f"Diagnosis of independently written mistakes (seed {options.seed}, "
          f"{time.monotonic() - started:.0f} s)\n")
    print(table(tallies))
    met = all(t.mistakes and t.named / t.mistakes >= NAMED_TARGET and t.undiagnosed == t.correct for t in tallies)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
