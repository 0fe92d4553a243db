"""The wire format under attack: whatever bytes the worker sends, the judge's ``decode``
refuses them with ``ValueError`` (and nothing else), quickly and without inflating
anything, while every message ``encode`` writes still comes back as it went.
"""
import io
import json
import random
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib

import numpy as np
import pytest

from autograder.runner import wire

BOMB_BYTES = 2**30  # what the deflated member inflates to

# Decodes the file argv[1] with wire.py loaded from argv[2] as the sandbox has it,
# and reports the outcome and how much the peak RSS grew meanwhile.
DECODE_AND_MEASURE = """
import importlib.util, json, os, resource, sys, time
spec = importlib.util.spec_from_file_location("wire", sys.argv[2])
wire = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wire)
payload = open(sys.argv[1], "rb").read()
# A decoder that does inflate meets this limit instead of the machine's memory.
mapped = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (mapped + 2 * 2**30, resource.RLIM_INFINITY))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    wire.decode(payload)
    outcome = "decoded"
except BaseException as error:
    outcome = type(error).__name__
seconds = time.monotonic() - started
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"outcome": outcome, "seconds": seconds, "grown_kib": grown}))
"""


# Building blocks: .npy members with any header, archives with any records.


def npy(descr, shape, data: bytes = b"") -> bytes:
    """An .npy file whose header says ``descr`` and ``shape``, whatever ``data`` holds."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": False, "shape": shape})
    return stream.getvalue() + data


def tree_npy(tree, dtype=np.uint8) -> bytes:
    """The ``__tree__`` member for a tree given as JSON text or as a JSON-able value."""
    text = tree if isinstance(tree, str) else json.dumps(tree)
    stream = io.BytesIO()
    np.save(stream, np.frombuffer(text.encode(), dtype=dtype))
    return stream.getvalue()


def archive(members) -> bytes:
    """A stored zip of ``[(name, bytes)]`` as np.savez writes it; names may repeat."""
    stream = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(stream, "w") as zipped:
        warnings.simplefilter("ignore")  # zipfile warns about a repeated name
        for name, data in members:
            zipped.writestr(name, data)
    return stream.getvalue()


def message(members: dict, tree=None) -> bytes:
    """An archive of ``members`` (``{key: .npy bytes}``) and a tree (by default, naming a0)."""
    tree = {"t": "array", "k": "a0"} if tree is None else tree
    return archive([(f"{key}.npy", data) for key, data in members.items()] + [("__tree__.npy", tree_npy(tree))])


def raw_archive(entries) -> bytes:
    """A zip written record by record from ``[(name, method, data, file_size, crc)]``, so
    that its records may say what zipfile would never write."""
    body, directory = b"", b""
    for name, method, data, file_size, crc in entries:
        encoded = name.encode()
        sizes = (crc, len(data), file_size, len(encoded), 0)
        fixed = (20, 3, 20, 0, 0, method, 0, 0x21, *sizes, 0, 0, 0, 0, len(body))
        directory += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", *fixed) + encoded
        body += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, method, 0, 0x21, *sizes) + encoded + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    return body + directory + end


def stored(name: str, data: bytes) -> tuple:
    return (name, zipfile.ZIP_STORED, data, len(data), zlib.crc32(data))


SMALL = npy("<f8", (1,), bytes(8))
DEFLATED_SMALL = zlib.compress(SMALL)[2:-4]  # the raw deflate stream, as zip holds it


def deflate_bomb() -> bytes:
    """A message of about a megabyte whose array inflates to ``BOMB_BYTES`` zeros."""
    header = npy("|u1", (BOMB_BYTES,))
    chunk = bytes(2**20)
    copies = BOMB_BYTES // len(chunk)
    # Each part is deflated from an empty history and ends byte-aligned: copies chain up.
    first, block = (zlib.compressobj(9, zlib.DEFLATED, -15) for _ in range(2))
    deflated = first.compress(header) + first.flush(zlib.Z_FULL_FLUSH)
    deflated += (block.compress(chunk) + block.flush(zlib.Z_FULL_FLUSH)) * copies
    deflated += b"\x03\x00"  # the final block, empty
    crc = zlib.crc32(header)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    bomb = ("a0.npy", zipfile.ZIP_DEFLATED, deflated, len(header) + BOMB_BYTES, crc)
    return raw_archive([bomb, stored("__tree__.npy", tree_npy({"t": "array", "k": "a0"}))])


def refused(payload, match=None) -> str:
    """Decode ``payload``, which must fail with ``ValueError`` (matching ``match``); the reason."""
    with pytest.raises(ValueError, match=match) as caught:
        wire.decode(payload)
    return str(caught.value)


# Resources: nothing is inflated, allocated or recursed into on the sender's word.


def test_deflate_bomb_is_refused_before_inflating(tmp_path):
    """A ~1 MB message whose member inflates to 1 GiB: ValueError at once, RSS flat."""
    payload = deflate_bomb()
    assert len(payload) < 2 * 2**20
    assert zipfile.ZipFile(io.BytesIO(payload)).getinfo("a0.npy").file_size > BOMB_BYTES
    path = tmp_path / "bomb.npz"
    path.write_bytes(payload)
    run = subprocess.run(
        [sys.executable, "-c", DECODE_AND_MEASURE, str(path), wire.__file__],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["outcome"] == "ValueError", report
    assert report["grown_kib"] < 100 * 1024, report
    assert report["seconds"] < 5, report


@pytest.mark.parametrize(
    "descr, shape, data",
    [
        pytest.param("<f8", (2**40,), bytes(8), id="claims_more"),  # 8 TiB claimed, 8 bytes held
        pytest.param("<f8", (1,), bytes(16), id="claims_less"),  # bytes past the array
        pytest.param("<f8", (2**62, 2**62), bytes(8), id="claims_past_int64"),
    ],
)
def test_header_must_match_the_member_size(descr, shape, data):
    """An .npy header whose shape and dtype do not add up to the member's bytes."""
    reason = refused(message({"a0": npy(descr, shape, data)}))
    assert "claims" in reason


