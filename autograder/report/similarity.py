"""Similarity leads: pairs of submissions whose own code is nearly the same once names,
comments, strings and layout are set aside, for a person to read side by side. A lead, never
a verdict: the summary (the instructor's page) shows them; students never do.

**What counts.** A student's own code: the solution cells (nbgrader's ``solution: true``) and
the code cells they added. What the released notebook gives everyone is subtracted, so that
the skeleton (signatures, docstrings, ``# YOUR CODE HERE``, ``return out, cache``) neither
matches nor counts: a line that the released cell of the same grade id has too, and every run
of ``K`` tokens that the released notebook has anywhere (a visible test copied into a cell).

**Normalised.** Each cell is split into Python's tokens as :mod:`tokenize` splits it (one
pattern, ``LEXER``, that never fails: an unclosed string or bracket runs to the end of the
cell); comments, docstrings and layout go (newlines, indentation, ``;``, a trailing comma, the
parentheses that only group, as ``return (a, b)`` or black's wrapping); every string is ``S``;
the student's names are ``V``. Keywords, operators, numbers, builtins (``range``, ``len``,
``ValueError``) and the names after a dot (``sum`` of ``np.sum``, ``.shape``) stay: they are
the language's and the libraries' names, which a copy cannot rename without changing what the
code does, and they keep apart solutions that share only their shape (``V = V(V, V)`` is
everybody's code; ``V = V.einsum(S, V, V)`` is not).

**Fingerprints.** A hash of every ``K`` consecutive tokens, winnowed (Schleimer, Wilkerson
and Aiken, *Winnowing*, SIGMOD 2003: the smallest hash of every ``WINDOW`` consecutive ones,
so that every match of ``K + WINDOW - 1`` tokens or more leaves a shared fingerprint). An
inverted index from fingerprint to submissions gives the pairs that share any: 300
submissions cost their fingerprints, not 45,000 comparisons. A fingerprint that over half of
a batch (and over ``COMMON_FLOOR`` submissions) shares is the natural way to write something,
and is left out.

**A lead** is a pair where at least ``THRESHOLD`` of one student's own tokens lie in runs that
the other's code has too, with ``MIN_TOKENS`` such tokens on each side at least. A run chains
shared fingerprints that follow each other on both sides (a short differing stretch inside
does not cut it) and holds ``MIN_RUN`` tokens at least: shorter coincidences (``for i in
range(n): for j in range(m):``) do not count. Measured on the kit's own assignments (each
assignment's source solution against its catalogue's alternative solutions, written
independently, and against a copy with every name changed, reformatted by ``ast.unparse``
and commented), independent solutions share 0 to 15% and copies 99%.
"""

import builtins
import functools
import keyword
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from autograder import assignments, notebook

K = 10  # tokens per fingerprinted run: about one line of code
WINDOW = 6  # winnowing window: any match of K + WINDOW - 1 = 15 tokens (about two lines) is seen
THRESHOLD = 0.5  # share of one student's own code in runs the other has too, for a lead
MIN_TOKENS = 60  # matched tokens on each side at least (about eight lines): tiny solutions coincide
COMMON_SHARE = 0.5  # a fingerprint in more than this share of the batch's submissions ...
COMMON_FLOOR = 10  # ... and in more than this many, is everybody's code, not a lead
MIN_RUN = 24  # matched tokens of a run at least, on both sides (about three lines): shorter ones are coincidences
GAP = 2 * K  # tokens between two matching stretches that still make one run
MAX_LEADS = 40  # leads shown per assignment, the most similar first
MAX_REGIONS = 12  # regions shown per lead (about one per function)
MAX_LINES = 60  # lines shown per side of a region
MAX_LINE_CHARACTERS = 240  # characters shown per line
MAX_TOKENS = 20_000  # tokens compared per submission (a whole assignment's solution is 500 to 2,000)

