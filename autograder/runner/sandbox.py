"""Start the worker in a sandbox and stop it, with everything it started.

Where the OS provides namespaces (``unshare``), the student's code sees, and is:

- **a root of its own**, built from an empty one: the system's programs and libraries,
  this Python and the packages the assignment allows (``packages.py``), all read-only,
  and one writable folder, ``/sandbox`` (also ``/tmp``), in memory and of bounded size.
  The course, the submissions, the judge's results and logs, other Python packages and
  the machine's shared temporary folders are simply not there.
- **an identity of its own, with no privilege**: as root, a uid leased for this sandbox
  alone (``identity.py``); not root, uid 1000 of a user namespace of its own, nested in
  the one that built the root, so that no mount of the root can be undone. Either way no
  capabilities and ``no_new_privs``.
- **its own PID namespace** (killing its first process ends everything it started) and
  **network namespace** (its own loopback, nothing else).
- **resource limits**: address space, CPU, file size, open files, core dumps, and
  processes (a pids cgroup where one can be made, and ``RLIMIT_NPROC``, which the kernel
  counts per uid and user namespace: per sandbox either way).

Without namespaces only the limits and, as root, the leased uid remain; the results say
which isolation was missing.

**Fork servers** (:func:`fork_sandboxes`, for a process that grades one notebook after
another): a sandbox is started as above, or forked from the fork server of its kind
(``forkserver.py``: the same root, the worker's packages imported once). A forked sandbox
gets all the isolation above, made by the fork, with no exec: a fresh ``/sandbox`` and
``/proc``, PID, mount and network namespaces, the leased uid or a user namespace of its
own, no capability, the same limits. Where its server fails, or none can run (no
namespaces, the GPU profile), a sandbox is started.

**The GPU profile** (``Limits.gpu``, a run graded on the ``gpu`` device; ``gpu_profile``):
CUDA reserves far more address space than any ``RLIMIT_AS`` allows, so there is none;
memory is bounded instead by the sandbox's memory cgroup where one was made, else by a
watchdog thread of the judge that ends the sandbox when its processes' resident memory
passes ``memory_mb``. The NVIDIA device files are bound into the sandbox's root, the
variables CUDA needs pass the allow-list, and the NVIDIA runtime wheels are visible
beside TensorFlow. A CPU run is exactly as without it.
"""
import atexit
import functools
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil

from autograder.config import (ENVIRONMENT_ALLOW_LIST, GPU_ENVIRONMENT_ALLOW_LIST, GPU_RUNNER_ENVIRONMENT,
                               RUNNER_ENVIRONMENT, Limits)
from autograder.processes import kill_tree
from autograder.runner import identity as identities
from autograder.runner import packages

HERE = Path(__file__).resolve().parent
# What a sandbox can have (messages' [sandbox] section says each in words).
ISOLATION = ("user", "network", "processes", "hidden")
HOME = "/sandbox"  # the working folder, as the student's code sees it in its own root
INNER_UID = 1000  # the student's uid in its own user namespace, when the judge is not root
# What the worker needs of the machine, besides this Python: read-only, at the same paths.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Where other Pythons keep packages: hidden, so that a student cannot add them to sys.path.
OTHER_PACKAGE_FOLDERS = ("/usr/lib/python3*/dist-packages", "/usr/lib/python3*/site-packages",
                         "/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
                         "/usr/share/pyshared")
TOOLS = ("unshare", "prlimit", "setpriv")
# The device files CUDA opens (GPU profile only), relative to /dev: the GPUs, the control
# and unified-memory devices, and MIG's capabilities where the driver has them.
GPU_DEVICE_FILES = ("nvidia[0-9]*", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset",
                    "nvidia-caps/*")
WATCHDOG_SECONDS = 0.25  # how often the GPU profile's watchdog reads the sandbox's memory


