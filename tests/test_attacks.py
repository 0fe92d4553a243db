"""Submissions that attack the autograder, each proven to earn nothing on what it
attacks, to let grading finish, to leave no process behind and to change nothing
outside the output folder.

Each attack is the reference notebook with one more cell of the student's: the
attacked function is redefined there, so every other function keeps full marks.
"""
import os
import socket
import time
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest
from conftest import ROOT, grade_notebook, scores_by_function

from autograder import assignments
from autograder.config import DEFAULT_LIMITS
from autograder.judge.student import Student
from autograder.runner import sandbox

MARKER = "autograder-attack-marker"
CONV = assignments.load("conv")

WRONG_FORWARD = '''
def conv_forward(x, w, b, stride=1, pad=0):
    return np.zeros((1, 1, 1, 1), dtype=x.dtype), (x, w, b, stride, pad)
'''

ATTACKS = {
    "monkeypatch_numpy": '''
import numpy as np
import numpy.testing
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
''' + WRONG_FORWARD,
    "lying_eq_and_array": '''
class Liar(np.ndarray):
    def __eq__(self, other): return True
    def __ne__(self, other): return False

class FakeArray:
    shape = (2, 2)
    dtype = np.float64
    def __array__(self, *args, **kwargs): raise RuntimeError("never converted")
    def __eq__(self, other): return True

def conv_forward(x, w, b, stride=1, pad=0):
    return np.zeros((2, 2)).view(Liar), FakeArray()
''',
    "import_hidden_code": f'''
import sys, site, glob
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "autograder" / "assignments")!r}]
for folder in glob.glob({str(ROOT / ".venv" / "lib" / "python3*" / "site-packages")!r}):
    site.addsitedir(folder)
try:
    from solutions.conv import conv_forward
except Exception:
    try:
        from autograder.assignments.conv.test_conv import reference
        conv_forward = reference.conv_forward
    except Exception:
''' + "\n".join("        " + line for line in WRONG_FORWARD.strip().splitlines()),
    "search_disk": f'''
import os
found = []
# What the sandbox promises to hide: this checkout, the shared temporary folders and
# home. (Other copies of the course elsewhere on a machine are not known to it.)
for top in [{str(ROOT)!r}, {str(ROOT.parent)!r}, "/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~"), "/root"]:
    seen = 0
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [s for s in subfolders if s not in ("proc", "sys", "dev", ".venv", "usr", "lib", "lib64")]
        seen += 1
        if seen > 5000:
            break
        found += [os.path.join(folder, f) for f in files if f in ("conv.py", "test_conv.py", "results.json")]
namespace = {{}}
for path in found:
    try:
        exec(open(path).read(), namespace)
    except Exception:
        pass
if "conv_forward" in namespace:
    conv_forward = namespace["conv_forward"]
else:
''' + "\n".join("    " + line for line in WRONG_FORWARD.strip().splitlines()),
    "write_results_and_feedback": '''
import json, os
FAKE = {"score": 999, "max_score": 12, "tests": []}
for folder in [os.getcwd(), os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm", OUT, ROOT]:
    for name in ("results.json", "feedback.html", "MARKER-file"):
        try:
            with open(os.path.join(folder, name), "w") as file:
                json.dump(FAKE, file)
        except OSError:
            pass
try:
    os.remove(os.path.join(OUT, "canary"))
except OSError:
    pass
'''.replace("OUT", "{out!r}").replace("ROOT", repr(str(ROOT))).replace("MARKER", MARKER) + WRONG_FORWARD,
    "print_fake_results": '''
import sys, json
print(json.dumps({"score": 12, "max_score": 12, "tests": [{"name": "conv_forward", "score": 4, "max_score": 4}]}))
print("All tests passed!", file=sys.stderr)
''' + WRONG_FORWARD,
    "sys_exit": WRONG_FORWARD + '''
import sys
sys.exit(0)
''',
    "os_exit_in_function": '''
import os
def conv_forward(x, w, b, stride=1, pad=0):
    os._exit(0)
''',
    "infinite_loop": '''
def conv_forward(x, w, b, stride=1, pad=0):
    while True:
        pass
''',
    "background_thread": '''
import threading
def _spin():
    while True:
        sum(range(1000))
threading.Thread(target=_spin, daemon=False).start()
''' + WRONG_FORWARD,
    "spawn_processes": f'''
import os, subprocess, sys
def conv_forward(x, w, b, stride=1, pad=0):
    code = "import os, time; os.setsid(); os.fork() or time.sleep(600); time.sleep(600)"
    subprocess.Popen([sys.executable, "-c", code, {MARKER!r}], start_new_session=True)
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", {MARKER!r}])
    return np.zeros((1, 1, 1, 1)), None
''',
    "memory_bomb": '''
def conv_forward(x, w, b, stride=1, pad=0):
    hoard = []
    while True:
        hoard.append(bytearray(2**28))
''',
    "segfault": '''
import ctypes
def conv_forward(x, w, b, stride=1, pad=0):
    return ctypes.string_at(0)
''',
}


