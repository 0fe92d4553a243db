"""The untrusted side: runs a student's notebook code and answers the judge's calls.

Started by the judge inside the sandbox as ``python -I -S worker.py SITE_DIR...``
with the protocol on stdin/stdout. It imports nothing from the project: only the
standard library, numpy and this folder's ``wire.py`` and ``lazy.py`` (copied next to it).

Nothing this process says is trusted: the judge validates every answer and
measures time itself. Student output goes to ``output.log`` in the working folder.
"""
import os
import sys

# Site packages come as arguments: no .pth files run, so no project code is importable.
sys.path[1:1] = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import linecache  # noqa: E402
import traceback  # noqa: E402

import lazy  # noqa: E402
import wire  # noqa: E402


def _take_protocol_channel():
    """Move the protocol to private descriptors; point stdin/out/err elsewhere."""
    to_judge = os.fdopen(os.dup(1), "wb", buffering=0)
    from_judge = os.fdopen(os.dup(0), "rb", buffering=0)
    log = os.open("output.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (process-long)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    return from_judge, to_judge


class _Shell:
    """Just enough of IPython's ``get_ipython()`` for magics in notebook cells."""

    def __init__(self, namespace):
        self.user_ns = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        if name == "matplotlib":
            return None  # the backend is Agg (MPLBACKEND): nothing to show
        if name in ("time", "timeit", "prun"):
            exec(compile(line, "<magic>", "exec"), self.user_ns)
        return None

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        if name in ("time", "timeit", "capture", "prun"):
            exec(compile(cell, "<magic>", "exec"), self.user_ns)
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _describe(error: BaseException, limit: int = 2000) -> dict:
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.startswith("<cell")
    ]
    where = [f"{frame.filename[1:-1]}, line {frame.lineno}, in {frame.name}" for frame in frames[-3:]]
    kind = "ValueError" if isinstance(error, ValueError) else type(error).__name__
    described = {"type": kind[:100], "message": str(error)[:limit], "where": where}
    if isinstance(error, ImportError) and isinstance(error.name, str):
        described["module"] = error.name[:200]  # the judge tells which packages the assignment allows
    return described


def _safe_describe(error: BaseException) -> dict:
    try:
        return _describe(error)
    except BaseException:  # a hostile exception's __str__ can fail too
        return {"type": "Exception", "message": "", "where": []}


def _send(to_judge, value) -> None:
    wire.write_message(to_judge, wire.encode(value))


def _run_cells(cells, namespace, to_judge):
    errors = []
    for index, cell in enumerate(cells):
        _send(to_judge, {"event": "cell", "index": index})
        try:
            # the judge has rewritten IPython syntax already (IPython is not in the sandbox)
            source, filename = cell["source"], f"<{cell['label']}>"
            # as IPython does: inspect (and so tf.function's AutoGraph) can then read the cell's code
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec"), namespace)
        except BaseException as error:  # SystemExit and KeyboardInterrupt included
            errors.append({"cell": cell["label"], **_safe_describe(error)})
    return errors


def _call(namespace, request):
    function = namespace.get(request["function"])
    if function is None:
        return {"event": "missing"}
    args = wire.plain(request["args"])
    kwargs = wire.plain(request["kwargs"])
    try:
        result = function(*args, **kwargs)
    except BaseException as error:
        return {"event": "raised", **_safe_describe(error), "args_after": args}
    return {"event": "returned", "value": result, "args_after": args}


def _drive(namespace, request):
    """Run a named scenario of the assignment's driver (``driver.py`` beside this file):
    for stateful APIs, it builds objects from plain arrays and calls the student's
    functions in order, returning plain arrays."""
    import driver

    inputs = wire.plain(request["inputs"])
    try:
        result = driver.SCENARIOS[request["scenario"]](namespace, **inputs)
    except BaseException as error:
        return {"event": "raised", **_safe_describe(error)}
    return {"event": "returned", "value": result}


def main() -> None:
    from_judge, to_judge = _take_protocol_channel()
    lazy.import_on_first_use()
    if os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver.py")):
        try:
            with lazy.kept_for_good():
                import driver  # noqa: F401 (its imports, TensorFlow's seconds among them, before the judge waits on them)
        except BaseException as error:  # the assignment's own code: the grader's failure, said as such
            _send(to_judge, {"event": "broken", "message": f"{type(error).__name__}: {error}"[:2000]})
            return
    _send(to_judge, {"event": "ready"})  # the sandbox started: what fails from here on is the notebook's
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    namespace["get_ipython"] = lambda: shell
    shell = _Shell(namespace)
    while True:
        try:
            request = wire.decode(wire.read_message(from_judge.read))
        except EOFError:
            return
        if request["op"] == "load":
            errors = _run_cells(request["cells"], namespace, to_judge)
            defined = sorted(name for name, value in list(namespace.items()) if callable(value))
            _send(to_judge, {"event": "loaded", "errors": errors, "defined": defined[:1000]})
        elif request["op"] in ("call", "drive"):
            try:
                answer = _call(namespace, request) if request["op"] == "call" else _drive(namespace, request)
                payload = wire.encode(answer)
            except BaseException as error:
                payload = wire.encode({"event": "unsendable", **_safe_describe(error)})
            wire.write_message(to_judge, payload)


if __name__ == "__main__":
    main()