BUILTINS = frozenset(dir(builtins))
CLOSING = {")", "]", "}"}
OPENING = {"(", "[", "{"}
# Python's tokens, in one pattern. On the kit's own Python (343 files and cells) it gives
# tokenize's very tokens and lines; unlike tokenize, it never fails (an unclosed string or
# bracket, a bad dedent: students' text), has no second path for text that is not Python,
# and costs a third of the CPU time (tokenize alone takes 2 µs a token, a second for 300
# notebooks). Every character is matched: the last alternative takes any.
STRING = (r"[rRbBuUfF]{0,2}(?:"  # a string with its prefix, to its end (or the text's, where it never closes)
          r"'''(?:[^'\\]|\\[\s\S]|'(?!''))*(?:'''|\Z)"
          r'|"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|\Z)'
          r"|'(?:[^'\\\n]|\\[\s\S])*'?"
          r'|"(?:[^"\\\n]|\\[\s\S])*"?)')
NUMBER = r"0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d[\d_]*)?[jJ]?"
OPERATOR = r"\*\*=|//=|>>=|<<=|\.\.\.|->|:=|[-+*/%&|^@=<>!]=|\*\*|//|<<|>>|\S"
LEXER = re.compile(rf"[ \t\f\r]*(?:(?P<newline>\n)|(?P<continuation>\\\r?\n)|(?P<comment>#[^\n]*)|(?P<string>{STRING})"
                   rf"|(?P<number>{NUMBER})|(?P<name>[^\W\d]\w*)|(?P<op>{OPERATOR}))")
OWN_DIGITS = bytes.maketrans(b"\x00\x01", b"10")  # a token of the skeleton is not the student's own


@dataclass
class Code:
    """One submission's own code: its lines as written, and its normalised tokens."""

    student: str
    lines: list  # [(cell number, line number in the cell, text)]
    where: list  # the index in ``lines`` of each token
    own: int = 0  # bits: the tokens outside the released skeleton
    size: int = 0  # how many tokens those are
    prints: dict = field(default_factory=dict)  # {fingerprint: [token positions]}, the skeleton's left out


@dataclass(frozen=True)
class Line:
    """A line of a region as the student wrote it; ``match`` where a matching token lies on it."""

    cell: int
    number: int
    text: str
    match: bool
    first_of_cell: bool


@dataclass(frozen=True)
class Region:
    """Where two submissions match: a stretch of a cell of each, side by side."""

    first: list  # [Line] of the first student
    second: list  # [Line] of the second
    tokens: int  # matched tokens of the first student in it


@dataclass(frozen=True)
class Lead:
    """A pair of submissions for a person to read side by side: a lead, never a verdict."""

    first: str
    second: str
    share_first: float  # of the first student's own tokens, the share that matches
    share_second: float
    tokens: int  # matched tokens, the smaller of the two sides
    regions: tuple = ()

    @property
    def share(self) -> float:
        return max(self.share_first, self.share_second)


@dataclass(frozen=True)
class Leads:
    """An assignment's leads: those shown, how many more there are, what was compared."""

    compared: int
    unread: tuple  # students whose notebook could not be read
    leads: tuple
    more: int = 0


# ---- normalising --------------------------------------------------------------------------

def normalise(source: str) -> list:
    """``[(token, line)]``: the cell's tokens as the fingerprints see them, each with its
    line (from 1). Whatever ``source`` holds, no exception."""
    raw = _lex(notebook.plain_python(source))
    tokens = []
    previous = None  # the last token kept
    parentheses = []  # per open "(": whether it groups (left out) rather than calls
    for position, (kind, string, line) in enumerate(raw):
        if kind == "end":
            continue
        following = raw[position + 1] if position + 1 < len(raw) else ("end", "", line)
        if kind == "string":
            if (position == 0 or raw[position - 1][0] == "end") and following[0] == "end":
                continue  # a docstring, or a string standing alone: text, not code
            if position and raw[position - 1][0] == "string":
                continue  # "one" "string": one string
            token = "S"
        elif kind == "name":
            keep = keyword.iskeyword(string) or string in BUILTINS or previous == "."
            token = string if keep else "V"
        elif string == "," and following[1] in CLOSING:
            continue  # a trailing comma is layout
        elif string == "(":
            grouping = previous is None or not (previous in CLOSING or _is_name(previous))
            parentheses.append(grouping)
            if grouping:  # (a, b) or (x + y): layout, as black or ast.unparse write them
                continue
            token = string
        elif string == ")" and parentheses and parentheses.pop():
            continue
        else:
            token = string
        tokens.append((token, line))
        previous = string
    return tokens