def test_object_dtype_is_refused_from_its_header():
    """An object array is refused by its header, before numpy is asked to read it."""
    refused(message({"a0": npy("|O", (1,), b"\x80\x04N.")}), match="dtype")


def raw_npy(header: str, data: bytes = bytes(8)) -> bytes:
    """An .npy file with ``header`` as its text, padded as numpy pads it."""
    text = header.encode() + b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


@pytest.mark.parametrize("header", [
    "{'shape': (1,), 'fortran_order': False, 'descr': '<f8', }",  # numpy reads it; numpy never writes it
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1, }",
    "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (2 - 1,), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",
    "{'descr': '<M8[D]', 'fortran_order': False, 'shape': (1,), }",  # a date, not a number
])
def test_a_header_is_read_only_in_the_form_numpy_writes_it(header):
    """Headers are matched against numpy's own form, never evaluated: anything else is refused."""
    refused(message({"a0": raw_npy(header)}), match="header")


@pytest.mark.parametrize("member", ["a0", "__tree__"])
def test_structured_dtype_is_refused(member):
    """A structured array, as data or as the tree (whose bytes would otherwise be used)."""
    tree_bytes = json.dumps({"t": "array", "k": "a1"}).encode()
    members = {"a1": SMALL}
    if member == "a0":
        members["a0"] = npy([("x", "<f8"), ("y", "<i4")], (1,), bytes(12))
        members["__tree__"] = npy("|u1", (len(tree_bytes),), tree_bytes)
    else:
        members["__tree__"] = npy([("c", "|u1")], (len(tree_bytes),), tree_bytes)
    payload = archive([(f"{key}.npy", data) for key, data in members.items()])
    refused(payload, match="dtype")


@pytest.mark.parametrize("depth", [100_000, 200])
def test_deep_tree_is_refused(depth):
    """100 000 levels of JSON lists (a RecursionError before), and a well-formed tree of
    nodes nested past MAX_DEPTH: ValueError, quickly."""
    if depth == 100_000:
        text = "[" * depth + "]" * depth
    else:
        text = '{"t": "none"}'
        for _ in range(depth):
            text = '{"t": "list", "items": [' + text + "]}"
    started = time.monotonic()
    refused(message({}, tree=text), match="deep")
    assert time.monotonic() - started < 2


def test_structure_flood_is_refused_before_parsing():
    """A tree of a million empty objects (tens of bytes of Python objects each once
    parsed): refused on the size of its JSON structure."""
    text = "[" + "{}," * 1_000_000 + "{}]"
    refused(message({}, tree=text), match="too many nodes")


def test_archive_with_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(wire, "MAX_MEMBERS", 3)
    members = {f"a{i}": SMALL for i in range(4)}
    refused(message(members), match="too large|members")


# Archive records: only what np.savez writes.


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param([("a0.npy", zipfile.ZIP_DEFLATED, DEFLATED_SMALL, len(SMALL), zlib.crc32(SMALL))], id="deflated"),
        pytest.param([("a0.npy", zipfile.ZIP_STORED, SMALL, 2**20, zlib.crc32(SMALL))], id="sizes_differ"),
        pytest.param([stored("a0", SMALL)], id="not_npy"),
        pytest.param([stored("a0.npy", SMALL)] * 2, id="repeated_name"),
    ],
)
def test_member_records_must_be_as_savez_writes_them(entries):
    payload = raw_archive(entries + [stored("__tree__.npy", tree_npy({"t": "array", "k": "a0"}))])
    refused(payload)


# The tree: present, bytes, and every node well formed.


@pytest.mark.parametrize("problem", ["missing", "int8", "2-d"])
def test_tree_must_be_a_byte_string(problem):
    members = {"a0": SMALL}
    tree_bytes = json.dumps({"t": "array", "k": "a0"}).encode()
    if problem == "int8":
        members["__tree__"] = npy("|i1", (len(tree_bytes),), tree_bytes)
    elif problem == "2-d":
        members["__tree__"] = npy("|u1", (1, len(tree_bytes)), tree_bytes)
    refused(archive([(f"{key}.npy", data) for key, data in members.items()]), match="tree")