@dataclass
class Sandbox:
    process: subprocess.Popen
    workdir: Path
    isolation: list  # what the OS provided: keys of ISOLATION
    identity: identities.Identity = None
    errors: object = None  # what the sandbox's set-up wrote to stderr (a file)
    memory_bound: str = "rlimit"  # what bounds its memory: "rlimit" (address space), "cgroup" or "watchdog"
    server: object = None  # the fork server it was forked from, if it was

    def start_failed(self) -> None:
        """Its worker never said it was ready: where it was forked, its kind's sandboxes
        are started from now on (a fork that fails here would fail for every student)."""
        if self.server:
            self.server.stop()

    def stop(self) -> None:
        """Kill the worker and every process it started, then remove its folder."""
        _kill_tree(self.process)
        if self.workdir:  # (a sandbox forked from a fork server has no folder here)
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.identity:
            self.identity.release()

    def cpu_seconds(self) -> float:
        """CPU time used so far by every process of the sandbox: the worker, its threads,
        what it started, and what those started and ended (a parent's reaped children).
        Other processes on the machine do not count, so this does not depend on load."""
        try:
            top = psutil.Process(self.process.pid)
            processes = [top, *top.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system + times.children_user + times.children_system
        return total

    def errors_tail(self, limit: int = 2000) -> str:
        """The end of what the set-up or the worker's start wrote to stderr (for the
        instructor's log: a student's output goes to the worker's own log)."""
        if self.errors is None:
            return ""
        try:
            self.errors.seek(0, os.SEEK_END)
            size = self.errors.tell()
            self.errors.seek(max(0, size - limit))
            return self.errors.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""


def start(limits: Limits, hidden=(), driver: Path = None, imports=(), cancelled: threading.Event = None,
          launched: threading.Event = None) -> Sandbox:
    """Start the worker. ``hidden``: paths the student's code must not see even where a
    folder it needs holds them; ``driver``: the assignment's scenario driver, copied in
    as ``driver.py``; ``imports``: the modules the assignment allows (and what they need).
    In a process that forks its sandboxes (:func:`fork_sandboxes`), the worker is forked
    from the kind's fork server, once it is ready (a start ``cancelled`` meanwhile waits
    no longer; ``launched`` is set once the server's process exists)."""
    if _forking and not limits.gpu and namespaces_available():
        box = _forked(limits, hidden, driver, tuple(imports), cancelled, launched)
        if box:
            return box
    workdir = _worker_folder(driver)
    identity = identities.lease(limits.processes) if os.geteuid() == 0 else None
    namespaced = namespaces_available()
    home = HOME if namespaced else str(workdir)
    env, device_files, imports = gpu_profile(limits, _environment(home), imports)
    command = [*_drop_command(identity, namespaced), *_limit_command(limits),
               sys.executable, "-I", "-S", "-B", f"{home}/worker.py", *packages.site_dirs()]
    isolation = ["user"] if identity or namespaced else []
    if namespaced:
        command = _setup_command(command, limits.folder_mb, identity, _hide(hidden), imports, device_files)
        isolation += ["network", "processes", "hidden"]
    elif identity:
        os.chown(workdir, identity.uid, identity.gid)
    memory_bound = _bound_memory(limits, identity) if limits.gpu else "rlimit"
    errors = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, cwd=workdir,
                                   env=env, start_new_session=True, umask=0o077,
                                   preexec_fn=None if shutil.which("prlimit") else functools.partial(_enter_limits, limits))
    except OSError:
        shutil.rmtree(workdir, ignore_errors=True)
        if identity:
            identity.release()
        errors.close()
        raise
    if memory_bound == "watchdog":
        threading.Thread(target=_watch_memory, args=(process, limits.memory_mb), daemon=True,
                         name=f"autograder-memory-{process.pid}").start()
    return Sandbox(process, workdir, isolation, identity, errors, memory_bound)


def _worker_folder(driver: Path = None, *more: str) -> Path:
    """A new folder holding the worker's files (and ``more`` of this folder's), the
    driver as ``driver.py``: what the sandbox's root shows as ``/sandbox``."""
    workdir = Path(tempfile.mkdtemp(prefix="autograder-run-"))
    sources = [(HERE / name, name) for name in ("worker.py", "wire.py", "lazy.py", *more)]
    for source, name in [*sources, (driver, "driver.py")]:
        if source:
            shutil.copyfile(source, workdir / name)
            (workdir / name).chmod(0o644)  # readable by the sandbox's uid, whatever the checkout's modes
    return workdir


def _environment(home: str) -> dict:
    """The worker's environment: the allow-list's variables, the runner's settings."""
    env = {key: os.environ[key] for key in ENVIRONMENT_ALLOW_LIST if key in os.environ}
    env.update(RUNNER_ENVIRONMENT, HOME=home, MPLCONFIGDIR=_matplotlib_cache() or home, TMPDIR=home)
    return env


# Fork servers ---------------------------------------------------------------------------

