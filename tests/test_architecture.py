"""The house keeps its shape: one door into the runner, rooms that import one way, and
assignments that live in their own folders only (docs/architecture.md draws it)."""
import ast
import tomllib
from collections import defaultdict
from pathlib import Path

from autograder import assignments

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "autograder"
SKIPPED = {".git", ".venv", "build", "grading", "__pycache__", ".pytest_cache", "node_modules"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if not SKIPPED & set(path.parts):
            yield path, ast.parse(path.read_text(), str(path))


def _imports(tree) -> set:
    """Every module an import statement names, at the top or inside a function."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


ASSIGNMENT_FOLDERS = "assignments/*"  # the folders, apart from the registry that finds them


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[0] == "assignments" and parts[1:] != ("__init__",):
        return ASSIGNMENT_FOLDERS
    return parts[0]


def _room_of_module(name: str):
    """The room an imported name lies in, or None outside the package."""
    parts = name.split(".")
    if parts[0] != "autograder" or len(parts) < 2:
        return None
    if not ((PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").exists()):
        return None
    inside = PACKAGE / parts[1] / parts[2] if len(parts) > 2 else None
    if parts[1] == "assignments" and inside and (inside.is_dir() or inside.with_suffix(".py").exists()):
        return ASSIGNMENT_FOLDERS
    return parts[1]


def test_only_the_judges_client_imports_the_runner():
    importers = sorted(str(path.relative_to(ROOT)) for path, tree in _modules()
                       if _room(path) != "runner" and any(n.startswith("autograder.runner") for n in _imports(tree)))
    assert importers == ["autograder/judge/student.py"]


def test_rooms_import_one_way():
    """The graph of rooms (top-level modules and packages of autograder/) has no cycle."""
    edges = defaultdict(set)
    for path, tree in _modules():
        room = _room(path)
        for name in _imports(tree):
            other = _room_of_module(name)
            if other and other != room:
                edges[room].add(other)
    visiting, done = [], set()

    def visit(room):
        assert room not in visiting, f"import cycle: {' -> '.join(visiting[visiting.index(room):] + [room])}"
        if room in done:
            return
        visiting.append(room)
        for other in sorted(edges[room]):
            visit(other)
        visiting.pop()
        done.add(room)

    for room in sorted(edges):
        visit(room)
    assert [room for room, targets in edges.items() if "cli" in targets] == ["__main__"]


def test_every_module_says_what_it_is_for():
    undocumented = [str(path.relative_to(ROOT)) for path, tree in _modules() if not ast.get_docstring(tree)]
    assert not undocumented


def _own_folders(name: str) -> list:
    return [ROOT / "source" / name, ROOT / "release" / name, ROOT / "solutions" / f"{name}.py",
            PACKAGE / "assignments" / name]


def test_no_file_outside_an_assignments_folders_is_named_after_it():
    allowed = [ROOT / "examples", ROOT / "docs"]
    for name in assignments.names():
        # convnets' folders are named after conv too: an assignment's folders are no stray
        mine = [folder for other in assignments.names() if name in other for folder in _own_folders(other)] + allowed
        stray = [str(path.relative_to(ROOT)) for path in ROOT.rglob(f"*{name}*")
                 if not SKIPPED & set(path.relative_to(ROOT).parts)
                 and not any(path == folder or folder in path.parents for folder in mine)]
        assert not stray, f"{name}: {stray}"


def test_no_shared_catalogue_holds_an_assignments_section():
    with open(PACKAGE / "messages" / "en.toml", "rb") as file:
        sections = set(tomllib.load(file))
    assert not sections & set(assignments.names())
    shared = [PACKAGE / "judge" / "tolerances.py", PACKAGE / "config.py"]
    for path in shared:
        assert not [name for name in assignments.names() if name in path.read_text()], path
