"""Similarity leads in the summary: pairs of submissions whose own code is nearly the same,
shown side by side as leads for a person, never verdicts (``autograder/report/similarity.py``).

A copy with every name changed, reformatted and commented is found, with its regions; the
assignments' independently written correct solutions are not; the released skeleton alone
makes no lead; the students' text is escaped on the page; 300 notebooks take seconds.
Nothing is graded here: the graded tree's results are made up, the notebooks are real.
"""
import ast
import copy
import io
import json
import random
import time
import tokenize
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder import assignments, notebook
from autograder.messages import say
from autograder.report import grades, results, similarity

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "conv"
HOSTILE = 'mallory<img src=x onerror="alert(1)">'


def _released(name: str = ASSIGNMENT):
    return assignments.load(name).notebook("released")


def _source(name: str = ASSIGNMENT):
    return assignments.load(name).notebook("source")


def _disguised(source: str, keep: set) -> str:
    """``source`` as a student copying it would hand it in: every name of theirs changed,
    docstrings gone, reformatted (``ast.unparse``: other quotes, spacing, parentheses),
    and comments of their own."""
    tree = ast.parse(notebook.plain_python(source))
    names = {}

    def rename(name: str) -> str:
        if name in keep or name in similarity.BUILTINS:
            return name
        return names.setdefault(name, f"my_{len(names)}_{name[::-1]}")

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = rename(node.id)
            return node

        def visit_arg(self, node):
            node.arg = rename(node.arg)
            return node

        def visit_Expr(self, node):
            is_text = isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            return None if is_text else self.generic_visit(node)

    tree = ast.fix_missing_locations(Rename().visit(tree))
    lines = ast.unparse(tree).splitlines()
    return "\n".join(line + ("  # worked this out myself" if number % 3 == 0 else "")
                     for number, line in enumerate(lines))


def _copy_of(submitted, name: str = ASSIGNMENT):
    """A disguised copy of ``submitted``'s solution cells (the contract's names kept: the
    grader calls them)."""
    copied = copy.deepcopy(submitted)
    keep = set(assignments.load(name).functions) | {"np"}
    for cell in copied.cells:
        if notebook.is_solution(cell):
            cell.source = _disguised(cell.source, keep)
    return copied


def _leads(notebooks: dict, name: str = ASSIGNMENT) -> list:
    return list(similarity.find(notebooks, _released(name)).leads)


# ---- what is compared ---------------------------------------------------------------------

def test_normalising_keeps_the_code_and_drops_names_comments_docstrings_and_layout():
    one = 'def f(x, y):\n    """Sum."""\n    total = np.sum(x * y, axis=0)  # a comment\n    return (total, len(y))\n'
    other = "def g(a,b) :\n    s=np.sum(a*b,axis=0) ; return s, len(b)"
    tokens = [token for token, _ in similarity.normalise(one)]
    assert tokens == [token for token, _ in similarity.normalise(other)]
    assert tokens == ["def", "V", "(", "V", ",", "V", ")", ":", "V", "=", "V", ".", "sum", "(", "V", "*", "V", ",",
                      "V", "=", "0", ")", "return", "V", ",", "len", "(", "V", ")"]


def test_the_lexer_reads_python_as_tokenize_does():
    layout = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    sources = [cell.source for name in assignments.names() for which in ("source", "released")
               for cell in assignments.load(name).notebook(which).cells if cell.cell_type == "code"]
    sources += [path.read_text() for path in sorted((ROOT / "autograder" / "report").glob("*.py"))]
    for source in sources:
        text = notebook.plain_python(source)
        expected = [(token.string, token.start[0]) for token in tokenize.generate_tokens(io.StringIO(text).readline)
                    if token.type not in layout]
        assert [(string, line) for kind, string, line in similarity._lex(text) if kind != "end"] == expected


def test_text_that_is_not_python_is_still_compared_line_by_line():
    broken = 'x = "never closed\nfor i in range(3:\n  %timeit y = (1,\n\tif )\n\x00\u2028z = \'\'\'open'
    tokens = similarity.normalise(broken)
    assert ("range", 2) in tokens and ("S", 6) in tokens  # \u2028 ends a line, as for splitlines
    assert {line for _, line in tokens} <= set(range(1, len(broken.splitlines()) + 1))


def test_only_solution_cells_and_added_cells_count():
    submitted = _released()
    submitted.cells.append(nbformat.v4.new_code_cell("print('mine')"))
    cells = similarity.own_cells(submitted, _released())
    solutions = [cell for cell in _released().cells if notebook.is_solution(cell)]
    assert [source for _, source, _ in cells] == [cell.source for cell in solutions] + ["print('mine')"]