_forking = False  # whether this process forks its sandboxes from fork servers
FORK_SERVER_VARIABLE = "AUTOGRADER_FORK_SERVER"  # forkserver.CONTROL_VARIABLE: its socket's descriptor
_servers: dict = {}  # (driver, imports): _ForkServer
_servers_lock = threading.Lock()
SERVER_SECONDS = 120.0  # from starting a fork server to its word that it imported what a worker does
MOST_SERVERS = 4  # one a kind of sandbox: an assignment's driver and packages


def fork_sandboxes() -> None:
    """From now on, this process forks each sandbox from a fork server (``forkserver.py``),
    one a kind, which imported the worker's packages (TensorFlow: seconds) once: for a
    process that grades one notebook after another. Where a kind's server or its forks
    fail, or none can run (no namespaces, the GPU profile), sandboxes start as before."""
    global _forking
    _forking = True


class _ForkServer:
    """A running ``forkserver.py``, in a root built as a worker's (minus the judge's hidden
    paths, which each sandbox hides in its own), reached through a socket pair."""

    def __init__(self, driver: Path, imports: tuple):
        self.state = "starting"
        self.settled = threading.Event()  # set once it is ready, or failed
        self.lock = threading.Lock()  # one request at a time on the socket
        self.control, theirs = socket.socketpair()
        workdir = _worker_folder(driver, "forkserver.py", "rootfs.py")
        env = _environment(HOME)
        env[FORK_SERVER_VARIABLE] = str(theirs.fileno())
        command = [sys.executable, "-I", "-S", "-B", f"{HOME}/forkserver.py", *packages.site_dirs()]
        command = _setup_command(command, 1, None, _hide(()), imports, pid_namespace=False)
        self.errors = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=self.errors, cwd=workdir, env=env, start_new_session=True,
                                            pass_fds=(theirs.fileno(),))
        except OSError:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        finally:
            theirs.close()
        threading.Thread(target=self._await_ready, args=(workdir,), daemon=True, name="autograder-fork-server").start()

    def _await_ready(self, workdir: Path) -> None:
        try:
            word = json.loads(self.control.recv(65536)) if _readable(self.control, SERVER_SECONDS) else {}
        except (OSError, ValueError):
            word = {}
        shutil.rmtree(workdir, ignore_errors=True)  # its root holds its own copy by now
        self.state = "ready" if isinstance(word, dict) and word.get("ready") is True else "failed"
        self.settled.set()

    def fork(self, plan: dict, descriptors: list) -> tuple:
        """``(pid, pidfd)`` of the new sandbox's first process; ``OSError`` when the server
        did not answer as it should (it then serves no more)."""
        with self.lock:
            try:
                socket.send_fds(self.control, [json.dumps(plan).encode()], descriptors)
                if not _readable(self.control, FORK_SECONDS):
                    raise OSError("the fork server did not answer")
                message, pidfds, _, _ = socket.recv_fds(self.control, 65536, 1)
                reply = json.loads(message) if message else None
                if not (isinstance(reply, dict) and isinstance(reply.get("pid"), int) and len(pidfds) == 1):
                    for descriptor in pidfds:
                        os.close(descriptor)
                    raise OSError("the fork server's answer is not a sandbox")
                return reply["pid"], pidfds[0]
            except (OSError, ValueError) as error:
                self.state = "failed"
                raise OSError(f"fork server: {error}") from error

    def stop(self) -> None:
        """End the server (its sandboxes live on: they are not in its namespaces)."""
        if self.control.fileno() < 0:
            return  # stopped already
        self.state = "failed"
        self.settled.set()
        self.control.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # still importing: its process group (each sandbox has its own)
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.process.wait()
        self.errors.close()


FORK_SECONDS = 30.0  # the longest a fork server may take to answer a request
CANCEL_POLL_SECONDS = 0.05  # how soon a start cancelled while its server imports stops waiting


def _readable(source, seconds: float) -> bool:
    """Whether ``source`` (a socket, a descriptor) has something to read within ``seconds``."""
    waiting = select.poll()
    waiting.register(source, select.POLLIN)
    return bool(waiting.poll(None if seconds is None else seconds * 1000))


def _server(driver, imports: tuple):
    """The kind's fork server, started now where there is none; None where none could be
    started. One that failed is kept, failed: its kind's sandboxes are started instead."""
    kind = (str(driver) if driver else None, imports)
    with _servers_lock:
        server = _servers.get(kind)
        if server is None:
            while len(_servers) >= MOST_SERVERS:  # the oldest kind makes way
                _servers.pop(next(iter(_servers))).stop()
            try:
                _servers[kind] = server = _ForkServer(driver, imports)
            except OSError:
                return None
    return server


