"""The wire format between the judge and the runner: numeric arrays and plain structure.

A message is one ``.npz`` archive: the JSON tree under ``__tree__`` (as bytes) and every
array under its own key. Only numeric arrays cross: no pickle, no Python object.

The judge decodes what an untrusted process wrote, so :func:`decode` checks the
archive's records, every array's ``.npy`` header and the tree's size and depth before
it reads or builds anything, and raises ``ValueError`` (only that) when any is off.

This module is copied into the sandbox next to the worker: it may import only the
standard library and numpy.
"""
import io
import json
import math
import re
import struct
import zipfile

import numpy as np

MAX_MESSAGE_BYTES = 512 * 2**20
MAX_NODES = 20_000
MAX_DEPTH = 64  # how deeply containers may nest in a message
MAX_MEMBERS = MAX_NODES + 1  # an array per node at most, and the tree
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex

_LENGTH = struct.Struct(">Q")
_END_RECORD = struct.Struct("<4s4H2LH")  # zip "end of central directory", no comment
_ZIP64_LOCATOR = b"PK\x06\x07"
_LOCATOR_SIZE = 20
_DIRECTORY_ENTRY_BYTES = 160  # 46 fixed bytes, a short name; encode's are about 55
_NPY_HEADER_BYTES = 8192  # a numeric array's header is under 2 KiB even with 64 dimensions
_READ_CHUNK = 2**24  # bytes read at a time into an array
_STRUCTURE_PER_NODE = 32  # JSON outside strings per node; encode writes at most 16
_JSON_DEPTH = 2 * MAX_DEPTH + 1  # a node and its items list or dict are two JSON levels
# An .npy header as numpy writes it for a numeric array (the only kind encode sends): read
# with this pattern alone, so that nothing of an untrusted header is ever evaluated
_NPY_HEADER_LENGTH = {b"\x93NUMPY\x01\x00": struct.Struct("<H"), b"\x93NUMPY\x02\x00": struct.Struct("<I")}
_NPY_HEADER = re.compile(rb"\{'descr': '(?P<descr>[<>|][biufc][0-9]{1,2})', 'fortran_order': (?P<fortran>True|False), "
                         rb"'shape': \((?P<shape>|[0-9]+,|[0-9]+(?:, [0-9]+)+)\), \} *\n")
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")