# ---- what is found ------------------------------------------------------------------------

def test_a_renamed_and_reformatted_copy_is_found_with_its_regions():
    source = _source()
    [lead] = _leads({"ada": source, "ben": _copy_of(source)})
    assert (lead.first, lead.second) == ("ada", "ben")
    assert lead.share_first > 0.9 and lead.share_second > 0.9, lead
    # a region per function, each a cell of ada's beside the same function of ben's
    solution_cells = [number for number, cell in enumerate(source.cells, start=1) if notebook.is_solution(cell)]
    assert [region.first[0].cell for region in lead.regions] == solution_cells
    assert [region.second[0].cell for region in lead.regions] == solution_cells
    forward = next(region for region in lead.regions if any("conv_single_step(x_slice" in line.text
                                                            for line in region.first))
    assert any(line.match and "conv_single_step(" in line.text and "my_" in line.text for line in forward.second)
    assert all(line.match for line in forward.first if "for c in range(C_out)" in line.text)
    # the released skeleton is nobody's match: the signature lines are not highlighted
    assert not any(line.match and line.text.startswith("def ") for region in lead.regions for line in region.first)


@pytest.mark.parametrize("name", assignments.names())
def test_independently_written_correct_solutions_are_not_leads(name):
    """Each catalogue's alternatives (complete implementations in other styles) against the
    source notebook's solution: correct code for the same contract, written apart."""
    source, released = _source(name), _released(name)
    for alternative in assignments.catalogue(name).ALTERNATIVES:
        alternative_notebook = alternative.notebook(released)
        assert _leads({"source": source, alternative.name: alternative_notebook}, name) == [], alternative.name


def test_the_released_skeleton_alone_makes_no_lead():
    released = _released()
    untouched = {student: copy.deepcopy(released) for student in ("ada", "ben", "cleo")}
    assert similarity.find(untouched, released).leads == ()
    given = similarity.skeleton(released)
    assert similarity.code("ada", similarity.own_cells(released, released), given).size == 0
    # the skeleton around a solution does not make two different solutions alike
    assert _leads({"source": _source(), "stub": released}) == []


def test_short_solutions_and_short_matches_are_coincidences_not_leads():
    source = _source()
    short = {cell.metadata.nbgrader.grade_id: cell.source for cell in source.cells
             if notebook.is_solution(cell) and cell.metadata.nbgrader.grade_id in ("zero_pad", "conv_single_step")}
    one, other = _released(), _released()
    for submitted in (one, other):  # both wrote the same two short functions, and nothing else
        for cell in submitted.cells:
            cell.source = short.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    assert _leads({"ada": one, "ben": other}) == []
    # the same helper of two lines, and 40 lines of their own each
    helper = "def conv_single_step(x_slice, w, b):\n    return np.sum(x_slice * w) + b\n"
    one.cells.append(nbformat.v4.new_code_cell(helper + _random_code(random.Random(1), 40)))
    other.cells.append(nbformat.v4.new_code_cell(helper + _random_code(random.Random(2), 40)))
    assert _leads({"ada": one, "ben": other}) == []


# ---- the summary --------------------------------------------------------------------------

def _graded_result(name: str) -> dict:
    """A result of ``name`` with full marks, as a batch writes it (nothing is graded here)."""
    data = results.not_graded(name, "", 0.0, 1)
    for test in data["tests"][1:]:
        test.update(score=test["max_score"], status="passed", output="")
    data["extra_data"].pop("autograder_failed")
    data["extra_data"]["internal_errors"] = []
    data["score"] = sum(test["score"] for test in data["tests"])
    return data


def _tree(tmp_path: Path, notebooks: dict, name: str = ASSIGNMENT) -> tuple:
    """``submitted/`` with ``notebooks`` (``{student: notebook}``; None: a folder without one)
    and the graded tree ``out/`` of them."""
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    for student, submission in notebooks.items():
        folder = submitted / student / name
        folder.mkdir(parents=True)
        if submission is not None:
            nbformat.write(submission, folder / f"{name}.ipynb")
        (out / student / name).mkdir(parents=True)
        (out / student / name / "results.json").write_text(json.dumps(_graded_result(name)))
    return submitted, out