@atexit.register
def stop_fork_servers() -> None:
    with _servers_lock:
        while _servers:
            _servers.popitem()[1].stop()


def _forked(limits: Limits, hidden, driver, imports: tuple, cancelled: threading.Event = None,
            launched: threading.Event = None):
    """A sandbox forked from the kind's fork server, or None (it failed, or the start was
    cancelled while the server was still importing)."""
    server = _server(driver, imports)
    if server is None:
        return None
    if launched is not None:
        launched.set()  # its process exists: a caller waiting for that goes on to its own imports
    while not server.settled.wait(CANCEL_POLL_SECONDS):
        if cancelled is not None and cancelled.is_set():
            return None
    if server.state != "ready":
        return None
    identity = identities.lease(limits.processes) if os.geteuid() == 0 else None
    uid, gid = (identity.uid, identity.gid) if identity else (0, 0)
    to_worker, from_worker = os.pipe(), os.pipe()
    errors = tempfile.TemporaryFile()
    cgroups = []
    plan = {"uid": uid, "gid": gid, "root": identity is not None, "folder_kb": limits.folder_mb * 1024,
            "hidden": _hide(hidden), "rlimits": [[kind, *values] for kind, values in _rlimits(limits).items()]}
    try:
        cgroups = [os.open(f"{folder}/cgroup.procs", os.O_WRONLY) for folder in identity.cgroups] if identity else []
        pid, pidfd = server.fork(plan, [to_worker[0], from_worker[1], errors.fileno(), *cgroups])
    except OSError:
        for descriptor in (*to_worker, *from_worker):
            os.close(descriptor)
        errors.close()
        if identity:
            identity.release()
        return None
    finally:
        for descriptor in cgroups:
            os.close(descriptor)
    os.close(to_worker[0])
    os.close(from_worker[1])
    process = _Forked(pid, pidfd, os.fdopen(to_worker[1], "wb"), os.fdopen(from_worker[0], "rb"))
    return Sandbox(process, None, list(ISOLATION), identity, errors, server=server)


class _Forked:
    """A forked sandbox's first process, as much of ``subprocess.Popen`` as the judge uses:
    not the judge's child, so it is watched and signalled through its pidfd. Its exit
    status stays with the fork server: ``returncode`` is ``-SIGKILL`` once the judge
    killed it, ``ENDED`` when it ended of itself."""

    ENDED = -1

    def __init__(self, pid: int, pidfd: int, stdin, stdout):
        self.pid, self.pidfd, self.stdin, self.stdout = pid, pidfd, stdin, stdout
        self.returncode, self.killed = None, False
        self.lock = threading.Lock()

    def poll(self):
        return self.wait(0)

    def wait(self, timeout: float = None):
        with self.lock:
            if self.returncode is None and _readable(self.pidfd, timeout):
                self.returncode = -signal.SIGKILL if self.killed else self.ENDED
                os.close(self.pidfd)
            return self.returncode

    def kill(self) -> None:
        with self.lock:
            if self.returncode is None:
                self.killed = True
                try:
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
                except OSError:
                    pass


def gpu_profile(limits: Limits, environment: dict, imports=(), dev: str = "/dev"):
    """``(environment, device files, imports)`` of a sandbox under ``limits``: on a CPU
    run what it was given, unchanged, and no device files; with ``limits.gpu``, the
    environment with CUDA's variables from the allow-list and TensorFlow's growth flag,
    the NVIDIA device files that exist under ``dev`` (bound at the same paths in the
    sandbox's root), and the imports with ``nvidia`` (the runtime wheels TensorFlow loads
    its CUDA libraries from). Its resource limits are ``_rlimits(limits)``: no address
    space limit on the GPU."""
    if not limits.gpu:
        return environment, [], tuple(imports)
    environment = dict(environment)
    environment.update({key: os.environ[key] for key in GPU_ENVIRONMENT_ALLOW_LIST if key in os.environ})
    environment.update(GPU_RUNNER_ENVIRONMENT)
    root = Path(dev)
    files = sorted({str(path) for pattern in GPU_DEVICE_FILES for path in root.glob(pattern)
                    if path.exists() and not path.is_dir()})
    if "tensorflow" in imports and "nvidia" not in imports:
        imports = (*imports, "nvidia")
    return environment, files, tuple(imports)


