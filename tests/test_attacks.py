"""Submissions that attack the autograder, each proven to earn nothing on what it
attacks, to let grading finish, to leave no process behind and to change nothing
outside the output folder: with the grader as root (a Gradescope container, a
department server) and as a user with no privilege (a laptop, a CI runner).

Each attack is the reference notebook with one more cell of the student's: the
attacked function is redefined there, so every other function keeps full marks.
"""
import contextlib
import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest
import unprivileged
from conftest import ROOT, SEED, grade_notebook, run_file, scores_by_function

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
        found += [os.path.join(folder, f) for f in files if f in ("conv.py", "hidden_tests.py", "results.json")]
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
    "undo_the_mounts": f'''
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
points = [line.split()[4] for line in open("/proc/self/mountinfo")]
for point in reversed(points):
    libc.umount2(point.encode(), 2)  # MNT_DETACH
for tool in (["unshare", "-Urm", "sh", "-c", "for p in $(cut -d' ' -f5 /proc/self/mountinfo | sort -r); do umount -l $p; done; cat {str(ROOT / "solutions" / "conv.py")!r}"],
             ["unshare", "-rm", "cat", {str(ROOT / "solutions" / "conv.py")!r}]):
    try:
        stolen = subprocess.run(tool, capture_output=True, text=True, timeout=5).stdout
        if "def conv_forward" in stolen:
            exec(stolen)
            break
    except Exception:
        pass
else:
''' + "\n".join("    " + line for line in WRONG_FORWARD.strip().splitlines()),
    "write_the_python_environment": f'''
import os, sys, numpy
for folder in [sys.prefix, os.path.dirname(numpy.__file__), *sys.path]:
    try:
        with open(os.path.join(folder, "{MARKER}-file"), "w") as file:
            file.write("poisoned")
    except OSError:
        pass
try:
    with open(numpy.__file__, "a") as file:
        file.write("\\nallclose = lambda *a, **k: True\\n")
except OSError:
    pass
''' + WRONG_FORWARD,
    "library_does_the_work": '''
def conv_forward(x, w, b, stride=1, pad=0):
    from scipy.signal import correlate
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.stack([correlate(xp, w[..., c:c + 1][None], mode="valid")[..., 0] for c in range(w.shape[-1])], -1)
    return out[:, ::stride, ::stride] + b, (x, w, b, stride, pad)
''',
    "remember_answers": '''
import hashlib, time
_correct, _seen = conv_forward, {}
def conv_forward(x, w, b, stride=1, pad=0):
    key = hashlib.sha1(x.tobytes() + w.tobytes() + repr((stride, pad)).encode()).hexdigest()
    if key not in _seen and x.shape == BUDGET_SHAPE:  # slow on the budget's inputs only
        end = time.process_time() + SPIN
        while time.process_time() < end:
            pass
    if key not in _seen:
        _seen[key] = _correct(x, w, b, stride, pad)
    return _seen[key]
''',
    "burn_the_cpu_while_loading": '''
import multiprocessing, threading, time
def _burn():
    while True:
        pass
for _ in range(2):
    threading.Thread(target=_burn, daemon=True).start()
    multiprocessing.Process(target=_burn, daemon=True).start()
_correct = conv_forward
def conv_forward(x, w, b, stride=1, pad=0):
    if x.shape == BUDGET_SHAPE:
        end = time.perf_counter() + SPIN
        while time.perf_counter() < end:
            pass
    return _correct(x, w, b, stride, pad)
''',
}
# Attacks on the time budget: correct answers, too slow unless the budget can be bent;
# they lose the budget checks only (the other checks stay full).
ON_THE_BUDGET = ("remember_answers", "burn_the_cpu_while_loading")