class _Elements(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_summary_shows_each_lead_side_by_side_with_the_students_text_escaped(tmp_path):
    hostile = _source()
    for cell in hostile.cells:
        if notebook.is_solution(cell):
            cell.source += '\n# </pre><script>alert("x")</script>\nnote = "<img src=y onerror=alert(2)>"'
    submitted, out = _tree(tmp_path, {"ada": hostile, HOSTILE: _copy_of(hostile), "ben": _released(),
                                      "cleo": None})
    grades.write_tables(out, submitted)
    page = (out / "summary.html").read_text()
    assert say("course.summary_similar") in page
    assert page.count('<details class="lead">') == 1
    assert say("course.summary_similar_unread", students="cleo").replace("(", "") in page.replace("(", "")
    assert "&lt;/pre&gt;&lt;script&gt;" in page and "<script>" not in page
    assert not [attrs for tag, attrs in _Elements(page).tags if "onerror" in attrs or tag in ("script", "img")]
    assert 'onerror="alert(1)"' not in page and "mallory&lt;img" in page
    highlighted = [attrs for tag, attrs in _Elements(page).tags if attrs.get("class") == "line match"]
    assert len(highlighted) > 40


def test_without_the_submitted_notebooks_the_summary_has_no_leads(tmp_path):
    submitted, out = _tree(tmp_path, {"ada": _source(), "ben": _source()})
    grades.write_tables(out)
    assert say("course.summary_similar") not in (out / "summary.html").read_text()
    grades.write_tables(out, submitted)
    assert say("course.summary_similar") in (out / "summary.html").read_text()


# ---- at scale -----------------------------------------------------------------------------

FUNCTIONS = ("sum", "mean", "max", "min", "dot", "exp", "tanh", "sqrt", "abs", "maximum", "zeros_like", "cumsum",
             "argmax", "transpose", "clip", "square", "log1p", "prod", "outer", "sign")
OPERATORS = ("+", "-", "*", "/", "//", "@")


def _random_code(rng: random.Random, lines: int) -> str:
    """``lines`` lines of plausible numpy code, different for every ``rng``."""
    names = [f"{rng.choice('abcdefghxyz')}{rng.randrange(10)}" for _ in range(8)]
    code = ["def helper(x, w, b):"]
    for _ in range(lines):
        a, b, c = (rng.choice(names) for _ in range(3))
        f, op, n, m = rng.choice(FUNCTIONS), rng.choice(OPERATORS), rng.randrange(4), rng.randrange(2, 60)
        code.append(rng.choice([
            f"    {a} = np.{f}({b}, axis={n}) {op} {m} * {c}",
            f"    {a} = {b}[{n}:{m}] {op} np.{f}({c}) {rng.choice(OPERATORS)} {rng.randrange(2, 60)}",
            f"    for {a} in range({m}, {b}.shape[{n}]):\n        {c} += np.{f}({b}[{a}]) {op} {a}",
            f"    if {a}.ndim > {n} and {b}.size < {m}:\n        {b} = {c}.reshape(-1, {rng.randrange(1, 9)}) {op} {a}",
        ]))
    return "\n".join(code + [f"    return {names[0]}"])


def _synthetic(rng: random.Random, common: str):
    """A conv submission: the released notebook with every solution cell filled by code of
    its own, and one long helper that every student of the batch has."""
    submitted = _released()
    for cell in submitted.cells:
        if notebook.is_solution(cell):
            cell.source = cell.source.replace("raise NotImplementedError()", "pass") + "\n\n" + _random_code(rng, 10)
    submitted.cells.append(nbformat.v4.new_code_cell(common))
    return submitted


def test_three_hundred_notebooks_take_seconds(tmp_path):
    """300 submissions (44,850 pairs): a helper that every one has is no lead, and the three
    pairs copied are found."""
    common = _random_code(random.Random(0), 20)
    notebooks = {f"student{index:03d}": _synthetic(random.Random(index + 1), common) for index in range(300)}
    copies = {("student010", "student200"), ("student042", "student043"), ("student100", "student299")}
    for original, copied in copies:
        notebooks[copied] = _copy_of(notebooks[original])
    submitted, out = _tree(tmp_path, notebooks)
    graded = grades.collect(out)
    started = time.perf_counter()
    found = similarity.for_tree(graded, submitted)[ASSIGNMENT]
    seconds = time.perf_counter() - started
    assert found.compared == 300 and found.unread == ()
    assert {(lead.first, lead.second) for lead in found.leads} == copies
    assert seconds < 20, f"{seconds:.1f} s for 300 notebooks"