def _bound_memory(limits: Limits, identity) -> str:
    """Bound the GPU profile's memory (it has no address space limit): ``memory.max`` of
    the sandbox's own cgroup, where it has one with the memory controller ("cgroup"),
    else the judge's watchdog ("watchdog")."""
    for folder in identity.cgroups if identity else ():
        try:
            Path(folder, "memory.max").write_text(str(limits.memory_mb * 2**20))
        except OSError:
            continue
        try:
            Path(folder, "memory.swap.max").write_text("0")
        except OSError:
            pass
        return "cgroup"
    return "watchdog"


def resident_mb(process: subprocess.Popen) -> float:
    """Resident memory of the sandbox's processes, in MiB."""
    try:
        top = psutil.Process(process.pid)
        processes = [top, *top.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for each in processes:
        try:
            total += each.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _watch_memory(process: subprocess.Popen, memory_mb: int) -> None:
    """End the sandbox, everything it started, once its resident memory passes
    ``memory_mb`` (the GPU profile where no memory cgroup could be made)."""
    while process.poll() is None:
        if resident_mb(process) > memory_mb:
            kill_tree(process)
            return
        threading.Event().wait(WATCHDOG_SECONDS)


def _drop_command(identity, namespaced: bool) -> list:
    """What runs the worker with no privilege: as root, the leased uid with every
    capability dropped; otherwise a user namespace of its own in which it is not root
    (its own mount namespace too, so that the root it was given is locked)."""
    no_new_privileges = [_tool("setpriv"), "--no-new-privs"]
    if identity:
        return [*no_new_privileges, f"--reuid={identity.uid}", f"--regid={identity.gid}", "--clear-groups",
                "--bounding-set=-all", "--inh-caps=-all", "--"]
    if namespaced:
        return [_tool("unshare"), "--user", f"--map-user={INNER_UID}", f"--map-group={INNER_UID}", "--mount", "--",
                *no_new_privileges, "--"]
    return [*no_new_privileges, "--"] if shutil.which("setpriv") else []


def _rlimits(limits: Limits) -> dict:
    """``{resource: (soft, hard)}`` for the worker and all it starts."""
    megabyte = 2**20
    address_space = {} if limits.gpu else {resource.RLIMIT_AS: (limits.memory_mb * megabyte,) * 2}
    return {
        **address_space,  # none on the GPU: CUDA reserves far more than it uses (``gpu_profile``)
        resource.RLIMIT_CPU: (limits.cpu_seconds, limits.cpu_seconds + 5),
        resource.RLIMIT_FSIZE: (limits.file_size_mb * megabyte,) * 2,
        resource.RLIMIT_NOFILE: (limits.open_files,) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NPROC: (limits.processes,) * 2,
    }


_PRLIMIT_OPTIONS = {resource.RLIMIT_AS: "--as", resource.RLIMIT_CPU: "--cpu", resource.RLIMIT_FSIZE: "--fsize",
                    resource.RLIMIT_NOFILE: "--nofile", resource.RLIMIT_CORE: "--core", resource.RLIMIT_NPROC: "--nproc"}


def _limit_command(limits: Limits) -> list:
    """``prlimit`` with the sandbox's resource limits, run as the last stage before the
    worker: a process cap set earlier would also count the judge's own processes. (Where
    there is no ``prlimit``, and so no namespaces, the limits are set before exec.)"""
    if not shutil.which("prlimit"):
        return []
    options = [f"{_PRLIMIT_OPTIONS[kind]}={soft}:{hard}" for kind, (soft, hard) in _rlimits(limits).items()]
    return [_tool("prlimit"), *options, "--"]


def _enter_limits(limits: Limits) -> None:
    for kind, values in _rlimits(limits).items():
        resource.setrlimit(kind, values)


def _tool(name: str) -> str:
    """The program's full path, so the sandbox needs no PATH to find it."""
    return shutil.which(name) or name


# Run by ``unshare`` (as root, or as root of a new user namespace) in the worker's folder,
# with CGROUPS (the sandbox's cgroup folders, one a line; may be empty), the PLAN of its
# root for ``rootfs.py``, then the COMMAND: joins the cgroups, brings the loopback up,
# builds the root, and runs COMMAND as a child, so that the shell stays the namespace's
# first process (it reaps what the student's processes leave). Exit status 97: the
# set-up failed.
_SETUP_SCRIPT = r"""
umask 022
cgroups=$1 python=$2 rootfs=$3 plan=$4; shift 4
spaces=$IFS; IFS='
'
for group in $cgroups; do echo 0 > "$group/cgroup.procs" || exit 97; done
IFS=$spaces
ip link set lo up 2>/dev/null
"$python" -I -S "$rootfs" "$plan" || exit 97
cd /sandbox || exit 97
umask 077
"$@"
"""


def _setup_command(command: list, folder_mb: int, identity, hidden: list, imports, devices=(),
                   pid_namespace: bool = True) -> list:
    owner = (identity.uid, identity.gid) if identity else (0, 0)
    cgroups = "\n".join(identity.cgroups) if identity else ""
    entries = packages.visible_entries(tuple(sorted({"numpy", *imports})))  # the worker's wire needs numpy
    sites = {str(Path(site).resolve()): [] for site in packages.site_dirs()}
    for entry in entries:
        sites.setdefault(str(Path(entry).parent), []).append(entry)
    plan = {"binds": _bound_folders(), "sites": sites, "hidden": hidden, "folder_kb": folder_mb * 1024,
            "uid": owner[0], "gid": owner[1]}
    if devices:
        plan["devices"] = list(devices)  # the GPU profile's device files, bound as /dev/null is
    # a fork server keeps this machine's PIDs (the judge signals its sandboxes by them), and
    # its sandboxes outlive it (they are not in its namespace): each has a PID namespace of its own
    pids = ["--pid", "--fork", "--mount-proc", "--kill-child"] if pid_namespace else []
    outer = [_tool("unshare"), *([] if os.geteuid() == 0 else ["--user", "--map-root-user"]),
             "--mount", "--net", *pids, "--"]
    return [*outer, "sh", "-c", _SETUP_SCRIPT, "sh", cgroups, sys.executable, str(HERE / "rootfs.py"),
            json.dumps(plan), *command]


def _bound_folders() -> list:
    """The system's folders and this Python's homes (a virtual environment and the
    Python it was made from), as real paths."""
    homes = [str(Path(home).resolve()) for home in (sys.prefix, sys.base_prefix)]
    folders = [folder for folder in SYSTEM_FOLDERS if os.path.lexists(folder)]
    return list(dict.fromkeys([*folders, *homes]))


def _hide(hidden) -> list:
    """What must not be seen inside the folders the sandbox shows: the judge's own paths
    (results, submissions) and every package folder but this Python's allowed view."""
    sites = {str(Path(site).resolve()) for site in packages.site_dirs()}
    others = [str(path) for pattern in OTHER_PACKAGE_FOLDERS for path in Path("/").glob(pattern.lstrip("/"))]
    base = Path(sys.base_prefix).resolve()
    others += [str(path) for path in base.glob("lib/python3*/site-packages")]
    paths = {str(Path(path).resolve()) for path in [*hidden, *others]}
    return sorted(path for path in paths - sites if path != "/")


@functools.lru_cache(maxsize=None)
def namespaces_available() -> bool:
    """Whether this machine lets the sandbox build its own root in new namespaces (tried
    once, with the very set-up a worker gets)."""
    if not all(shutil.which(tool) for tool in TOOLS):
        return False
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "worker.py").touch()
        command = _setup_command([*_drop_command(None, True), "test", "-e", f"{HOME}/worker.py"], 1, None, [], ())
        try:
            probe = subprocess.run(command, capture_output=True, timeout=30, cwd=folder)
        except (OSError, subprocess.SubprocessError):
            return False
    return probe.returncode == 0


@functools.lru_cache(maxsize=None)
def _matplotlib_cache():
    """A matplotlib config folder with its font list built once, beside this Python
    (visible in the sandbox, read-only to the student): a fresh folder per runner would
    rebuild the font list at every start."""
    folder = Path(sys.prefix) / "share" / "autograder" / "matplotlib"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.glob("fontlist-*.json")):
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                           timeout=120, env={**os.environ, "MPLCONFIGDIR": str(folder)})
        folder.chmod(0o755)
    except (OSError, subprocess.SubprocessError):
        return None
    return str(folder)


def _kill_tree(process: subprocess.Popen) -> None:
    kill_tree(process)  # its PID namespace takes whatever is left
    for stream in (process.stdin, process.stdout):
        try:
            stream.close()
        except OSError:
            pass
