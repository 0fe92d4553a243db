"""Diagnosis: when a check fails, the likely cause, from the catalogue of known mistakes.

A failed check is about the last call the hidden test made (``Student.last``: a check
looks at a call's answer right after it). The diagnosis runs the same call, on copies
of the same inputs, through the assignment's known mistakes (``MUTANTS`` of its
``mutants.py``, each the source notebook with one patch) and through the source
notebook itself, here in the judge process: they are the course's own code. Where the
student's answer is the answer of a known mistake, and not the notebook's, the feedback
adds one line, ``Likely cause: <the mistake's why>``: the sentence lives with the
assignment, in its catalogue. Answers are compared in three ways, the first that
finds something wins:

1. the same answer: every array and number within the dtype's tolerance
   (``tolerances.py``), the same structure, the arguments left as the mistake leaves
   them; or the same exception type, where the notebook raises another or says
   something else;
2. the same kind of answer where the notebook raises: the student's function returned
   where it should have raised ValueError, and so does the mistake (it lacks that check);
3. the same places wrong: the entries that differ from the notebook's answer are
   exactly the mistake's, and some entries are right (an overwrite where windows
   overlap wrongs the same entries whatever the order of the loops);
4. the same change of shape: the arrays whose shape differs from the notebook's are
   the mistake's, changed by as much along the axes the mistake changes, and maybe
   along others by the same amount (a mutant patches one line: the output's height
   one short; a student forgets the + 1 for the width too).

A mistake that breaks the called function itself is preferred to one in a helper it
calls (those run only when none of the first kind gives the same answer); where two
mistakes still fit they are both named, where more fit none is.
Where no mistake fits, pattern rules look at the first array that differs, in the
course's layouts (images ``(N, H, W, C)``, sequences ``(N, T, features)``): transposed,
all zeros, off by a constant factor, wrong only near the border (padding), only the
first time step right (the state is not carried), only the last right (the gradient
is not carried back). Their sentences are shared: ``[diagnosis]`` of the messages.

Only a check that failed is diagnosed, and the line never shows an input or an
expected value. A diagnosis runs at most ``MAX_MUTANTS`` mistakes and stops starting
new ones after ``MAX_SECONDS``, and a grading stops diagnosing after
``MAX_GRADING_SECONDS`` in all; each mistake's notebook is executed once per process.

Not diagnosed: assignments whose student code uses TensorFlow (driver-based, such as
a migration to TensorFlow 2: their mistakes would build and train models in the
judge), calls that did not return or raise (a time-out, a crash), and
``NotImplementedError``.
"""
import contextlib
import functools
import importlib.util
import io
import time
import warnings
from dataclasses import dataclass

import numpy as np

from autograder import assignments
from autograder.judge.student import Called, Other, Scalar, received_as, sent_as
from autograder.judge.tolerances import tolerance_for
from autograder.messages import say

MAX_MUTANTS = 40  # mistakes run for one diagnosis
MAX_SECONDS = 3.0  # no further mistake is started for a diagnosis after this long ...
MAX_GRADING_SECONDS = 30.0  # ... nor any diagnosis after this long in one grading
MIN_INSIDE = 0.2  # the border rule: at least this share of the positions lies inside, all right


@dataclass(frozen=True)
class Observed:
    """What a call did, as the judge sees it: ``returned`` with ``value`` (the answer, then
    the arguments as the call left them), or ``raised`` ``error`` (its type, its message)."""

    kind: str
    value: object = None
    error: tuple = ("", "")


