"""An assignment is its folders: every one complete, with its oracle tests collected, and
those tests holding no copies of the tolerances and function lists the kit defines."""
import ast
import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from autograder import assignments

ROOT = Path(__file__).resolve().parents[1]
NAMES = assignments.names()
KIT_FILES = ("__init__.py", "hidden_tests.py", "mutants.py", "oracles.py")


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def top_level_assignments(tree: ast.Module):
    """``(name, value node)`` of every top-level ``NAME = ...`` and ``NAME: type = ...``."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) and node.value else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    yield name.id, node.value


def top_level_names(tree: ast.Module) -> set:
    """What a module defines at its top: functions, classes and assigned names."""
    defined = {node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return defined | {name for name, _ in top_level_assignments(tree)}


def test_there_are_assignments():
    assert NAMES, "autograder.assignments.names() finds no assignment"


@pytest.mark.parametrize("name", NAMES)
def test_the_folders_are_complete(name):
    folder = ROOT / "autograder" / "assignments" / name
    expected = [ROOT / "source" / name / f"{name}.ipynb", ROOT / "release" / name / f"{name}.ipynb",
                ROOT / "solutions" / f"{name}.py", *(folder / file for file in KIT_FILES)]
    missing = [str(path.relative_to(ROOT)) for path in expected if not path.is_file()]
    assert not missing, f"{name} lacks {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_oracles_define_tests(name):
    tree = parse(ROOT / "autograder" / "assignments" / name / "oracles.py")
    tests = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test")]
    assert tests, f"{name}/oracles.py defines no test function"


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_defines_every_contract_function(name):
    defined = top_level_names(parse(ROOT / "solutions" / f"{name}.py"))
    missing = [function for function in assignments.load(name).functions if function not in defined]
    assert not missing, f"solutions/{name}.py does not define {missing}"


def test_the_project_collects_the_oracles_and_not_the_hidden_tests():
    with open(ROOT / "pyproject.toml", "rb") as file:
        options = tomllib.load(file)["tool"]["pytest"]["ini_options"]
    patterns = options["python_files"]
    assert "autograder/assignments" in options["testpaths"]
    assert any(fnmatch.fnmatch("oracles.py", pattern) for pattern in patterns)
    for file in ("hidden_tests.py", "cases.py", "mutants.py", "driver.py", "__init__.py"):
        assert not any(fnmatch.fnmatch(file, pattern) for pattern in patterns), file


def test_importing_the_oracles_imports_no_tensorflow():
    """Collection stays cheap: TensorFlow comes from fixtures, only for the tests that need
    it. Run apart, with nothing of tests/ on the path (the oracles must not need it)."""
    code = ("import importlib, sys\n"
            "from autograder import assignments\n"
            "for name in assignments.names():\n"
            "    importlib.import_module(f'autograder.assignments.{name}.oracles')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'tests', 'notebooks'}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


TOLERANCE_NAME = re.compile(r"(^|_)TOL(ERANCES?)?($|_)", re.IGNORECASE)


def holds_tolerances(node) -> bool:
    """Whether an expression builds a dict with an ``rtol`` or ``atol`` (``{"rtol": ...}``,
    ``dict(rtol=...)``), at any depth."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Dict) and any(
                isinstance(key, ast.Constant) and key.value in ("rtol", "atol") for key in inner.keys):
            return True
        if isinstance(inner, ast.Call) and any(keyword.arg in ("rtol", "atol") for keyword in inner.keywords):
            return True
    return False


@pytest.mark.parametrize("name", NAMES)
def test_oracles_keep_no_tolerances_of_their_own(name):
    """Tolerances shared with the judge come from ``autograder.judge.tolerances`` or the
    assignment's ``__init__.py``: a module-level copy would drift from them unseen. (A
    tolerance written in one assertion, for one oracle of the test's own, is not a copy.)"""
    tree = parse(ROOT / "autograder" / "assignments" / name / "oracles.py")
    copies = [variable for variable, value in top_level_assignments(tree)
              if TOLERANCE_NAME.search(variable) or holds_tolerances(value)]
    assert not copies, f"{name}/oracles.py defines tolerances of its own: {copies}"


@pytest.mark.parametrize("name", NAMES)
def test_oracles_keep_no_copy_of_the_function_list(name):
    """The contract's functions come from ``ASSIGNMENT.functions``, not a module-level list."""
    contract = set(assignments.load(name).functions)
    tree = parse(ROOT / "autograder" / "assignments" / name / "oracles.py")
    copies = [variable for variable, value in top_level_assignments(tree)
              if isinstance(value, (ast.Tuple, ast.List, ast.Set)) and len(value.elts) > 1
              and all(isinstance(item, ast.Constant) and item.value in contract for item in value.elts)]
    assert not copies, f"{name}/oracles.py copies ASSIGNMENT.functions: {copies}"
