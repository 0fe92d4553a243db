"""One grading run, decided once: the assignment, the seed, the device, the sandbox
limits, the time budgets and the folders student code must not see.

The command line resolves a run before any student code runs: it draws the seed,
applies the ``--limit`` overrides to the assignment's own limits, and lets the budgets
module choose the device and measure the budgets on this machine. The result is a
frozen value. A batch writes it to one file that every judge process reads, so that
every submission of the batch is graded under the very same run; ``grade()`` reads
nothing else.
"""
import json
import secrets
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from autograder import assignments
from autograder.config import Limits
from autograder.judge.budgets import CalibrationFailed, device_for, measured
from autograder.messages import say

__all__ = ["CalibrationFailed", "Run", "parse_limits", "resolve"]


@dataclass(frozen=True)
class Run:
    assignment: str
    seed: int
    device: str  # "cpu" or "gpu": which budget table applies
    limits: Limits
    budgets: dict = field(default_factory=dict)  # {function: seconds on this machine}
    hidden: tuple = ()  # folders student code must not see
    within: Path = None  # a notebook whose real path leaves this folder is refused

    @property
    def task(self) -> assignments.Assignment:
        """The assignment, under this run's limits."""
        return assignments.load(self.assignment, self.limits)

    def hiding(self, *folders: Path) -> "Run":
        return replace(self, hidden=(*self.hidden, *(Path(folder) for folder in folders)))

    def to_json(self) -> str:
        data = {**asdict(self), "limits": asdict(self.limits), "hidden": [str(path) for path in self.hidden],
                "within": str(self.within) if self.within else None}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Run":
        data = json.loads(text)
        return cls(
            assignment=data["assignment"], seed=int(data["seed"]), device=data["device"],
            limits=Limits(**data["limits"]), budgets={k: float(v) for k, v in data["budgets"].items()},
            hidden=tuple(Path(path) for path in data["hidden"]),
            within=Path(data["within"]) if data["within"] else None,
        )


def resolve(assignment: str, seed: int = None, device: str = "auto", limits: dict = None, hidden=(),
            within: Path = None, budgets: dict = None, recalibrate: bool = False) -> Run:
    """The run that grades ``assignment``: ``limits`` override its own, ``device`` is
    ``auto``, ``cpu`` or ``gpu``; ``budgets`` given (as the project's tests do, measured
    once for a session), else those kept for this machine, else measured now
    (``recalibrate``: measured now whatever is kept). Raises ``CalibrationFailed``."""
    own = assignments.load(assignment)
    task = assignments.load(assignment, own.limits.with_overrides(**limits) if limits else None)
    device = device_for(device, task)
    task = assignments.load(assignment, task.limits.with_overrides(gpu=device == "gpu"))  # the GPU sandbox profile
    return Run(
        assignment=assignment,
        seed=secrets.randbelow(2**31) if seed is None else seed,
        device=device,
        limits=task.limits,
        budgets=measured(task, device, fresh=recalibrate) if budgets is None else dict(budgets),
        hidden=tuple(Path(folder) for folder in hidden),
        within=Path(within) if within else None,
    )


def parse_limits(specs) -> dict:
    """``["notebook_seconds=20", "memory_mb=4096"]`` → ``{"notebook_seconds": 20.0, "memory_mb": 4096}``."""
    types = {field.name: field.type for field in fields(Limits) if field.name != "gpu"}  # gpu: from --device
    overrides = {}
    for spec in specs:
        name, _, value = (part.strip() for part in spec.partition("="))
        try:
            overrides[name] = types[name](value)
        except (KeyError, ValueError):
            raise ValueError(say("course.bad_limit", names=", ".join(types), spec=spec)) from None
    return overrides