class Diagnosis:
    """The likely cause of a failed check, for one assignment.

    ``build(assignment_name, edit=None)`` executes the source notebook's code as the
    autograder would (``edit(grade_id, source)`` plants a mistake) and returns its namespace:
    ``autograder.assignments.testing.solution_namespace``. Without it, nothing is diagnosed.
    """

    def __init__(self, assignment, build=None):
        self.name = assignment.name
        self.build = build
        catalogue = assignments.catalogue(assignment.name)
        self.mutants = tuple(getattr(catalogue, "MUTANTS", ()))
        self.driver = assignment.driver
        self.enabled = build is not None and bool(self.mutants) and "tensorflow" not in assignment.imports
        self.seconds = 0.0  # spent diagnosing in this grading

    def line(self, called: Called) -> str:
        """``Likely cause: ...`` for the check that failed after ``called``, or ""."""
        if self.seconds > MAX_GRADING_SECONDS:
            return ""
        started = time.monotonic()
        try:
            cause = self.cause(called)
        except Exception:  # noqa: BLE001 (a diagnosis is a hint: it never costs a check its result)
            cause = ""
        self.seconds += time.monotonic() - started
        return say("diagnosis.likely", cause=cause) if cause else ""

    def cause(self, called: Called) -> str:
        """The likely cause in words, or "" when the call's answer is right or no cause is
        certain enough."""
        if not self.enabled or called is None:
            return ""
        student = observed(called.outcome)
        if student is None or student.error[0] == "NotImplementedError":
            return ""
        reference = self._run(None, called)
        if reference is None or not distinct(student, reference):
            return ""  # right answer: the check failed for another reason
        exact, loose, places, reshaped = [], [], [], []
        precision = case_tolerance(called.args)
        both_returned = student.kind == reference.kind == "returned"
        wrong = wrong_places(student, reference) if both_returned else {}
        started = time.monotonic()
        for mutant in self._relevant(called):
            if time.monotonic() - started > MAX_SECONDS:
                break
            if exact and mutant.functions[0] not in called.functions:
                break  # a mistake of the function itself gives the same answer: helpers' are not run
            answer = self._run(mutant, called)
            if answer is None or not distinct(answer, reference):
                continue  # the mistake does not show on these inputs
            if same(student, answer, precision):
                exact.append(mutant)
            elif student.kind == answer.kind == "returned" and reference.kind == "raised":
                loose.append(mutant)
            elif both_returned and answer.kind == "returned":
                theirs = wrong_places(answer, reference)
                if is_partial(wrong) and wrong == theirs:
                    places.append(mutant)
                elif same_reshaping(student, answer, reference, wrong, theirs):
                    reshaped.append(mutant)
        for found in (exact, loose, places, reshaped):
            if found:
                return _named(found, called.functions)
        if both_returned:
            return pattern(student.value[0], reference.value[0])
        return ""

    def _relevant(self, called: Called) -> list:
        """The mistakes that change the called functions: of the functions themselves first."""
        functions = set(called.functions)
        relevant = [mutant for mutant in self.mutants if functions & set(mutant.functions)]
        relevant.sort(key=lambda mutant: mutant.functions[0] not in functions)
        return relevant[:MAX_MUTANTS]

    def _run(self, mutant, called: Called):
        """What the call does in the notebook with ``mutant`` planted (None: as written)."""
        namespace = _namespace(self.build, self.name, mutant)
        if namespace is None:
            return None
        if called.function.startswith("driver:"):
            scenarios = getattr(_driver(self.driver), "SCENARIOS", {}) if self.driver else {}
            scenario = scenarios.get(called.function.split(":", 1)[1])
            if scenario is None:
                return None
            inputs = sent_as(dict(called.args))
            return _observe(lambda: scenario(namespace, **inputs), None)
        function = namespace.get(called.function)
        if function is None:
            return None
        args = sent_as(tuple(called.args.values()))
        return _observe(lambda: function(*args), args)


def _named(found: list, functions: tuple) -> str:
    """The why of the mistakes found: those in the called function itself first; one or
    two distinct ones named, more are too many to be a hint."""
    direct = [mutant for mutant in found if mutant.functions[0] in functions]
    whys = list(dict.fromkeys(mutant.why for mutant in (direct or found) if mutant.why))
    if len(whys) == 1:
        return whys[0]
    if len(whys) == 2:
        return say("diagnosis.either", first=whys[0], second=whys[1])
    return ""


