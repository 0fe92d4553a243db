"""The wire format under attack: whatever bytes the worker sends, the judge's ``decode``
refuses them with ``ValueError`` (and nothing else), quickly and without allocating
anything on the sender's word, while every message ``encode`` writes still comes back
as it went.
"""
import io
import json
import random
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from autograder.runner import wire

CLAIMED_BYTES = 2**30  # what the array of an empty message claims

# Decodes the file argv[1] with wire.py loaded from argv[2] as the sandbox has it,
# and reports the outcome and how much the peak RSS grew meanwhile.
DECODE_AND_MEASURE = """
import importlib.util, json, os, resource, sys, time
spec = importlib.util.spec_from_file_location("wire", sys.argv[2])
wire = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wire)
payload = open(sys.argv[1], "rb").read()
# A decoder that does allocate meets this limit instead of the machine's memory.
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


# Building blocks: frames written field by field, so that each field may say what
# encode would never write.


def frame(rows, tree=None, data: bytes = b"", count: int = None, tree_bytes: int = None,
          magic: bytes = b"AGW\x01") -> bytes:
    """A message of table ``rows`` (``[(dtype bytes, shape)]``), the tree (JSON text or a
    JSON-able value; by default naming a0), padding to 16 bytes, then ``data`` as given."""
    tree = {"t": "array", "k": "a0"} if tree is None else tree
    text = (tree if isinstance(tree, str) else json.dumps(tree)).encode()
    head = struct.pack("<4sQI", magic, len(text) if tree_bytes is None else tree_bytes,
                       len(rows) if count is None else count)
    for descr, shape in rows:
        head += struct.pack("<4sB", descr, len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
    head += text
    return head + bytes(-len(head) % 16) + data


def message(arrays=(), tree=None) -> bytes:
    """A frame of ``arrays`` as encode lays them out, whatever ``tree`` says."""
    rows = [(array.dtype.str.encode(), array.shape) for array in arrays]
    data = b"".join(array.tobytes() + bytes(-array.nbytes % 16) for array in arrays)
    return frame(rows, tree, data)


SMALL = np.zeros(1)


def refused(payload, match=None) -> str:
    """Decode ``payload``, which must fail with ``ValueError`` (matching ``match``); the reason."""
    with pytest.raises(ValueError, match=match) as caught:
        wire.decode(payload)
    return str(caught.value)


# Resources: nothing is allocated, looped over or recursed into on the sender's word.


def test_an_array_claimed_but_not_sent_is_refused_before_allocating(tmp_path):
    """A message of a few bytes whose table claims a 1 GiB array: ValueError at once, RSS flat."""
    payload = frame([(b"|u1", (CLAIMED_BYTES,))])
    assert len(payload) < 100
    path = tmp_path / "claim.bin"
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
    "rows, data",
    [
        pytest.param([(b"<f8", (2**40,))], bytes(16), id="claims_more"),  # 8 TiB claimed, 16 bytes held
        pytest.param([(b"<f8", (1,))], bytes(32), id="claims_less"),  # bytes past the array
        pytest.param([(b"<f8", (2**62, 2**62))], bytes(16), id="claims_past_int64"),
        pytest.param([(b"<f8", (0, 2**62))], b"", id="empty_but_past_int64"),  # numpy would compute with 2**62
        pytest.param([(b"<f8", (1,))], bytes(8), id="padding_left_out"),
    ],
)
def test_the_table_must_add_up_to_the_bytes_held(rows, data):
    """Shapes and dtypes that do not add up to the bytes after the tree."""
    assert "claim" in refused(frame(rows, data=data))


def test_a_count_of_arrays_past_what_the_message_holds_is_refused_at_once():
    """Four billion arrays declared in a message of a hundred bytes: refused before any row is read."""
    started = time.monotonic()
    refused(frame([(b"<f8", (1,))], data=bytes(16), count=2**32 - 1), match="arrays")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("descr", [
    b"|O8\x00",  # objects: pickles
    b"|V12",  # structured and raw bytes
    b"|S8\x00", b"<U1\x00",  # text
    b"<M8\x00", b"<m8\x00",  # dates and durations, not numbers
    b"f8\x00\x00", b"<f8x", b"<f\x00\x00",  # not as numpy spells a dtype
    b"<f3\x00", b"<u16",  # numbers numpy has in no such size
])
def test_an_array_is_numeric_as_numpy_spells_it_or_refused(descr):
    refused(frame([(descr, (1,))], data=bytes(16)), match="dtype")


def test_more_arrays_than_nodes_are_refused(monkeypatch):
    monkeypatch.setattr(wire, "MAX_ARRAYS", 3)
    refused(message([SMALL] * 4), match="arrays")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(frame([(b"<f8", (1,))], data=bytes(16), magic=b"PK\x03\x04"), id="not_a_frame"),
        pytest.param(frame([(b"<f8", (1,) * 65)], data=bytes(16)), id="more_dimensions_than_numpy_has"),
        pytest.param(frame([(b"<f8", (1,))], data=bytes(16), count=2), id="table_ends_early"),
        pytest.param(frame([(b"<f8", (1,))], data=bytes(16), tree_bytes=2**40), id="tree_past_the_end"),
        pytest.param(frame([(b"<f8", (1,))], data=bytes(16))[:10], id="frame_cut_short"),
    ],
)
def test_frame_fields_must_be_as_encode_writes_them(payload):
    refused(payload)


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
    refused(message(tree=text), match="deep")
    assert time.monotonic() - started < 2


def test_structure_flood_is_refused_before_parsing():
    """A tree of a million empty objects (tens of bytes of Python objects each once
    parsed): refused on the size of its JSON structure."""
    text = "[" + "{}," * 1_000_000 + "{}]"
    refused(message(tree=text), match="too many nodes")


# The tree: JSON text, and every node well formed.


@pytest.mark.parametrize("text", [b"\xff\xfe", b'{"t": ', b""])
def test_tree_must_be_json_text(text):
    head = struct.pack("<4sQI", b"AGW\x01", len(text), 0) + text
    refused(head + bytes(-len(head) % 16))


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
    refused(message([np.zeros(2)], tree=tree))


# Anything at all: only ValueError escapes.


def test_fuzzed_messages_raise_only_value_error():
    """Garbage, truncations and mutations of a valid message, with a seeded RNG."""
    rng = random.Random(20261123)
    value = {"x": np.arange(12.0).reshape(3, 4), "n": [1, 2.5, "s", (None, True)], "c": np.ones(3, np.complex64)}
    valid = wire.encode(value)
    payloads = [b"", b"AGW", b"AGW\x01" + bytes(12), bytes(22), valid[:-1], valid + b"\x00"]
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
            np.arange(10.0)[::3],  # a strided view
            np.arange(3, dtype=">i4"),  # big-endian
            np.arange(3, dtype=np.float16),  # two bytes an item: the next array still starts aligned
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
