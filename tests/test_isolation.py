"""Gradings at the same moment on one machine never disturb each other.

A batch of honest submissions beside hostile ones (threads and processes up to their
cap, a working folder filled up, CPU burners started while loading, a hang) gives every
honest submission the score it gets alone, with ``--jobs 2`` and ``--jobs 4``; and the
same submission graded again and again on a loaded machine gets the same score.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, grade_notebook

from autograder import assignments, cli
from autograder.assignments.conv.mutants import MUTANTS
from autograder.mutants import Alternative

CONV = assignments.load("conv")
SOURCE = nbformat.read(CONV.source_notebook, as_version=4)
LIMITS = ["--limit", "notebook_seconds=6", "--limit", "call_seconds=4"]


def _with_cell(code: str) -> nbformat.NotebookNode:
    return Alternative("student cell", code).notebook(SOURCE)


# Graded in the order of their names: the hostile ones start first, and hold what they
# took while the honest ones start beside and after them.
HONEST = {"b-good": SOURCE, "c-mutant": MUTANTS[0].notebook(SOURCE), "d-good": SOURCE, "g-good": SOURCE}
HOSTILE = {
    "a-tasks": _with_cell('''
import os, threading, time
threading.stack_size(64 * 1024)
def _wait():
    time.sleep(3600)
def _take_every_free_slot():
    while True:
        try:
            threading.Thread(target=_wait, daemon=True).start()
        except RuntimeError:
            time.sleep(0.01)
threading.Thread(target=_take_every_free_slot, daemon=True).start()
for _ in range(100):
    try:
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
    except OSError:
        pass
time.sleep(4)  # holding them while the others start
'''),
    "e-filler": _with_cell('''
import os
for folder in (".", "/tmp"):
    try:
        for n in range(10_000):
            with open(os.path.join(folder, "fill-%d" % n), "wb") as file:
                file.write(b"x" * 2**24)
    except OSError:
        pass
'''),
    "f-burner": _with_cell('''
import multiprocessing, threading
def _burn():
    while True:
        pass
for _ in range(3):
    threading.Thread(target=_burn, daemon=True).start()
    multiprocessing.Process(target=_burn, daemon=True).start()
'''),
    "h-hang": _with_cell("while True:\n    pass"),
}


def _scores(out: Path, students) -> dict:
    return {s: json.loads((out / s / "conv" / "results.json").read_text())["score"] for s in students}


def _write(folder: Path, notebooks: dict) -> Path:
    for student, notebook in notebooks.items():
        path = folder / student / "conv" / "conv.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    return folder


@pytest.mark.slow
def test_honest_submissions_keep_their_scores_beside_hostile_ones(tmp_path):
    alone = _write(tmp_path / "alone", HONEST)
    assert cli.main(["grade", str(alone), "--out", str(tmp_path / "alone-out"), "--seed", "5", *LIMITS]) == 0
    expected = _scores(tmp_path / "alone-out", HONEST)
    assert expected["b-good"] == pytest.approx(12, abs=1e-3) and 0 < expected["c-mutant"] < 12
    crowded = _write(tmp_path / "crowded", {**HONEST, **HOSTILE})
    for jobs in ("2", "4"):
        out = tmp_path / f"out-{jobs}"
        assert cli.main(["grade", str(crowded), "--out", str(out), "--seed", "5", "--jobs", jobs, *LIMITS]) == 0
        assert _scores(out, HONEST) == expected, f"--jobs {jobs}"
        hostile = _scores(out, HOSTILE)
        assert hostile["h-hang"] == 0 and hostile["e-filler"] == pytest.approx(12, abs=1e-3), hostile


BURNER = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass\n"


@pytest.mark.slow
def test_the_same_seed_gives_the_same_score_on_a_loaded_machine(tmp_path):
    """Five gradings, each calibrating its own budgets, while CPU burners (two per core)
    run beside the grader: one score."""
    notebook = ROOT / "examples" / "submitted" / "ben" / "conv" / "conv.ipynb"
    burners = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(2 * (os.cpu_count() or 1))]
    try:
        scores = [grade_notebook(notebook, "conv", tmp_path / str(run), seed=11)["score"] for run in range(5)]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert len(set(scores)) == 1, scores


# A sandbox started ahead (while the judge imports, reads the notebook or writes the
# previous student's results) is a fresh one, and goes to a grading it fits, or to none.


def test_a_sandbox_started_ahead_goes_only_to_a_grading_it_fits(tmp_path):
    from autograder.runner import session

    kind = (CONV.limits, CONV.driver, CONV.imports)
    session.start_ahead(CONV.limits, [tmp_path], CONV.driver, CONV.imports)
    ahead = session._ahead[0].take()
    taken = session.started_runner(CONV.limits, [tmp_path / "ann"], *kind[1:])  # inside a hidden folder: hidden
    assert taken is ahead
    taken.close()
    for hidden, limits in (([tmp_path], CONV.limits.with_overrides(call_seconds=3)),  # other limits
                           ([tmp_path.parent], CONV.limits)):  # a folder the sandbox started ahead shows
        session.start_ahead(CONV.limits, [tmp_path], *kind[1:])
        ahead = session._ahead[0].take()
        taken = session.started_runner(limits, hidden, *kind[1:])
        assert taken is not ahead and not ahead.alive and ahead.box.process.poll() is not None
        assert taken.alive
        taken.close()
    assert not session._ahead


def test_in_a_series_each_student_gets_a_sandbox_no_one_used(monkeypatch):
    from autograder.judge import student
    from autograder.runner import session

    code = "import builtins\ndef seen():\n    return 'left behind' if hasattr(builtins, 'LEFT_BEHIND') else 'clean'\n"
    for early in (False, True):
        monkeypatch.setattr(student, "_series", [early])
        first = student.Student([{"label": "cell 1", "source": code + "builtins.LEFT_BEHIND = 1\n"}], CONV.limits)
        # early: the next student's sandbox starts once this notebook has run, while its checks run
        assert bool(session._ahead) == early
        ahead = session._ahead[0] if early else None
        assert first.call("seen").value == "left behind"
        first.close()  # else: the next student's sandbox starts now
        assert session._ahead and (not early or session._ahead[0] is ahead)
        second = student.Student([{"label": "cell 1", "source": code}], CONV.limits)
        assert bool(session._ahead) == early  # it took the one started ahead (and, early, started the next)
        assert second.call("seen").value == "clean"
        second.close()
        session.discard_ahead()
        assert not session._ahead


@pytest.fixture
def started_boxes(monkeypatch):
    """Every sandbox started from now on, in order."""
    from autograder.runner import sandbox

    boxes = []
    real_start = sandbox.start
    monkeypatch.setattr(sandbox, "start", lambda *args: boxes.append(real_start(*args)) or boxes[-1])
    return boxes


def test_a_sandbox_started_ahead_is_discarded_without_waiting_for_its_start(tmp_path, started_boxes):
    """The end of a batch discards the sandbox each judge started for a next student: it
    stops at once, though its driver's imports (TensorFlow's, seconds) are not done."""
    from autograder.runner import session

    driver = tmp_path / "driver.py"
    driver.write_text("import time\ntime.sleep(60)\n")  # imports that take a minute
    session.start_ahead(CONV.limits, [tmp_path], driver, CONV.imports)
    time.sleep(1)  # the worker is importing its driver
    started = time.monotonic()
    session.discard_ahead()
    assert time.monotonic() - started < 5
    # stopped, and no other start tried
    assert len(started_boxes) == 1 and started_boxes[0].process.poll() is not None


@pytest.mark.parametrize("forking", [False, True])
def test_start_ahead_until_launched_returns_once_the_sandboxs_process_exists(forking, tmp_path, started_boxes,
                                                                            monkeypatch):
    """A caller about to import TensorFlow goes on only once the sandbox's process is
    made (the imports' hold on the GIL would otherwise hold the start back), or, where
    sandboxes are forked, the fork server's; a start that fails holds no one up."""
    from autograder.runner import sandbox, session

    monkeypatch.setattr(sandbox, "_forking", forking)
    driver = tmp_path / "driver.py"
    driver.write_text("import time\ntime.sleep(60)\n")  # never ready while the test looks
    started = time.monotonic()
    session.start_ahead(CONV.limits, [tmp_path], driver, CONV.imports, until_launched=True)
    try:
        assert time.monotonic() - started < session.LAUNCH_SECONDS
        if forking:  # the server imports the driver: no sandbox yet, and none started meanwhile
            server = sandbox._servers[(str(driver), tuple(CONV.imports))]
            assert not started_boxes and server.process.poll() is None and server.state == "starting"
        else:
            assert len(started_boxes) == 1 and started_boxes[0].process.poll() is None
    finally:
        session.discard_ahead()

    def cannot_start(*args):
        raise OSError("no room for another sandbox")

    monkeypatch.setattr(sandbox, "start", cannot_start)
    started = time.monotonic()
    session.start_ahead(CONV.limits, [tmp_path], driver, CONV.imports, until_launched=True)
    assert time.monotonic() - started < session.LAUNCH_SECONDS
    with pytest.raises(session.SandboxUnavailable, match="no room"):
        session.started_runner(CONV.limits, [tmp_path], driver, CONV.imports)


# The student graded before another, in a slot that starts the next sandbox early: it
# lives while the next student's sandbox starts, and reaches for it.
REACH_FOR_THE_NEXT = _with_cell('''
import os, signal, threading, time

def _reach():
    while True:  # for as long as this sandbox lives: the next one starts meanwhile
        for folder in ("/tmp", "/dev/shm", "/var/tmp", os.path.expanduser("~")):
            try:
                with open(os.path.join(folder, "numpy.py"), "w") as file:
                    file.write("raise SystemExit('planted')")
            except OSError:
                pass
        for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
            try:
                os.kill(int(pid), signal.SIGSTOP)  # every process it may signal, but its own
            except OSError:
                pass
        time.sleep(0.05)

threading.Thread(target=_reach, daemon=True).start()
''')


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["root", "unprivileged"])
def test_the_sandbox_started_early_for_the_next_student_is_out_of_reach(mode, tmp_path):
    """``--jobs 1`` on two cores starts the next student's sandbox while a student's
    checks run: a student who signals every process and plants files cannot reach it,
    as root and as a user with no privilege."""
    import unprivileged

    from autograder.course.batch import a_core_to_spare

    assert a_core_to_spare(1), "the early start needs two cores"
    submitted = _write(tmp_path / "submitted", {"a-hostile": REACH_FOR_THE_NEXT, "b-good": SOURCE, "c-good": SOURCE})
    out = tmp_path / "out"
    command = ["grade", str(submitted), "--out", str(out), "--seed", "5", "--jobs", "1", *LIMITS]
    if mode == "root":
        assert cli.main(command) == 0
    else:
        if not unprivileged.available():
            pytest.fail("the unprivileged mode needs root (to drop from), unshare and setpriv")
        unprivileged.own(tmp_path)
        run = subprocess.run(unprivileged.command([sys.executable, "-m", "autograder", *command], [tmp_path]),
                             capture_output=True, text=True, timeout=300, cwd=tmp_path,
                             env={**os.environ, "HOME": str(tmp_path)})
        assert run.returncode == 0, run.stderr[-3000:]
    scores = _scores(out, ["b-good", "c-good"])
    assert scores == {"b-good": pytest.approx(12, abs=1e-3), "c-good": pytest.approx(12, abs=1e-3)}, scores


