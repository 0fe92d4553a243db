"""The wire format between the judge and the runner: numeric arrays and plain structure.

A message is one ``.npz`` archive: the JSON tree under ``__tree__`` (as bytes) and every
array under its own key. Both sides load with ``allow_pickle=False``, so no Python
object crosses; the judge additionally refuses anything but numeric dtypes.

This module is copied into the sandbox next to the worker: it may import only the
standard library and numpy.
"""
import io
import json
import struct

import numpy as np

MAX_MESSAGE_BYTES = 512 * 2**20
MAX_NODES = 20_000
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex

_LENGTH = struct.Struct(">Q")


def encode(value) -> bytes:
    """Turn a value made of arrays, scalars, strings, tuples, lists and dicts into bytes.

    Objects of any other type are described by their type name only: their content
    never crosses.
    """
    arrays: dict = {}
    budget = [MAX_NODES]

    def tree(v):
        budget[0] -= 1
        if budget[0] < 0:
            return {"t": "other", "type": "structure too large"}
        if type(v) is np.ndarray:
            if v.dtype.kind not in NUMERIC_KINDS:
                return {"t": "other", "type": f"numpy array of dtype {v.dtype}"}
            key = f"a{len(arrays)}"
            arrays[key] = v
            return {"t": "array", "k": key}
        if isinstance(v, (bool, int, float, np.generic)) and type(v).__module__ in ("builtins", "numpy"):
            scalar = np.asarray(v)
            if scalar.dtype.kind not in NUMERIC_KINDS:
                return {"t": "other", "type": type(v).__name__}
            key = f"a{len(arrays)}"
            arrays[key] = scalar
            return {"t": "scalar", "type": type(v).__name__, "k": key}
        if v is None:
            return {"t": "none"}
        if type(v) is str:
            return {"t": "str", "v": v}
        if type(v) in (tuple, list):
            return {"t": type(v).__name__, "items": [tree(item) for item in v]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"t": "dict", "items": {k: tree(item) for k, item in v.items()}}
        return {"t": "other", "type": _type_name(v)}

    root = tree(value)
    arrays["__tree__"] = np.frombuffer(json.dumps(root).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode(payload: bytes):
    """Inverse of :func:`encode`. Raises ``ValueError`` on anything malformed."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    root = json.loads(arrays.pop("__tree__").tobytes().decode())
    for key, array in arrays.items():
        if array.dtype.kind not in NUMERIC_KINDS:
            raise ValueError(f"array {key} has non-numeric dtype {array.dtype}")
    count = [0]

    def value(node):
        count[0] += 1
        if count[0] > MAX_NODES or not isinstance(node, dict):
            raise ValueError("malformed message")
        kind = node.get("t")
        if kind == "array":
            return arrays[node["k"]]
        if kind == "scalar":
            return Scalar(arrays[node["k"]][()], str(node["type"]))
        if kind == "none":
            return None
        if kind == "str":
            return str(node["v"])
        if kind == "tuple":
            return tuple(value(item) for item in node["items"])
        if kind == "list":
            return [value(item) for item in node["items"]]
        if kind == "dict":
            return {str(k): value(item) for k, item in node["items"].items()}
        if kind == "other":
            return Other(str(node["type"])[:200])
        raise ValueError(f"unknown node kind {kind!r}")

    return value(root)


class Scalar:
    """A scalar that crossed the wire, with the Python type name it had."""

    def __init__(self, value, type_name: str):
        self.value = value
        self.type_name = type_name

    def __repr__(self):
        return f"Scalar({self.value!r}, {self.type_name!r})"


class Other:
    """An object that did not cross the wire: only its type name did."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"Other({self.type_name!r})"


def plain(value):
    """What the sender meant: wire scalars become numpy scalars (for requests)."""
    if isinstance(value, Scalar):
        python_type = {"int": int, "float": float, "bool": bool}.get(value.type_name)
        return python_type(value.value) if python_type else value.value
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def write_message(stream, payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def read_exactly(read, n: int) -> bytes:
    chunks, missing = [], n
    while missing:
        chunk = read(missing)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_message(read) -> bytes:
    """Read one length-prefixed message with ``read(n) -> bytes``."""
    (length,) = _LENGTH.unpack(read_exactly(read, _LENGTH.size))
    if length > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {length} bytes is over the limit")
    return read_exactly(read, length)


def _type_name(v) -> str:
    try:
        cls = type(v)
        return f"{cls.__module__}.{cls.__qualname__}"[:200]
    except Exception:  # a hostile type can break even this
        return "unknown"