def encode(value) -> bytes:
    """Turn a value made of arrays, scalars, strings, tuples, lists and dicts into bytes.

    Objects of any other type are described by their type name only: their content
    never crosses. So are containers nested deeper than ``MAX_DEPTH``, and every node
    past the first ``MAX_NODES``.
    """
    arrays: dict = {}
    budget = [MAX_NODES]

    def tree(v, depth):
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
        is_dict = type(v) is dict and all(type(k) is str for k in v)
        if (type(v) in (tuple, list) or is_dict) and depth >= MAX_DEPTH:
            return {"t": "other", "type": "structure too deep"}  # decode refuses deeper trees
        if type(v) in (tuple, list):
            return {"t": type(v).__name__, "items": [tree(item, depth + 1) for item in v]}
        if is_dict:
            return {"t": "dict", "items": {k: tree(item, depth + 1) for k, item in v.items()}}
        return {"t": "other", "type": _type_name(v)}

    root = tree(value, 0)
    arrays["__tree__"] = np.frombuffer(json.dumps(root).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode(payload: bytes):
    """Inverse of :func:`encode`. Raises ``ValueError``, and nothing else, on anything malformed."""
    try:
        arrays = _read_arrays(payload)
        root = _read_tree(arrays.pop("__tree__", None))
        return _build(root, arrays)
    except ValueError:
        raise
    except Exception as error:  # zipfile, numpy and json fail in many ways on hostile bytes
        raise ValueError(f"malformed message ({type(error).__name__})") from error


def _read_arrays(payload) -> dict:
    """Every array of the archive by key. Members are checked as a whole first, each one's
    header then, so no array takes more memory than the bytes the message holds for it."""
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise ValueError(f"message is {type(payload).__name__}, not bytes")
    payload = bytes(payload)
    if len(payload) > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {len(payload)} bytes is over the limit")
    _check_end_record(payload)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        members = _check_members(archive.infolist(), len(payload))
        return {key: _read_member(archive, info) for key, info in members.items()}


def _check_end_record(payload: bytes) -> None:
    """Bound the zip directory before zipfile reads it: zipfile builds an object for every
    entry it finds in the directory, whatever count the end record declares."""
    if len(payload) < _END_RECORD.size:
        raise ValueError("message too short for an archive")
    end = len(payload) - _END_RECORD.size
    signature, _, _, _, entries, directory_bytes, _, comment_bytes = _END_RECORD.unpack_from(payload, end)
    if signature != b"PK\x05\x06" or comment_bytes:
        raise ValueError("message does not end with a zip end record")
    # zipfile would take the directory's size from a zip64 record instead; encode never writes one
    if payload[max(0, end - _LOCATOR_SIZE) : end].startswith(_ZIP64_LOCATOR):
        raise ValueError("zip64 end records are not accepted")
    if entries > MAX_MEMBERS or directory_bytes > MAX_MEMBERS * _DIRECTORY_ENTRY_BYTES:
        raise ValueError("zip directory is too large")


def _check_members(infos: list, payload_bytes: int) -> dict:
    """``{key: ZipInfo}`` for members as np.savez writes them: stored, uncompressed, named once."""
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"archive has {len(infos)} members, over {MAX_MEMBERS}")
    members, total = {}, 0
    for info in infos:
        name = info.filename[:100]
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise ValueError(f"member {name!r} is compressed or encrypted")  # inflating is the bomb
        if info.file_size != info.compress_size:
            raise ValueError(f"member {name!r} declares a size its bytes do not have")
        if not info.filename.endswith(".npy"):
            raise ValueError(f"member {name!r} is not an .npy array")
        key = info.filename[: -len(".npy")]
        if key in members:
            raise ValueError(f"member {name!r} appears twice")
        members[key] = info
        total += info.file_size
    # stored members cannot share bytes: together they fit in the message
    if total > min(payload_bytes, MAX_MESSAGE_BYTES):
        raise ValueError(f"members declare {total} bytes, more than the message holds")
    return members


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """A member's array, read in chunks straight into place once its header passed."""
    with archive.open(info) as member:
        head = member.read(min(info.file_size, _NPY_HEADER_BYTES))
        header_bytes, dtype, shape, fortran_order = _array_layout(head, info)
        array = np.empty(math.prod(shape), dtype=dtype)
        target = memoryview(array.view(np.uint8))
        done = len(head) - header_bytes
        target[:done] = head[header_bytes:]
        while done < len(target):
            read = member.readinto(target[done : done + _READ_CHUNK])
            if not read:
                raise ValueError(f"member {info.filename[:100]!r} ends early")
            done += read
    if fortran_order:
        return array.reshape(shape[::-1]).transpose()
    return array.reshape(shape)


def _array_layout(head: bytes, info: zipfile.ZipInfo) -> tuple:
    """``(header bytes, dtype, shape, fortran order)`` from the start of a member, refused
    unless its ``.npy`` header describes a numeric array of exactly the member's size."""
    name = info.filename[:100]
    length = _NPY_HEADER_LENGTH.get(head[:8])
    if length is None or len(head) < 8 + length.size:
        raise ValueError(f"member {name!r} is not a version 1 or 2 .npy array")
    start = 8 + length.size
    end = start + length.unpack_from(head, 8)[0]
    layout = _NPY_HEADER.fullmatch(head[start:end]) if end <= len(head) else None
    # object and structured dtypes, and anything numpy's own writer would not have written
    if layout is None:
        raise ValueError(f"member {name!r} has no header of a numeric dtype and a shape, as encode writes them")
    dtype = np.dtype(layout["descr"].decode())
    shape = tuple(int(n) for n in layout["shape"].split(b",") if n.strip())
    claimed = end + math.prod(shape) * dtype.itemsize
    if claimed != info.file_size:
        raise ValueError(f"member {name!r} header claims {claimed} bytes, the member holds {info.file_size}")
    return end, dtype, shape, layout["fortran"] == b"True"


def _read_tree(tree):
    """The JSON tree, parsed once its structure is known to be small and shallow."""
    if tree is None:
        raise ValueError("message has no tree")
    if tree.dtype != np.uint8 or tree.ndim != 1:
        raise ValueError(f"tree is not a byte string but {str(tree.dtype)[:100]}")
    text = tree.tobytes().decode("utf-8")
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