# What a student's code sees of its sandbox: its uid, processes, capabilities, folder,
# whether it can trace its namespace's first process and whether a hidden folder shows.
SANDBOX_PROBE = r'''
import ctypes, os
def probe(hidden):
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    libc = ctypes.CDLL(None, use_errno=True)
    traced = libc.ptrace(16, 1, None, None) == 0  # PTRACE_ATTACH
    listed = {folder: sorted(os.listdir(folder)) for folder in (".", "/tmp")}
    for folder in (".", "/tmp"):
        try:
            open(os.path.join(folder, "left-behind"), "w").close()
        except OSError:  # a Python installed under /tmp keeps /tmp its own, read-only
            pass
    return {"uid": os.getuid(), "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "capabilities": [int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
            "no_new_privs": int(status["NoNewPrivs"]), "traced": traced, "listed": listed,
            "hidden": os.path.exists(os.path.join(hidden, "secret"))}
'''

# Run in its own process (as root, or through ``unprivileged``): sandboxes forked from a
# fork server, two at a time, after one that left files behind; prints what each saw.
FORKED_SANDBOXES = r'''
import json, sys, time
from autograder import assignments
from autograder.judge.student import fork_sandboxes
from autograder.runner import sandbox, session
from autograder.runner.wire import plain
hidden, probe = sys.argv[1], open(sys.argv[2]).read()
conv = assignments.load("conv")
fork_sandboxes()
deadline = time.monotonic() + 120
while sandbox._server(None, tuple(conv.imports)) is None and time.monotonic() < deadline:
    time.sleep(0.1)
seen = []
first = session.Runner(conv.limits, [hidden], None, tuple(conv.imports))
first.load([{"label": "cell", "source": probe}])
first.call("probe", (hidden,), {}, 10)
first.close()  # leaving its files behind
pair = [session.Runner(conv.limits, [hidden], None, tuple(conv.imports)) for _ in range(2)]
for runner in pair:
    runner.load([{"label": "cell", "source": probe}])
    seen.append({**plain(runner.call("probe", (hidden,), {}, 10).value), "forked": runner.box.workdir is None})
for runner in pair:
    runner.close()
print(json.dumps(seen))
'''