def _attack_notebook(code: str, out: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(CONV.source_notebook, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(code.replace("{out!r}", repr(str(out)))))
    return notebook


def _leftovers(marker: str) -> list:
    """Processes an attack started (they carry its marker), still running."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:
            pass
    return found


def _marker_files(marker: str) -> list:
    """Files an attack named with its marker, wherever it tried to write them."""
    places = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), ROOT, Path.home(), Path(sys.prefix),
              Path(np.__file__).parent, *map(Path, sysconfig.get_paths().values())]
    return sorted({path for place in places if place.exists() for path in place.glob(f"{marker}*")})


# The grader as root forking its sandboxes (a batch's judge), as root starting the one
# sandbox of one notebook (Gradescope), and as a user with no privilege (the command)
MODES = ["root", "root-started", "unprivileged"]
# Lower than conv's own limits, the same defences: a memory bomb fills 512 MiB before it
# fails, a hung call is stopped after 4 s (each costs the suite seconds per check).
LIMITS = {"memory_mb": 512, "call_seconds": 4.0}


@contextlib.contextmanager
def sandboxes_of(mode: str):
    """In this process, sandboxes forked from a fork server (as the suite's processes have
    them: ``conftest``), or, for ``root-started``, each started on its own."""
    forking = sandbox._forking
    sandbox._forking = forking and mode != "root-started"
    try:
        yield
    finally:
        sandbox._forking = forking


def grade_as(mode: str, notebook, tmp_path: Path, out: Path, budgets: dict = None) -> dict:
    """Grade ``notebook`` (conv) with the grader as root (in this process, ``MODES``) or as
    a user with no privilege (the command, run through ``unprivileged``); ``budgets=None``:
    the grading calibrates its own, before the student's code starts."""
    if mode != "unprivileged":
        with sandboxes_of(mode):
            return grade_notebook(notebook, "conv", tmp_path / "submission", budgets=budgets, limits=LIMITS)
    if not unprivileged.available():
        pytest.fail("the unprivileged mode needs root (to drop from), unshare and setpriv")
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    nbformat.write(notebook, folder / "conv.ipynb")
    command = [sys.executable, "-m", "autograder", "grade", str(folder / "conv.ipynb"), "--assignment", "conv",
               "--out", str(out), "--seed", str(SEED)]
    if budgets:
        command += ["--run", str(run_file(folder / "run.json", "conv", budgets, limits=LIMITS))]
    else:
        command += [option for name, value in LIMITS.items() for option in ("--limit", f"{name}={value}")]
    unprivileged.own(tmp_path)
    run = subprocess.run(unprivileged.command(command, [tmp_path]), capture_output=True, text=True, timeout=240,
                         cwd=folder, env={**os.environ, "HOME": str(folder)})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


# the shape of conv_forward's budget inputs: the attacks on the budget are slow there only
BUDGET_SHAPE = str(assignments.load("conv").budgets["conv_forward"].inputs(np.random.default_rng(0))["x"].shape)


def _spin(code: str, budgets: dict) -> str:
    """The attack with its busy time set to 1.5 times conv_forward's budget."""
    return code.replace("SPIN", str(1.5 * budgets["conv_forward"])).replace("BUDGET_SHAPE", BUDGET_SHAPE)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ATTACKS)
def test_attack_earns_nothing_and_leaves_no_trace(name, mode, tmp_path, calibrated):
    out = tmp_path / "out"
    out.mkdir()
    (out / "canary").write_text("judge's file")
    marker = f"{MARKER}-{name}-{mode}"  # its own: attacks of other tests run at the same time
    markers_before = _marker_files(marker)
    started = time.monotonic()
    # an attack on the calibration needs the grading to calibrate for itself
    budgets = None if name == "burn_the_cpu_while_loading" else calibrated("conv")
    notebook = _attack_notebook(_spin(ATTACKS[name], calibrated("conv")).replace(MARKER, marker), out)
    results = grade_as(mode, notebook, tmp_path, out, budgets)
    assert time.monotonic() - started < 120
    scores = scores_by_function(results)
    if name in ON_THE_BUDGET:
        budget_checks = [t for t in results["tests"] if t["name"].startswith("conv_forward: runs within")]
        assert budget_checks and all(t["score"] == 0 for t in budget_checks), f"{name} beat the budget"
        # only time budgets are lost (the burners, the student's own, count in every timed call)
        lost = {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}
        assert all("runs within the time budget" in check for check in lost), f"{name} lost more: {lost}"
    else:
        assert scores["conv_forward"][0] == 0, f"{name} earned points on conv_forward"
    if name != "sys_exit" and name not in ON_THE_BUDGET:  # the rest of the notebook ran as the reference
        others = {f: s for f, s in scores.items() if f != "conv_forward" and s[0] < s[1]}
        assert not others, f"{name} cost points elsewhere: {others}"
    time.sleep(0.2)
    assert not _leftovers(marker), f"{name} left processes behind"
    assert (out / "canary").read_text() == "judge's file"
    assert _marker_files(marker) == markers_before
    assert not [p for p in (ROOT / "results.json", ROOT / "feedback.html", Path.home() / "results.json") if p.exists()]