def _lex(text: str) -> list:
    """``[(kind, text, line)]``: the tokens of ``text`` (``name``, ``number``, ``string``,
    ``op``), comments and layout left out, with ``end`` where a statement ends (a line break
    outside brackets, ``;``)."""
    raw, line, depth = [], 1, 0
    for match in LEXER.finditer(text):
        kind = match.lastgroup
        if kind == "newline":
            if depth == 0 and raw and raw[-1][0] != "end":
                raw.append(("end", "", line))
            line += 1
            continue
        if kind == "continuation":  # a backslash at the end of a line
            line += 1
            continue
        if kind == "comment":
            continue
        string = match.group(kind)
        if string in OPENING:
            depth += 1
        elif string in CLOSING:
            depth = max(0, depth - 1)
        elif string == ";":
            raw.append(("end", "", line))
            continue
        raw.append((kind, string, line))
        if kind == "string":
            line += string.count("\n")
    return raw


def _is_name(string: str) -> bool:
    """Whether ``string`` is a name a call can follow (a keyword is not: ``if (``, ``in (``)."""
    return string.isidentifier() and not keyword.iskeyword(string)


# ---- fingerprints -------------------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 16)
def _id(token: str) -> int:
    """A number for ``token``, the same in every process (``hash`` of a string is not)."""
    return zlib.crc32(token.encode("utf-8", "surrogatepass"))


def kgrams(ids: list) -> list:
    """The hash of every ``K`` consecutive tokens (a tuple of ints hashes alike in every process)."""
    return list(map(hash, zip(*(ids[i:] for i in range(K)))))


def winnow(hashes: list) -> list:
    """The positions winnowing selects: in every ``WINDOW`` consecutive hashes, the smallest
    (the rightmost of equals), each position once."""
    if len(hashes) <= WINDOW:
        return [len(hashes) - 1 - hashes[::-1].index(min(hashes))] if hashes else []
    selected, low = [], -1  # ``low``: the position of the current window's smallest hash
    for end in range(WINDOW - 1, len(hashes)):
        if low <= end - WINDOW:  # it left the window: look again, the rightmost of equals
            window = hashes[end - WINDOW + 1:end + 1]
            low = end - window[::-1].index(min(window))
            selected.append(low)
        elif hashes[end] <= hashes[low]:
            low = end
            selected.append(low)
    return selected


@dataclass(frozen=True)
class Skeleton:
    """What the released notebook gives everyone: every run of ``K`` tokens of its code, and
    the lines (normalised) of each of its cells, by grade id."""

    runs: frozenset
    lines: dict


def skeleton(released) -> Skeleton:
    """The released notebook's :class:`Skeleton`."""
    runs, lines = set(), {}
    for cell in released.cells:
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            tokens = normalise(cell.source)
            runs.update(kgrams([_id(token) for token, _ in tokens]))
            lines[_grade_id(cell)] = set(_by_line(tokens).values())
    return Skeleton(frozenset(runs), lines)


def _by_line(tokens: list) -> dict:
    """``{line: (token, ...)}`` of ``normalise``'s tokens."""
    lines = defaultdict(tuple)
    for token, line in tokens:
        lines[line] += (token,)
    return lines


