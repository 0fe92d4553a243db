"""The cells the sandbox ran, read on the judge's side: where each top-level name was
last defined, and what a contract function's code (with its helpers and its cell) names.

What a function's code uses is read here, from the cells, never asked of the sandbox:
student code can rewrite ``inspect`` and ``ast`` in its own process, not in the judge's.
"""
import ast
import functools

from autograder.judge.student import Failure
from autograder.messages import say

__all__ = ["Source", "dotted"]


class Source:
    def __init__(self, cells: list, contract: tuple):
        self.contract = set(contract)
        self.order = tuple(contract)
        self.definitions = {}  # name: (cell label, node, the cell's statements)
        self.trees = []  # (cell label, parsed cell)
        for cell in cells:
            tree = _parsed(cell["source"])
            if tree is None:
                continue  # it raised when it ran, and defined nothing
            self.trees.append((cell["label"], tree))
            for node in tree.body:
                for name in _bound_names(node):
                    self.definitions[name] = (cell["label"], node, tree.body)

    @classmethod
    def of_implemented(cls, cells: list, contract: tuple, function: str) -> "Source":
        """The cells read, once ``function`` is defined and no longer raises
        NotImplementedError; else :class:`Failure`, saying which."""
        source = cls(cells, contract)
        if not source.defines(function):
            raise Failure(say("call.missing", function=function))
        if not source.implemented(function):
            raise Failure(say("call.not_implemented", function=function))
        return source

    def defines(self, function: str) -> bool:
        return function in self.definitions

    def reach(self, function: str, with_cell: bool = True) -> list:
        """``[(cell label, node)]``: the function's definition, the top-level statements of
        its cell (unless not ``with_cell``), and the helpers they use (other contract
        functions are graded on their own)."""
        label, node, cell = self.definitions[function]
        parts = [(label, node)] + [(label, s) for s in cell if with_cell
                                   and not _bound_names(s) & (self.contract | {function})
                                   and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        seen = {function}
        queue = list(parts)
        while queue:
            _, part = queue.pop()
            for name in _loaded_names(part):
                if name in self.definitions and name not in seen and name not in self.contract:
                    seen.add(name)
                    helper_label, helper, _ = self.definitions[name]
                    parts.append((helper_label, helper))
                    queue.append((helper_label, helper))
        return parts

    def calls(self, function: str) -> list:
        """The other contract functions that ``function``'s code calls, directly, through its
        helpers or through one another: the nearest first and, as near, the later in the
        contract (which builds on the earlier) first. Statements beside the definition in
        its cell do not count: they ran once, when the cell did."""
        found, level = [], [function]
        while level:
            callees = {name for caller in level if self.defines(caller)
                       for _, part in self.reach(caller, with_cell=False) for name in _loaded_names(part)}
            level = [name for name in reversed(self.order) if name in callees and name not in found + [function]]
            found += level
        return found

    def implemented(self, function: str) -> bool:
        """Defined, and no function of its reach still raises NotImplementedError."""
        if not self.defines(function):
            return False
        return not any(_raises_not_implemented(node) for _, node in self.reach(function))

    def names(self, function: str, with_cell: bool = True) -> set:
        """Every name and dotted attribute the function's reach names (``tf.nn.relu`` and
        ``relu``), and every module it imports (``tensorflow.keras.layers``)."""
        found = set()
        for _, part in self.reach(function, with_cell):
            for node in ast.walk(part):
                if isinstance(node, ast.Attribute):
                    found |= {node.attr, dotted(node)}
                elif isinstance(node, ast.Name):
                    found.add(node.id)
                elif isinstance(node, ast.Import):
                    found |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        return found

    def uses(self, function: str, name: str) -> bool:
        """Whether the function's reach names ``name`` (``tf.GradientTape``, ``GradientTape``)."""
        return any(getattr(node, "attr", None) == name or getattr(node, "id", None) == name
                   for _, part in self.reach(function) for node in ast.walk(part))

    def wrapped_in_tf_function(self, function: str) -> bool:
        """``@tf.function`` (with or without arguments) on its definition, or
        ``function = tf.function(...)``."""
        _, node, _ = self.definitions[function]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return any(_is_tf_function(decorator) for decorator in node.decorator_list)
        return isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _is_tf_function(node.value.func)


def dotted(node) -> str:
    """``tf.nn.relu`` for the attribute node of ``tf.nn.relu``; "" when it has no text."""
    try:
        return ast.unparse(node)
    except (ValueError, TypeError, AttributeError):
        return ""


LARGEST_KEPT_CELL = 64_000  # characters: a tree kept is a few dozen times its cell's size


def _parsed(source: str):
    """The cell's tree, or None when it does not parse. A cell of the usual size is parsed
    once (a grading reads the same cells for check after check, and nothing here changes
    a tree); a huge one, a hostile notebook's, is not kept in the judge's memory."""
    return _parse(source) if len(source) > LARGEST_KEPT_CELL else _kept_parse(source)


def _parse(source: str):
    try:
        return ast.parse(_without_magics(source))
    except Exception:  # noqa: BLE001 (SyntaxError; RecursionError or MemoryError when nested deep)
        return None


_kept_parse = functools.lru_cache(maxsize=128)(_parse)


def _without_magics(source: str) -> str:
    """IPython's magic and shell lines blanked, so that line numbers stay those of the cell."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _bound_names(node) -> set:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for t in targets if isinstance(t, ast.Name)}
    return set()


def _loaded_names(node) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _is_tf_function(node) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    name = dotted(node)
    return name == "function" or name.endswith(".function")


def _raises_not_implemented(node) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for statement in node.body:
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return True
    return False