@pytest.mark.parametrize("mode", ["root", "unprivileged"])
def test_a_sandbox_forked_from_the_fork_server_is_a_sandbox_of_its_own(mode, tmp_path):
    """A process that grades one notebook after another forks its sandboxes from a server
    that imported the worker's packages once. Each is still its own: its own uid (as root)
    or user namespace, its own processes, no capability and no new privilege, a folder no
    one used, no way to trace its first process, the grading's hidden paths hidden."""
    import unprivileged

    hidden = tmp_path / "results"
    hidden.mkdir()
    (hidden / "secret").write_text("the judge's")
    (tmp_path / "probe.py").write_text(SANDBOX_PROBE)
    (tmp_path / "forked.py").write_text(FORKED_SANDBOXES)
    command = [sys.executable, str(tmp_path / "forked.py"), str(hidden), str(tmp_path / "probe.py")]
    if mode == "root":
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    else:
        if not unprivileged.available():
            pytest.fail("the unprivileged mode needs root (to drop from), unshare and setpriv")
        unprivileged.own(tmp_path)
        run = subprocess.run(unprivileged.command(command, [tmp_path]), capture_output=True, text=True, timeout=300,
                             cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.splitlines()[-1])
    for box in seen:
        assert box["forked"]
        assert box["capabilities"] == [0, 0, 0, 0, 0] and box["no_new_privs"] == 1
        assert box["traced"] is False and box["hidden"] is False
        assert set(box["processes"]) <= {1, 2}, box["processes"]  # its first process and the worker
        assert "left-behind" not in box["listed"]["."] + box["listed"]["/tmp"]
    if mode == "root":
        assert seen[0]["uid"] != seen[1]["uid"] and 0 not in (seen[0]["uid"], seen[1]["uid"])
    else:
        assert seen[0]["uid"] == seen[1]["uid"] == 1000  # each in a user namespace of its own