def own_cells(submitted, released) -> list:
    """``[(cell number, source, grade id)]``: the code cells that are the student's own, the
    solution cells and the cells they added (none of the released notebook's grade ids)."""
    released_ids = {_grade_id(cell) for cell in released.cells} - {None}
    return [(number, cell.source, _grade_id(cell)) for number, cell in enumerate(submitted.cells, start=1)
            if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str)
            and (notebook.is_solution(cell) or _grade_id(cell) not in released_ids)]


def _grade_id(cell):
    """nbgrader's grade id of ``cell``, where it has one that is a string."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    flags = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = flags.get("grade_id") if isinstance(flags, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def code(student: str, cells: list, given: Skeleton) -> Code:
    """The fingerprinted code of ``cells`` (``own_cells``), the skeleton ``given`` subtracted:
    a line that the released cell of the same grade id has too (``def f(x, y):``,
    ``return out, cache``), and every run of ``K`` tokens the released notebook has anywhere.
    Past ``MAX_TOKENS`` tokens, the rest of a submission is not compared."""
    result = Code(student, [], [])
    ids, skeleton_tokens = [], bytearray()
    for number, source, grade_id in cells:
        if len(ids) >= MAX_TOKENS:
            break
        text = source.splitlines()
        first_line = len(result.lines)
        result.lines += [(number, index, line) for index, line in enumerate(text, start=1)]
        tokens = normalise(source)[:MAX_TOKENS - len(ids)]
        released_lines = given.lines.get(grade_id, set()) if grade_id else set()
        given_lines = {line for line, line_tokens in _by_line(tokens).items() if line_tokens in released_lines}
        skeleton_tokens.extend(line in given_lines for _, line in tokens)
        ids.extend(_id(token) for token, _ in tokens)
        last = max(len(text), 1)  # normalise's lines are the cell's (splitlines'), whatever it holds
        result.where.extend(first_line + min(line, last) - 1 for _, line in tokens)
    hashes = kgrams(ids)
    for position in [position for position, value in enumerate(hashes) if value in given.runs]:
        skeleton_tokens[position:position + K] = b"\x01" * K
    prints = result.prints
    for position in winnow(hashes):
        if hashes[position] not in given.runs:
            prints.setdefault(hashes[position], []).append(position)
    # bit i of ``own`` is token i: the bytes reversed, so that the first token is the lowest bit
    result.own = int(skeleton_tokens[::-1].translate(OWN_DIGITS).decode() or "0", 2)
    result.size = result.own.bit_count()
    return result


# ---- comparing ----------------------------------------------------------------------------

def compare(codes: list) -> list:
    """Every lead among ``codes``, the most similar first: ``[(lead, a, b, fingerprints,
    matched a, matched b)]``, with the two codes, the fingerprints they share that count, and
    their tokens in matching runs (bits, see :func:`runs`)."""
    postings = defaultdict(list)
    for index, one in enumerate(codes):
        for value in one.prints:
            postings[value].append(index)
    common = max(COMMON_FLOOR, COMMON_SHARE * len(codes))
    shared, counted = Counter(), Counter()
    for holders in postings.values():
        if len(holders) <= common:
            counted.update(holders)
            if len(holders) > 1:
                shared.update(combinations(holders, 2))
    least = max(1, MIN_TOKENS // (K + WINDOW))  # a lead's runs hold at least this many fingerprints
    leads = []
    for (i, j), count in shared.items():
        # fingerprints stand for the tokens about evenly: a lead shares about THRESHOLD of the
        # fingerprints of one side; a pair sharing under half that is not looked at closer
        if count < max(least, THRESHOLD / 2 * min(counted[i], counted[j])):
            continue
        a, b = codes[i], codes[j]
        values = {value for value in a.prints.keys() & b.prints.keys() if len(postings[value]) <= common}
        matched_a, matched_b = runs(a, b, values)
        tokens = min(matched_a.bit_count(), matched_b.bit_count())
        share_a = matched_a.bit_count() / a.size if a.size else 0.0
        share_b = matched_b.bit_count() / b.size if b.size else 0.0
        if tokens >= MIN_TOKENS and max(share_a, share_b) >= THRESHOLD:
            leads.append((Lead(a.student, b.student, share_a, share_b, tokens), a, b, values, matched_a, matched_b))
    return sorted(leads, key=lambda item: (-item[0].share, -item[0].tokens, item[0].first, item[0].second))


def runs(a: Code, b: Code, values: set) -> tuple:
    """The own tokens of ``a`` and of ``b`` (bits) in the runs they have in common, through
    the fingerprints ``values`` they share. A run chains shared fingerprints that follow each
    other on both sides at most ``GAP`` tokens apart; one of fewer than ``MIN_RUN`` matched
    tokens on either side is a coincidence, and does not count."""
    matched_a, matched_b = _covered(a, values), _covered(b, values)
    in_runs_a = in_runs_b = 0
    for span_a, span_b in _chains(a, b, values, matched_a, matched_b, within_cells=False):
        if min(span_a.bit_count(), span_b.bit_count()) >= MIN_RUN:
            in_runs_a, in_runs_b = in_runs_a | span_a, in_runs_b | span_b
    return in_runs_a, in_runs_b


def _covered(one: Code, values: set) -> int:
    """Bits: the own tokens of ``one`` in a run of ``K`` whose fingerprint is in ``values``."""
    bits = 0
    run = (1 << K) - 1
    for value in values:
        for position in one.prints[value]:
            bits |= run << position
    return bits & one.own


def _chains(a: Code, b: Code, values: set, matched_a: int, matched_b: int, within_cells: bool) -> list:
    """``[(tokens of a, tokens of b)]`` (bits, of ``matched_a`` and ``matched_b``): the
    fingerprints ``values`` chained where they follow each other on both sides, at most
    ``GAP`` tokens apart (and ``within_cells``, in one cell on each side), in ``a``'s order."""
    points = sorted((pa, pb) for value in values for pa in a.prints[value][:4] for pb in b.prints[value][:4])
    chains, active = [], []  # [first a, last a, first b, last b]
    for pa, pb in points:
        active = [chain for chain in active if pa - chain[1] <= GAP]
        best = None
        for chain in active:
            da, db = pa - chain[1], pb - chain[3]
            if 0 < da and 0 < db <= GAP and (best is None or abs(da - db) < best[0]) and (
                    not within_cells or (_cell(a, pa) == _cell(a, chain[1]) and _cell(b, pb) == _cell(b, chain[3]))):
                best = (abs(da - db), chain)
        if best:
            best[1][1], best[1][3] = pa, pb
        else:
            chains.append([pa, pa, pb, pb])
            active.append(chains[-1])
    return [(_span(a, first_a, last_a + K, within_cells) & matched_a,
             _span(b, first_b, last_b + K, within_cells) & matched_b)
            for first_a, last_a, first_b, last_b in chains]