@pytest.mark.parametrize(
    "tree",
    [
        {"t": "array", "k": "a7"},
        {"t": "scalar", "type": "int", "k": "a7"},
        {"t": "array"},
        {"t": "str"},
        {"t": "list", "items": 5},
        {"t": "dict", "items": ["a"]},
        {"t": "tuple", "items": [5]},
        {"t": "other", "type": ["list"]},
        {"t": "scalar", "type": "int", "k": "a0"},  # a0 is not 0-d
        {"t": "mystery"},
        [],
        "null",
    ],
)
def test_malformed_tree_nodes_are_refused(tree):
    """Missing keys, wrong field types, unknown kinds: ValueError, not KeyError or TypeError."""
    refused(message({"a0": npy("<f8", (2,), bytes(16))}, tree=tree))


# Anything at all: only ValueError escapes.


def test_fuzzed_messages_raise_only_value_error():
    """Garbage, truncations and mutations of a valid message, with a seeded RNG."""
    rng = random.Random(20261123)
    value = {"x": np.arange(12.0).reshape(3, 4), "n": [1, 2.5, "s", (None, True)], "c": np.ones(3, np.complex64)}
    valid = wire.encode(value)
    payloads = [b"", b"PK", b"PK\x05\x06" + bytes(18), bytes(22), valid[:-1], valid + b"\x00"]
    payloads += [rng.randbytes(rng.randrange(1, 3000)) for _ in range(50)]
    payloads += [valid[: rng.randrange(len(valid))] for _ in range(100)]
    for _ in range(300):
        mutated = bytearray(valid)
        for _ in range(rng.randrange(1, 9)):
            at = rng.randrange(len(mutated))
            choice = rng.random()
            if choice < 0.6:
                mutated[at] = rng.getrandbits(8)
            elif choice < 0.8:
                mutated[at:at] = rng.randbytes(rng.randrange(1, 16))
            else:
                del mutated[at : at + rng.randrange(1, 16)]
        payloads.append(bytes(mutated))
    escaped = []
    for payload in payloads:
        try:
            wire.decode(payload)
        except ValueError:
            pass
        except BaseException as error:  # noqa: BLE001 (what the test looks for)
            escaped.append(f"{type(error).__name__}: {error}"[:200])
    assert not escaped, escaped[:5]


def test_only_bytes_are_decoded():
    for payload in (None, "PK", 10**12, [1, 2]):
        refused(payload)


# What encode writes still comes back.


def test_round_trip():
    value = {
        "arrays": [
            np.arange(6, dtype=np.float32).reshape(2, 3),
            np.linspace(0, 1, 5),
            np.arange(4, dtype=np.int16),
            np.array([True, False]),
            np.array([1 + 2j, -3j], dtype=np.complex128),
            np.asfortranarray(np.arange(12.0).reshape(3, 4)),
            np.zeros((0, 3)),
            np.array(7.5),
        ],
        "scalars": (3, 2.5, True, np.float32(1.5), np.int64(-4)),
        "text": ['quote " backslash \\ brackets [{}] unicode é', ""],
        "nested": {"empty": {}, "list": [], "tuple": (), "none": None, "deep": [[[(1,)]]]},
        "other": object(),
    }
    back = wire.decode(wire.encode(value))
    for sent, got in zip(value["arrays"], back["arrays"]):
        assert type(got) is np.ndarray and got.dtype == sent.dtype and got.shape == sent.shape
        np.testing.assert_array_equal(got, sent)
        assert got.flags.writeable
    assert [(s.value, s.type_name) for s in back["scalars"]] == [
        (3, "int"), (2.5, "float"), (True, "bool"), (1.5, "float32"), (-4, "int64")
    ]
    assert wire.plain(back["scalars"]) == value["scalars"]
    assert back["text"] == value["text"]
    assert back["nested"]["empty"] == {} and back["nested"]["list"] == [] and back["nested"]["tuple"] == ()
    assert back["nested"]["none"] is None
    assert back["nested"]["deep"][0][0][0][0].value == 1
    assert isinstance(back["other"], wire.Other) and back["other"].type_name == "builtins.object"


def test_deep_and_cyclic_values_encode_to_trees_that_decode():
    """Containers past MAX_DEPTH (a cycle among them) cross as Other, not as an error."""
    cycle = []
    cycle.append(cycle)
    deep = node = []
    for _ in range(wire.MAX_DEPTH + 10):
        node.append([])
        node = node[0]
    for value in (cycle, deep):
        back = wire.decode(wire.encode(value))
        for _ in range(wire.MAX_DEPTH):
            back = back[0]
        assert isinstance(back, wire.Other) and back.type_name == "structure too deep"


def test_message_channel_round_trip():
    stream = io.BytesIO()
    wire.write_message(stream, wire.encode({"k": np.arange(3)}))
    stream.seek(0)
    np.testing.assert_array_equal(wire.decode(wire.read_message(stream.read))["k"], np.arange(3))