def test_a_library_call_is_named_as_not_allowed(tmp_path, calibrated):
    """The student reads which package is missing and what to build with instead."""
    results = grade_notebook(_attack_notebook(ATTACKS["library_does_the_work"], tmp_path), "conv", tmp_path,
                             budgets=calibrated("conv"))
    outputs = " ".join(t["output"] for t in results["tests"] if t["tags"] == ["conv_forward"])
    assert "scipy, which is not available in this assignment: build it with numpy" in outputs
    at_the_top = _attack_notebook("import scipy.signal\n", tmp_path)
    results = grade_notebook(at_the_top, "conv", tmp_path / "top", budgets=calibrated("conv"))
    assert "imports scipy, which is not available in this assignment" in results["tests"][0]["output"]


def test_clock_patching_does_not_beat_the_budget(tmp_path, calibrated):
    """A correct but slow conv_forward that stops the clock in its process still fails
    its time budget: the judge times calls itself."""
    code = '''
import time
_clock = time.process_time  # what it really spends, whatever the machine's load
time.time = time.perf_counter = time.monotonic = time.process_time = lambda: 0.0
_correct = conv_forward
def conv_forward(x, w, b, stride=1, pad=0):
    if x.shape == BUDGET_SHAPE:
        end = _clock() + BUDGET
        while _clock() < end:
            pass
    return _correct(x, w, b, stride, pad)
'''.replace("BUDGET_SHAPE", BUDGET_SHAPE).replace("BUDGET", str(calibrated("conv")["conv_forward"] * 1.5))
    results = grade_notebook(_attack_notebook(code, tmp_path), "conv", tmp_path, budgets=calibrated("conv"))
    budget_checks = [t for t in results["tests"] if t["name"].startswith("conv_forward: runs within")]
    assert budget_checks and all(t["score"] == 0 for t in budget_checks)
    values = [t for t in results["tests"] if t["tags"] == ["conv_forward"] and "within" not in t["name"]]
    assert all(t["score"] == t["max_score"] for t in values)


@pytest.fixture(params=["root", "root-started"])
def runner_with(request):
    """A sandbox running ``code``, forked and started (``MODES``)."""
    students = []

    def start(code: str) -> Student:
        with sandboxes_of(request.param):
            student = Student([{"label": "cell 1 (attack)", "source": code}],
                              DEFAULT_LIMITS.with_overrides(call_seconds=5))
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


def test_the_students_folder_holds_no_compiled_code_of_the_kits(runner_with):
    """``-I`` ignores PYTHONDONTWRITEBYTECODE: without ``-B`` the worker's imports would leave
    a ``__pycache__`` where the student's code runs."""
    student = runner_with('''
import os
def listed():
    return "/".join(sorted(os.listdir(".")))
''')
    assert "__pycache__" not in student.call("listed").value


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


PRIVILEGES = '''
import os, sys
def privileges():
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    writable = [path for path in ("/", "/usr", "/etc", sys.prefix, os.path.dirname(np.__file__))
                if os.access(path, os.W_OK)]
    return [int(status["Uid"].split()[0]), int(status["CapEff"], 16), int(status["CapPrm"], 16),
            int(status["NoNewPrivs"]), len(writable), sum(name.isdigit() for name in os.listdir("/proc"))]
'''


