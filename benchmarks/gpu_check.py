"""``make gpu-check``: grade the examples of the assignment whose student code uses
TensorFlow (found by looking) on the GPU and on the CPU, on a
machine with an NVIDIA GPU and requirements-gpu.lock installed, and print a table:
student, device, budget of ``fit`` (results.json), wall time, score, and the device
TensorFlow used inside the sandbox.

That last column comes from a probe: a one-cell notebook whose ``probe()`` lists the
GPUs TensorFlow sees and places one matmul, run by the judge's own ``Student`` in a
sandbox under the same assignment limits and profile as the grading (``Limits.gpu`` for
the GPU rows). Exits non-zero when TensorFlow on the host sees no GPU (``--cpu-only``
grades the CPU rows alone, anywhere). Sized to finish well under 8 minutes: three
examples, each graded once per device.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def _tensorflow_assignment() -> str:
    """The assignment whose student code imports TensorFlow: the GPU budgets are its."""
    from autograder import assignments

    return next(name for name in assignments.names() if "tensorflow" in assignments.load(name).imports)


ASSIGNMENT = _tensorflow_assignment()
PROBE = '''def probe():
    import tensorflow as tf
    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    placed = tf.matmul(tf.ones((2, 2)), tf.ones((2, 2))).device
    return "GPUs=" + (",".join(gpus) or "none") + " matmul=" + placed.rsplit("/", 1)[-1]
'''


def host_gpus() -> str:
    """The GPUs TensorFlow sees on the host (outside any sandbox), or why none."""
    probe = subprocess.run([sys.executable, "-c", "import tensorflow as tf; "
                            "print(len(tf.config.list_physical_devices('GPU')))"],
                           capture_output=True, text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""})
    count = probe.stdout.strip()
    if probe.returncode != 0:
        return "TensorFlow does not import: " + probe.stderr.strip()[-300:]
    if count in ("", "0"):
        return "TensorFlow sees no GPU here (is requirements-gpu.lock installed, `make GPU=1`, and a driver loaded?)"
    return ""


def sandbox_device(device: str) -> str:
    """What ``probe()`` says inside a sandbox of the assignment's limits on ``device``."""
    from autograder import assignments, notebook
    from autograder.judge.student import Failure, SandboxUnavailable, Student

    task = assignments.load(ASSIGNMENT)
    cell = nbformat.v4.new_code_cell(PROBE)
    probe_notebook = nbformat.v4.new_notebook(cells=[cell])
    cells = notebook.program(probe_notebook, probe_notebook).cells
    try:
        student = Student(cells, task.limits.with_overrides(gpu=device == "gpu"), imports=task.imports)
    except SandboxUnavailable as error:
        return f"no sandbox: {error}"
    try:
        if not student.first_load.ok:
            return f"probe did not load: {student.first_load}"
        return str(student.call("probe", timeout=120).value)
    except Failure as error:
        return f"probe failed: {str(error)[:200]}"
    finally:
        student.close()


def grade(notebook: Path, device: str, out: Path) -> dict:
    """Grade one example on ``device``: budget, wall time, score."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", ASSIGNMENT,
                           "--out", str(out), "--device", device], capture_output=True, text=True, timeout=420)
    seconds = time.monotonic() - started
    found = sorted(out.rglob("results.json"))
    if not found:
        return {"budget": "-", "seconds": seconds, "score": f"no results (exit {done.returncode})",
                "why": (done.stderr or done.stdout).strip()[-300:]}
    results = json.loads(found[0].read_text())
    budget = results.get("extra_data", {}).get("budgets_seconds", {}).get("fit", "-")
    score = f"{results.get('score', '?')}/{results.get('max_score', '?')}"
    return {"budget": budget, "seconds": seconds, "score": score, "why": ""}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--cpu-only", action="store_true", help="grade the CPU rows only (a machine without a GPU)")
    parser.add_argument("--students", nargs="*", help="example students to grade (default: all)")
    args = parser.parse_args(argv)
    devices = ["cpu"] if args.cpu_only else ["gpu", "cpu"]
    if not args.cpu_only:
        why = host_gpus()
        if why:
            print(f"gpu-check: {why}", file=sys.stderr)
            return 2
    notebooks = sorted(ROOT.glob(f"examples/submitted/*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))
    if args.students:
        notebooks = [path for path in notebooks if path.parts[-3] in args.students]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as folder:
        for device in devices:
            inside = sandbox_device(device)
            for path in notebooks:
                student = path.parts[-3]
                row = grade(path, device, Path(folder) / device / student)
                rows.append((student, device, row, inside))
                print(f"  graded {student} on {device} in {row['seconds']:.0f} s", file=sys.stderr, flush=True)
    print(f"{'student':<8} {'device':<6} {'budget fit (s)':>14} {'time (s)':>9} {'score':>12}  TensorFlow in the sandbox")
    for student, device, row, inside in rows:
        budget = f"{row['budget']:.1f}" if isinstance(row["budget"], (int, float)) else str(row["budget"])
        print(f"{student:<8} {device:<6} {budget:>14} {row['seconds']:>9.1f} {row['score']:>12}  {inside}")
        if row["why"]:
            print(f"         {row['why']}")
    gpu_rows = [inside for _, device, _, inside in rows if device == "gpu"]
    if gpu_rows and "GPUs=none" in gpu_rows[0]:
        print("gpu-check: the sandbox's TensorFlow sees no GPU", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
