"""The wire format between the judge and the runner: numeric arrays and plain structure.

A message is one frame, every number little-endian:

- ``AGW\x01``, the tree's length in bytes (8 bytes) and the number of arrays (4 bytes);
- a table with a row per array: its dtype as numpy spells it (``<f4``, ``|b1``; 4 bytes,
  NUL-padded), its number of dimensions (1 byte) and each dimension (8 bytes);
- the tree, JSON text: the value's structure, each array named ``a<row>``;
- the arrays' bytes in C order, in the table's order, each starting on a multiple of 16.

Only numeric arrays cross: no pickle, no Python object. Decoding is reading the table and
pointing at the bytes: no archive, no header to parse, nothing copied twice.

The judge decodes what an untrusted process wrote, so :func:`decode` checks the table
against the bytes the message holds, and the tree's size and depth, before it builds
anything, and raises ``ValueError`` (only that) when any is off.

This module is copied into the sandbox next to the worker: it may import only the
standard library and numpy.
"""
import json
import math
import re
import struct

import numpy as np

MAX_MESSAGE_BYTES = 512 * 2**20
MAX_NODES = 20_000
MAX_DEPTH = 64  # how deeply containers may nest in a message
MAX_ARRAYS = MAX_NODES  # an array per node at most
MAX_DIMENSIONS = 64  # numpy's own limit
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex

_LENGTH = struct.Struct(">Q")
_FRAME = struct.Struct("<4sQI")  # magic, tree bytes, arrays
_MAGIC = b"AGW\x01"
_ROW = struct.Struct("<4sB")  # dtype, dimensions; then a "<Q" per dimension
_DIMENSION = struct.Struct("<Q")
_ALIGN = 16  # where each array's bytes start: numpy reads aligned data fastest
_DESCR = re.compile(rb"[<>|][biufc][0-9]{1,2}\x00*")  # what numpy spells a numeric dtype
_STRUCTURE_PER_NODE = 32  # JSON outside strings per node; encode writes at most 16
_JSON_DEPTH = 2 * MAX_DEPTH + 1  # a node and its items list or dict are two JSON levels
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")


def encode(value) -> bytes:
    """Turn a value made of arrays, scalars, strings, tuples, lists and dicts into bytes.

    Objects of any other type are described by their type name only: their content
    never crosses. So are containers nested deeper than ``MAX_DEPTH``, and every node
    past the first ``MAX_NODES``.
    """
    arrays: list = []
    budget = [MAX_NODES]

    def tree(v, depth):
        budget[0] -= 1
        if budget[0] < 0:
            return {"t": "other", "type": "structure too large"}
        if type(v) is np.ndarray:
            if v.dtype.kind not in NUMERIC_KINDS:
                return {"t": "other", "type": f"numpy array of dtype {v.dtype}"}
            arrays.append(v)
            return {"t": "array", "k": f"a{len(arrays) - 1}"}
        if isinstance(v, (bool, int, float, np.generic)) and type(v).__module__ in ("builtins", "numpy"):
            scalar = np.asarray(v)
            if scalar.dtype.kind not in NUMERIC_KINDS:
                return {"t": "other", "type": type(v).__name__}
            arrays.append(scalar)
            return {"t": "scalar", "type": type(v).__name__, "k": f"a{len(arrays) - 1}"}
        if v is None:
            return {"t": "none"}
        if type(v) is str:
            return {"t": "str", "v": v}
        is_dict = type(v) is dict and all(type(k) is str for k in v)
        if (type(v) in (tuple, list) or is_dict) and depth >= MAX_DEPTH:
            return {"t": "other", "type": "structure too deep"}  # decode refuses deeper trees
        if type(v) in (tuple, list):
            return {"t": type(v).__name__, "items": [tree(item, depth + 1) for item in v]}
        if is_dict:
            return {"t": "dict", "items": {k: tree(item, depth + 1) for k, item in v.items()}}
        return {"t": "other", "type": _type_name(v)}

    text = json.dumps(tree(value, 0)).encode()
    table, data = [], []
    for array in arrays:
        array = array if array.flags.c_contiguous else array.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
        table.append(_ROW.pack(array.dtype.str.encode(), array.ndim))
        table += [_DIMENSION.pack(size) for size in array.shape]
        data.append(array.reshape(-1).view(np.uint8))
    head = b"".join([_FRAME.pack(_MAGIC, len(text), len(arrays)), *table, text])
    parts = [head, bytes(-len(head) % _ALIGN)]
    for raw in data:
        parts += [raw, bytes(-raw.size % _ALIGN)]
    return b"".join(parts)


def decode(payload: bytes):
    """Inverse of :func:`encode`. Raises ``ValueError``, and nothing else, on anything malformed."""
    try:
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise ValueError(f"message is {type(payload).__name__}, not bytes")
        if len(payload) > MAX_MESSAGE_BYTES:
            raise ValueError(f"message of {len(payload)} bytes is over the limit")
        buffer = bytearray(payload)  # the arrays are views of it: writable, and copied once
        layouts, tree_at, tree_bytes = _read_table(buffer)
        arrays = _arrays(buffer, layouts, tree_at + tree_bytes)
        return _build(_read_tree(buffer[tree_at : tree_at + tree_bytes]), arrays)
    except ValueError:
        raise
    except Exception as error:  # numpy and json fail in many ways on hostile bytes
        raise ValueError(f"malformed message ({type(error).__name__})") from error