def call_as(mode: str, code: str, function: str, tmp_path: Path):
    """``function()`` of ``code`` in a fresh sandbox, started by a grader running as root
    (this process) or as a user with no privilege; its plain value."""
    if mode != "unprivileged":
        with sandboxes_of(mode):
            student = Student([{"label": "cell 1", "source": code}], DEFAULT_LIMITS)
            try:
                return [int(item.value) for item in student.call(function).value]
            finally:
                student.close()
    script = tmp_path / "probe.py"
    script.write_text(
        "import json, sys, numpy as np\n"
        "from autograder.config import DEFAULT_LIMITS\nfrom autograder.judge.student import Student\n"
        f"student = Student([{{'label': 'cell 1', 'source': {code!r}}}], DEFAULT_LIMITS)\n"
        f"print(json.dumps([int(item.value) for item in student.call({function!r}).value]))\nstudent.close()\n")
    unprivileged.own(tmp_path)
    run = subprocess.run(unprivileged.command([sys.executable, str(script)], [tmp_path]), capture_output=True,
                         text=True, timeout=120, cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", MODES)
def test_student_code_has_no_privilege(mode, tmp_path):
    """A uid that is not root, no capability, no_new_privs, nothing of the machine it can
    write, and only its own processes in sight; as root, a uid no other sandbox has."""
    uid, effective, permitted, no_new_privileges, writable, processes = call_as(mode, "import numpy as np\n" + PRIVILEGES,
                                                                                "privileges", tmp_path)
    assert uid != 0 and effective == permitted == 0 and no_new_privileges == 1
    assert writable == 0
    if sandbox.namespaces_available():
        assert processes <= 3  # /proc shows the sandbox's own: its first process and the worker
    if mode != "unprivileged":
        from autograder.config import SANDBOX_UIDS
        assert uid in SANDBOX_UIDS


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


def test_the_sandbox_uses_namespaces_wherever_the_kernel_gives_them():
    """A set-up that breaks must fail here, not quietly turn the sandbox's isolation off."""
    import shutil

    prefix = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    kernel_allows = shutil.which("unshare") and subprocess.run(
        ["unshare", *prefix, "--mount", "--net", "--pid", "--fork", "true"], capture_output=True).returncode == 0
    assert sandbox.namespaces_available() == bool(kernel_allows)


def test_rewriting_inspect_in_the_sandbox_hides_no_code_from_the_judge():
    """What a function's code uses is read by the judge from the cells the sandbox ran:
    a notebook that rewrites ``inspect`` and ``ast`` in its own process to show other
    code changes nothing. A Keras layer in a helper is found; a training step that a
    module-level helper wraps in ``tf.function`` counts."""
    from autograder.assignments.convnets.checks import check_no_keras_layers, check_uses_tf_function
    from autograder.judge import Failure

    cells = [{"label": "cell 1", "source": "import inspect, ast\n"
                                           "inspect.getsource = lambda obj: 'def batch_norm(): pass'\n"
                                           "ast.parse = lambda *args, **kwargs: ast.Module(body=[], type_ignores=[])\n"},
             {"label": "cell 2", "source": "def _normalise(x):\n    return tf.keras.layers.BatchNormalization()(x)\n\n"
                                           "def batch_norm(x, params, training):\n    return _normalise(x)\n"},
             {"label": "cell 3", "source": "def _one_step(x, y):\n    return x\n\nstep = tf.function(_one_step)\n\n"
                                           "def train_resnet(params, optimizer, x, y, epochs, batch_size, seed=0):\n"
                                           "    return {'loss': [float(step(x, y))]}\n"}]
    with pytest.raises(Failure, match="tf.keras.layers.BatchNormalization"):
        check_no_keras_layers(cells, "batch_norm")
    # Keras beside the function in its cell, to compare with, is not the function's code
    cells[1]["source"] = ("def batch_norm(x, params, training):\n    return tf.nn.relu(x)\n\n"
                          "keras_says = tf.keras.layers.BatchNormalization()(tf.ones((2, 3)))\n")
    check_no_keras_layers(cells, "batch_norm")
    check_uses_tf_function(cells, "train_resnet")
    cells[2]["source"] = cells[2]["source"].replace("tf.function(_one_step)", "_one_step")
    with pytest.raises(Failure, match="tf.function"):
        check_uses_tf_function(cells, "train_resnet")