def _span(one: Code, start: int, end: int, within_cell: bool) -> int:
    """Bits: the tokens ``start`` to ``end`` of ``one`` (``within_cell``: those in the cell of ``start``)."""
    if within_cell:
        cell = _cell(one, start)
        while end > start and _cell(one, min(end, len(one.where)) - 1) != cell:
            end -= 1
    return ((1 << (end - start)) - 1) << start


def _cell(one: Code, position: int) -> int:
    """The cell that token ``position`` of ``one`` lies in."""
    return one.lines[one.where[position]][0]


def regions(a: Code, b: Code, values: set, matched_a: int, matched_b: int) -> tuple:
    """Where ``a`` and ``b`` match (``matched_a``, ``matched_b``: see :func:`runs`), as
    regions side by side, a cell of each at most (a function beside its match), the
    ``MAX_REGIONS`` largest, in ``a``'s order. Code repeated on one side matches twice: a
    region whose tokens mostly lie in a larger one already shown is left out."""
    chains = sorted(_chains(a, b, values, matched_a, matched_b, within_cells=True),
                    key=lambda chain: -min(chain[0].bit_count(), chain[1].bit_count()))
    kept, claimed_a, claimed_b = [], 0, 0
    for span_a, span_b in chains:  # the largest first; a region mostly new on both sides
        if len(kept) < MAX_REGIONS and span_a and span_b and _mostly_new(span_a, claimed_a) \
                and _mostly_new(span_b, claimed_b):
            kept.append((_bounds(span_a), _bounds(span_b), span_a, span_b))
            claimed_a, claimed_b = claimed_a | span_a, claimed_b | span_b
    return tuple(Region(_lines(a, *bounds_a, span_a), _lines(b, *bounds_b, span_b), span_a.bit_count())
                 for bounds_a, bounds_b, span_a, span_b in sorted(kept, key=lambda one: one[:2]))