def test_a_sandbox_whose_fork_fails_is_started_instead_and_the_kind_forks_no_more(monkeypatch):
    """Where forks fail (here: a limit the kernel refuses, as a machine might refuse any
    step of the fork's set-up), the grading is not lost: the sandbox is started the usual
    way, and so is every later one of its kind."""
    import resource

    from autograder.runner import sandbox, session

    monkeypatch.setattr(sandbox, "_forking", True)
    monkeypatch.setattr(sandbox, "_servers", {})
    real_fork = sandbox._ForkServer.fork

    def refused_limit(server, plan, descriptors):
        plan["rlimits"] = [[resource.RLIMIT_NOFILE, 64, 32]]  # soft above hard: setrlimit refuses it
        return real_fork(server, plan, descriptors)

    monkeypatch.setattr(sandbox._ForkServer, "fork", refused_limit)
    try:
        runners = [session.Runner(CONV.limits, (), None, tuple(CONV.imports)) for _ in range(2)]
        server = sandbox._servers[(None, tuple(CONV.imports))]
        assert server.state == "failed"
        for runner in runners:
            assert runner.alive and runner.box.workdir is not None  # started, not forked
            assert runner.load([{"label": "cell", "source": "def three():\n    return 3\n"}]).ok
            assert runner.call("three", (), {}, 10).value.value == 3
            runner.close()
    finally:
        sandbox.stop_fork_servers()