# ------------------------------------------------------------------ running the catalogue


@contextlib.contextmanager
def _quiet():
    """Run the course's code without a word: no print, no warning, numpy's error state
    (which a notebook may set with np.seterr) put back after."""
    with np.errstate(all="ignore"), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@functools.lru_cache(maxsize=None)
def _namespace(build, assignment: str, mutant):
    """The source notebook's namespace with ``mutant`` planted (None: as written), once a
    process; None when it does not run (a patch that no longer matches)."""
    def plant(label, source):
        if mutant is None or label != mutant.functions[0]:
            return source
        if source.count(mutant.old) != 1:
            raise ValueError(f"mutant {mutant.name} does not match {label}'s cell")
        return source.replace(mutant.old, mutant.new)

    try:
        with _quiet():
            return build(assignment, edit=plant)
    except Exception:  # noqa: BLE001 (the catalogue's own drift: the mistake is left out)
        return None


@functools.lru_cache(maxsize=None)
def _driver(path):
    """The assignment's driver module, loaded here: its scenarios take a namespace."""
    spec = importlib.util.spec_from_file_location(f"_diagnosis_driver_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _observe(call, args):
    """Run ``call()`` quietly; what it did, as the sandbox would have reported it."""
    try:
        with _quiet():
            value = call()
    except Exception as error:  # noqa: BLE001 (a mistake's exception is an answer to compare)
        kind = "ValueError" if isinstance(error, ValueError) else type(error).__name__
        return Observed("raised", error=(kind, str(error)[:2000]))
    try:
        sent = received_as({"value": value, "args_after": args})
    except Exception:  # noqa: BLE001 (an answer the wire could not carry)
        return None
    return Observed("returned", (sent["value"], sent["args_after"]))


def observed(outcome) -> Observed:
    """What a student's call did, or None for a call that neither returned nor raised."""
    if outcome.kind == "returned":
        return Observed("returned", (outcome.value, outcome.args_after))
    if outcome.kind == "raised":
        error = outcome.error or {}
        return Observed("raised", error=(str(error.get("type", "")), str(error.get("message", ""))))
    return None


# ------------------------------------------------------------------ comparing answers


def same(a: Observed, b: Observed, tolerance: dict = None) -> bool:
    """The same answer: the same exception type, or every leaf of the same structure equal
    (floats within ``tolerance`` where it is coarser than their dtype's)."""
    if a.kind != b.kind:
        return False
    if a.kind == "raised":
        return a.error[0] == b.error[0]
    return not wrong_places(a, b, tolerance)


def case_tolerance(args: dict):
    """float32's tolerance for a case with a float32 input, whose answers are only that
    precise even where a mistake computes them in float64; else None (each dtype's own)."""
    float32 = any(isinstance(leaf, np.ndarray) and leaf.dtype == np.float32 for _, leaf in leaves(args))
    return tolerance_for(np.float32) if float32 else None


def distinct(a: Observed, b: Observed) -> bool:
    """Told apart: another answer, or the same exception with another message."""
    return not same(a, b) or (a.kind == "raised" and a.error[1] != b.error[1])


def wrong_places(a: Observed, b: Observed, tolerance: dict = None) -> dict:
    """``{path: where a differs from b}`` over the leaves of two returned answers: a
    boolean mask for arrays of one shape and dtype, ``True`` for a whole leaf."""
    mine, theirs = dict(leaves(a.value)), dict(leaves(b.value))
    wrong = {}
    for path in mine.keys() | theirs.keys():
        if path not in mine or path not in theirs:
            wrong[path] = True
            continue
        mask = differs(mine[path], theirs[path], tolerance)
        if mask is True or (mask is not False and mask.any()):
            wrong[path] = mask if mask is True else Mask(mask)
    return wrong


def same_reshaping(mine: Observed, theirs: Observed, reference: Observed, my_wrong: dict, their_wrong: dict) -> bool:
    """Wrong in the same leaves, and where the mistake changes an array's shape, ``mine``
    changes it by as much on those axes, and on any other axis by one of those amounts."""
    if not their_wrong or my_wrong.keys() != their_wrong.keys():
        return False
    mine_leaves, their_leaves, expected = (dict(leaves(o.value)) for o in (mine, theirs, reference))
    changed = False
    for path in their_wrong:
        want, a, b = expected.get(path), mine_leaves.get(path), their_leaves.get(path)
        if not all(isinstance(v, np.ndarray) for v in (want, a, b)):
            continue
        if not a.ndim == b.ndim == want.ndim:
            return False
        mine_delta = np.subtract(a.shape, want.shape)
        their_delta = np.subtract(b.shape, want.shape)
        if not their_delta.any():
            if mine_delta.any():
                return False
            continue
        amounts = set(their_delta[their_delta != 0].tolist())
        moved = their_delta != 0
        if not (np.array_equal(mine_delta[moved], their_delta[moved])
                and all(d == 0 or d in amounts for d in mine_delta[~moved].tolist())):
            return False
        changed = True
    return changed


def is_partial(wrong: dict) -> bool:
    """Some array is wrong in some entries only."""
    return any(isinstance(mask, Mask) and not mask.everywhere for mask in wrong.values())


class Mask:
    """Where an array is wrong, comparable."""

    def __init__(self, mask: np.ndarray):
        self.shape, self.bits, self.everywhere = mask.shape, np.packbits(mask).tobytes(), bool(mask.all())

    def __eq__(self, other):
        return isinstance(other, Mask) and (self.shape, self.bits) == (other.shape, other.bits)

    def __hash__(self):
        return hash((self.shape, self.bits))


def leaves(value, path=()):
    """``(path, leaf)`` of a structure; tuples and lists alike."""
    if isinstance(value, (tuple, list)):
        yield path + ("len",), len(value)
        for index, item in enumerate(value):
            yield from leaves(item, path + (index,))
    elif isinstance(value, dict):
        yield path + ("keys",), tuple(sorted(map(str, value)))
        for key, item in value.items():
            yield from leaves(item, path + (str(key),))
    else:
        yield path, value


def differs(a, b, tolerance: dict = None):
    """False (equal), True (wholly different) or a mask of the entries that differ."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape or a.dtype != b.dtype:
            return True
        return _entries(a, b, tolerance)
    if isinstance(a, Scalar) or isinstance(b, Scalar):
        if not (isinstance(a, Scalar) and isinstance(b, Scalar)) or _kind(a) != _kind(b):
            return True
        if _kind(a) in "fc":
            own = tolerance_for(np.float32 if b.type_name in ("float32", "float16") else np.float64)
            return not bool(np.isclose(a.value, b.value, equal_nan=True, **_coarser(own, tolerance)))
        return bool(a.value != b.value)
    if isinstance(a, Other) or isinstance(b, Other):
        return not (isinstance(a, Other) and isinstance(b, Other) and a.type_name == b.type_name)
    return not (type(a) is type(b) and a == b)


def _kind(scalar: Scalar) -> str:
    return np.asarray(scalar.value).dtype.kind.replace("u", "i")


def _entries(a: np.ndarray, b: np.ndarray, tolerance: dict = None) -> np.ndarray:
    """The entries of two arrays of one shape and dtype that differ (NaN equals NaN)."""
    if a.dtype.kind in "fc":
        return ~np.isclose(a, b, equal_nan=True, **_coarser(tolerance_for(b.dtype), tolerance))
    return a != b


def _coarser(own: dict, other: dict) -> dict:
    return own if other is None else {key: max(own[key], other[key]) for key in own}


# ------------------------------------------------------------------ pattern rules


def pattern(value, expected) -> str:
    """The shared sentence for the first array of ``value`` that differs from ``expected``'s
    in a recognisable way, or ""."""
    theirs = dict(leaves(expected))
    for path, mine in leaves(value):
        want = theirs.get(path)
        if not (isinstance(mine, np.ndarray) and isinstance(want, np.ndarray)):
            if path in theirs and differs(mine, want) is True:
                return ""  # the first difference is not an array's
            continue
        wrong = differs(mine, want)
        if wrong is False or (wrong is not True and not wrong.any()):
            continue
        return array_pattern(mine, want)
    return ""


def array_pattern(mine: np.ndarray, want: np.ndarray) -> str:
    """One of the pattern rules, on a student's array and the expected one."""
    swapped = transposed(mine, want)
    if swapped:
        return say("diagnosis.transposed", axes=swapped)
    if mine.shape != want.shape or mine.dtype != want.dtype or want.dtype.kind != "f" or want.size < 2:
        return ""
    if not np.all(np.isfinite(mine)) or not np.all(np.isfinite(want)):
        return ""
    wrong = _entries(mine, want)
    mine64, want64 = mine.astype(np.float64), want.astype(np.float64)
    if not mine64.any() and want64.any():
        return say("diagnosis.zeros")
    factor = constant_factor(mine64, want64, want.dtype)
    if factor:
        return say("diagnosis.factor", factor=factor)
    if want.ndim == 4 and on_border(wrong.any(axis=(0, 3))):
        return say("diagnosis.border")
    if want.ndim == 3 and want.shape[1] >= 2:
        steps = wrong.any(axis=(0, 2))
        if not steps[0] and steps[1:].all():
            return say("diagnosis.first_step")
        if not steps[-1] and steps[:-1].all():
            return say("diagnosis.last_step")
    return ""


def transposed(mine: np.ndarray, want: np.ndarray) -> str:
    """``"0 and 1"``: the axes swapped in ``mine``, or ""."""
    if want.ndim < 2 or mine.dtype != want.dtype or mine.size != want.size:
        return ""
    for first in range(want.ndim):
        for second in range(first + 1, want.ndim):
            turned = np.swapaxes(want, first, second)
            if turned.shape != mine.shape:
                continue
            moved = turned.shape != want.shape or _entries(turned, want).any()
            if moved and not _entries(mine, turned).any():
                return f"{first} and {second}"
    return ""


def constant_factor(mine: np.ndarray, want: np.ndarray, dtype) -> str:
    """The factor ``k`` (in words) with ``mine == k * want`` everywhere, for a ``want`` that
    is not a constant (any wrong constant is a multiple of a constant); else ""."""
    if np.ptp(want) == 0:
        return ""
    factor = float(np.dot(mine.ravel(), want.ravel()) / np.dot(want.ravel(), want.ravel()))
    tolerance = tolerance_for(dtype)
    if factor == 0 or np.isclose(factor, 1.0, rtol=tolerance["rtol"], atol=0):
        return ""
    if not np.allclose(mine, factor * want, **tolerance):
        return ""
    for whole in (round(factor), -round(-factor)):
        if whole and np.isclose(factor, whole, rtol=1e-6, atol=0):
            return f"{whole:d}"
    if np.isclose(1 / factor, round(1 / factor), rtol=1e-6, atol=0):
        return f"1/{round(1 / factor):d}"
    return f"{factor:.3g}"


def on_border(wrong: np.ndarray) -> bool:
    """Every wrong position of an (H, W) mask lies near an edge, inside is a sizable block
    of right positions."""
    if not wrong.any() or min(wrong.shape) < 3:
        return False
    rows, cols = np.indices(wrong.shape)
    depth = np.minimum.reduce([rows, wrong.shape[0] - 1 - rows, cols, wrong.shape[1] - 1 - cols])
    border = int(depth[wrong].max()) + 1
    return np.mean(depth >= border) >= MIN_INSIDE