def _mostly_new(span: int, claimed: int) -> bool:
    """Whether most tokens of ``span`` are not in ``claimed`` (bits, both)."""
    return 2 * (span & ~claimed).bit_count() > span.bit_count()


def _bounds(bits: int) -> tuple:
    """The first and one past the last token of ``bits``."""
    return (bits & -bits).bit_length() - 1, bits.bit_length()


def _lines(one: Code, start: int, end: int, matched: int) -> list:
    """The lines of ``one`` that its tokens ``start`` to ``end`` lie on, each marked where a
    matched token lies on it."""
    first, last = one.where[start], one.where[min(end, len(one.where)) - 1]
    marked = {one.where[position] for position in range(start, min(end, len(one.where))) if matched >> position & 1}
    shown = []
    for index in range(first, min(last + 1, first + MAX_LINES)):
        cell, number, text = one.lines[index]
        if len(text) > MAX_LINE_CHARACTERS:
            text = text[:MAX_LINE_CHARACTERS] + " …"
        shown.append(Line(cell, number, text, index in marked, index == first or one.lines[index - 1][0] != cell))
    if last + 1 > first + MAX_LINES:
        shown.append(Line(one.lines[first + MAX_LINES][0], one.lines[first + MAX_LINES][1], "…", False, False))
    return shown


def find(notebooks: dict, released, unread: tuple = ()) -> Leads:
    """The leads among ``notebooks`` (``{student: notebook}``, read) of one assignment
    released as ``released``: every lead counted, the ``MAX_LEADS`` most similar shown with
    their regions. ``unread``: the students whose notebook could not be read."""
    given = skeleton(released)
    codes = [code(student, own_cells(submitted, released), given)
             for student, submitted in sorted(notebooks.items())]
    leads = compare(codes)
    shown = tuple(Lead(lead.first, lead.second, lead.share_first, lead.share_second, lead.tokens,
                       regions(a, b, values, matched_a, matched_b))
                  for lead, a, b, values, matched_a, matched_b in leads[:MAX_LEADS])
    return Leads(len(codes), tuple(unread), shown, len(leads) - len(shown))


def for_tree(graded: list, submitted: Path) -> dict:
    """``{assignment: Leads}`` for the graded submissions ``graded`` (see
    :func:`autograder.report.grades.collect`), whose notebooks lie in the nbgrader tree
    ``submitted/<student>/<assignment>/`` (chosen as a batch chooses them, read as safely)."""
    submitted = Path(submitted).resolve()
    by_assignment = defaultdict(list)
    for g in graded:
        by_assignment[g.assignment].append(g.student)
    found = {}
    for name, students in sorted(by_assignment.items()):
        if name not in assignments.names():
            continue
        assignment = assignments.load(name)
        notebooks, unread = {}, []
        for student in students:
            path = notebook.choose(submitted / student / name, name)
            try:
                if path is not None:
                    notebooks[student] = notebook.read(path, assignment.limits.notebook_bytes, within=submitted)
                    continue
            except notebook.NotebookProblem:  # a link, a pipe, too large, not JSON: as grading says
                pass
            unread.append(student)
        found[name] = find(notebooks, assignment.notebook("released"), tuple(unread))
    return found