def _attack_notebook(code: str, out: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(CONV.source_notebook, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(code.replace("{out!r}", repr(str(out)))))
    return notebook


def _leftovers() -> list:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if MARKER in " ".join(process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:
            pass
    return found


def _marker_files() -> list:
    """Files the attacks name with the marker, wherever they tried to write them."""
    places = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), ROOT, Path.home()]
    return [path for place in places if place.exists() for path in place.glob(f"{MARKER}*")]


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_earns_nothing_and_leaves_no_trace(name, tmp_path, calibrated):
    out = tmp_path / "out"
    out.mkdir()
    (out / "canary").write_text("judge's file")
    markers_before = _marker_files()
    started = time.monotonic()
    results = grade_notebook(_attack_notebook(ATTACKS[name], out), "conv", tmp_path / "submission",
                             budgets=calibrated("conv"))
    assert time.monotonic() - started < 90
    scores = scores_by_function(results)
    assert scores["conv_forward"][0] == 0, f"{name} earned points on conv_forward"
    if name != "sys_exit":  # the rest of the notebook ran as the reference
        others = {f: s for f, s in scores.items() if f != "conv_forward" and s[0] < s[1]}
        assert not others, f"{name} cost points elsewhere: {others}"
    time.sleep(0.2)
    assert not _leftovers(), f"{name} left processes behind"
    assert (out / "canary").read_text() == "judge's file"
    assert _marker_files() == markers_before
    assert not [p for p in (ROOT / "results.json", ROOT / "feedback.html", Path.home() / "results.json") if p.exists()]


def test_clock_patching_does_not_beat_the_budget(tmp_path, calibrated):
    """A correct but slow conv_forward that stops the clock in its process still fails
    its time budget: the judge times calls itself."""
    code = '''
import time
_sleep = time.sleep
time.time = time.perf_counter = time.monotonic = time.process_time = lambda: 0.0
_correct = conv_forward
def conv_forward(x, w, b, stride=1, pad=0):
    if x.shape == (4, 16, 16, 3):
        _sleep(BUDGET)
    return _correct(x, w, b, stride, pad)
'''.replace("BUDGET", str(calibrated("conv")["conv_forward"] * 1.5))
    results = grade_notebook(_attack_notebook(code, tmp_path), "conv", tmp_path, budgets=calibrated("conv"))
    budget_checks = [t for t in results["tests"] if t["name"].startswith("conv_forward: runs within")]
    assert budget_checks and all(t["score"] == 0 for t in budget_checks)
    values = [t for t in results["tests"] if t["tags"] == ["conv_forward"] and "within" not in t["name"]]
    assert all(t["score"] == t["max_score"] for t in values)