def _read_table(buffer: bytearray) -> tuple:
    """``([(dtype, shape)], where the tree starts, its length)``, each row checked as it
    is read: nothing is allocated, or looped over, on the sender's word alone."""
    if len(buffer) < _FRAME.size:
        raise ValueError("message too short for a frame")
    magic, tree_bytes, count = _FRAME.unpack_from(buffer)
    if magic != _MAGIC:
        raise ValueError("message does not start as a frame")
    if count > MAX_ARRAYS or count * _ROW.size > len(buffer):
        raise ValueError(f"message declares {count} arrays, more than it can hold")
    at, layouts = _FRAME.size, []
    for _ in range(count):
        if at + _ROW.size > len(buffer):
            raise ValueError("the table of arrays ends early")
        descr, dimensions = _ROW.unpack_from(buffer, at)
        at += _ROW.size
        if not _DESCR.fullmatch(descr):
            raise ValueError(f"an array's dtype {descr.rstrip(bytes(1))[:8]!r} is not numeric")
        if dimensions > MAX_DIMENSIONS or at + dimensions * _DIMENSION.size > len(buffer):
            raise ValueError(f"an array declares {dimensions} dimensions")
        shape = struct.unpack_from(f"<{dimensions}Q", buffer, at)
        at += dimensions * _DIMENSION.size
        try:
            dtype = np.dtype(descr.rstrip(bytes(1)).decode())
        except TypeError:  # a kind numpy has in no such size ("<f3")
            dtype = None
        if dtype is None or dtype.kind not in NUMERIC_KINDS:
            raise ValueError(f"an array's dtype {descr.rstrip(bytes(1))[:8]!r} is not numeric")
        # an empty array's other dimensions are bounded too: numpy computes with them
        if math.prod(size for size in shape if size) * dtype.itemsize > MAX_MESSAGE_BYTES:
            raise ValueError(f"an array claims {shape} of {dtype.str}, more than any message holds")
        layouts.append((dtype, shape))
    if tree_bytes > len(buffer) - at:
        raise ValueError(f"the tree claims {tree_bytes} bytes, more than the message holds")
    return layouts, at, tree_bytes


def _arrays(buffer: bytearray, layouts: list, at: int) -> dict:
    """Every array by key, viewing its bytes, once the table adds up to exactly the bytes
    the message holds after the tree."""
    starts = []
    for dtype, shape in layouts:
        at += -at % _ALIGN
        starts.append(at)
        at += math.prod(shape) * dtype.itemsize
    if at + -at % _ALIGN != len(buffer):
        raise ValueError(f"the arrays claim {at} bytes in all, the message holds {len(buffer)}")
    return {f"a{index}": np.frombuffer(buffer, dtype, math.prod(shape), start).reshape(shape)
            for index, ((dtype, shape), start) in enumerate(zip(layouts, starts))}


def _read_tree(text: bytes):
    """The JSON tree, parsed once its structure is known to be small and shallow."""
    text = bytes(text).decode("utf-8")
    _check_tree_structure(text)
    return json.loads(text)


def _check_tree_structure(text: str) -> None:
    """Bound the JSON outside strings (what parsing turns into objects) and its nesting,
    in linear time and before json.loads builds or recurses."""
    # Without escaped backslashes and escaped quotes, each quote opens or closes a string.
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    structure = _STRING.sub("", unescaped)
    if len(structure) > _STRUCTURE_PER_NODE * (MAX_NODES + 1):
        raise ValueError("tree has too many nodes")
    depth = 0
    for bracket in _NOT_BRACKET.sub("", structure):
        depth += 1 if bracket in "[{" else -1
        if depth > _JSON_DEPTH:
            raise ValueError("tree nests too deeply")


def _build(root, arrays: dict):
    """The value a parsed tree describes, checking every node's fields on the way."""
    count = 0

    def value(node, depth):
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise ValueError("tree has too many nodes")
        if depth > MAX_DEPTH:
            raise ValueError("tree nests too deeply")
        if not isinstance(node, dict):
            raise ValueError("tree node is not an object")
        kind = node.get("t")
        if kind == "array":
            return _array(node, arrays)
        if kind == "scalar":
            scalar = _array(node, arrays)
            if scalar.ndim != 0:
                raise ValueError("scalar node names an array that is not 0-d")
            return Scalar(scalar[()], _field(node, "type", str))
        if kind == "none":
            return None
        if kind == "str":
            return _field(node, "v", str)
        if kind in ("tuple", "list"):
            items = [value(item, depth + 1) for item in _field(node, "items", list)]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            return {key: value(item, depth + 1) for key, item in _field(node, "items", dict).items()}
        if kind == "other":
            return Other(_field(node, "type", str)[:200])
        raise ValueError(f"unknown node kind {str(kind)[:50]!r}")

    return value(root, 0)


def _field(node: dict, name: str, kind: type):
    """``node[name]``, which must be of type ``kind``."""
    field = node.get(name)
    if not isinstance(field, kind):
        raise ValueError(f"tree node lacks a {kind.__name__} {name!r}")
    return field


def _array(node: dict, arrays: dict):
    """The array a node names by its key."""
    key = _field(node, "k", str)
    if key not in arrays:
        raise ValueError(f"tree names a missing array {key[:50]!r}")
    return arrays[key]


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