@pytest.fixture
def runner_with(tmp_path):
    students = []

    def start(code: str) -> Student:
        student = Student([{"label": "cell 1 (attack)", "source": code}], DEFAULT_LIMITS.with_overrides(call_seconds=5))
        students.append(student)
        return student

    yield start
    for student in students:
        student.close()


def test_environment_is_scrubbed(runner_with, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_for_students")
    monkeypatch.setenv("CI_SECRET", "hunter2")
    student = runner_with('''
import os, numpy as np
def leak():
    return np.frombuffer(repr(dict(os.environ)).encode(), dtype=np.uint8)
''')
    leaked = student.call("leak").value.tobytes().decode()
    assert "ghp_not_for_students" not in leaked and "hunter2" not in leaked
    assert "GITHUB_TOKEN" not in leaked and "CI_SECRET" not in leaked


@pytest.mark.skipif(not sandbox.namespaces_available(), reason="this OS gives no network namespace")
def test_no_network_from_student_code(runner_with):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        student = runner_with('''
import socket
def reach(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return 1
    except OSError:
        return 0
''')
        assert int(student.call("reach", port=port).value.value) == 0
    finally:
        server.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="privileges are dropped only when grading as root")
def test_student_code_runs_unprivileged(runner_with):
    student = runner_with("import os\ndef whoami():\n    return os.geteuid()\n")
    assert int(student.call("whoami").value.value) != 0


def test_resource_limits_apply(runner_with):
    student = runner_with('''
import resource
def limits():
    return [resource.getrlimit(r)[0] for r in
            (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CORE)]
''')
    address_space, cpu, file_size, open_files, core = (int(v.value) for v in student.call("limits").value)
    assert address_space == DEFAULT_LIMITS.memory_mb * 2**20
    assert cpu == DEFAULT_LIMITS.cpu_seconds
    assert file_size == DEFAULT_LIMITS.file_size_mb * 2**20
    assert open_files == DEFAULT_LIMITS.open_files
    assert core == 0


@pytest.mark.skipif(not sandbox.namespaces_available(), reason="the working folder is a tmpfs only in a mount namespace")
def test_all_the_student_writes_is_bounded(runner_with):
    """Files each under the file-size limit, written until the disk says no: the total
    stops at the working folder's size, not at the grading machine's disk. (Four files
    more than would fit are tried, so that a missing bound fails here without filling
    the disk.)"""
    student = runner_with(f'''
def fill():
    chunk, megabytes = b"x" * 2**20, 0
    try:
        for n in range({DEFAULT_LIMITS.folder_mb // 16 + 4}):
            with open("{MARKER}-%d" % n, "wb", buffering=0) as file:
                for _ in range(16):
                    file.write(chunk)
                    megabytes += 1
    except OSError:
        pass
    return megabytes
''')
    megabytes = int(student.call("fill", timeout=60).value.value)
    assert DEFAULT_LIMITS.folder_mb - 16 <= megabytes <= DEFAULT_LIMITS.folder_mb


def test_wrong_answers_that_are_not_attacks(tmp_path, calibrated):
    """NaN and inf, object arrays, lists, huge outputs and 0-d arrays: each a clear failure."""
    code = '''
def conv_forward(x, w, b, stride=1, pad=0):
    kind = int(x.shape[0] + x.shape[1]) % 5
    if kind == 0:
        return np.full((1, 1, 1, 1), np.nan), None
    if kind == 1:
        return np.array([object()]), None
    if kind == 2:
        return [[0.0]], None
    if kind == 3:
        return np.zeros((40, 1000, 1000)), None
    return np.float64(0.0), None
'''
    results = grade_notebook(_attack_notebook(code, tmp_path), "conv", tmp_path, budgets=calibrated("conv"))
    outputs = [t["output"] for t in results["tests"] if t["tags"] == ["conv_forward"]]
    assert scores_by_function(results)["conv_forward"][0] == 0
    assert all(outputs), "every failed check says why"
    assert not [t for t in results["tests"] if "internal error" in t["output"]]
