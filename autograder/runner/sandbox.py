"""Start the worker in a sandbox and stop it, with everything it started.

The sandbox: a fresh working folder holding only the worker, its wire module and
the student's notebook code; an environment reduced to an allow-list; resource
limits (address space, CPU, file size, open files, core dumps, processes); and,
where the OS allows it, new PID, network and mount namespaces (``unshare``), so that no
network is reachable, killing the namespace's first process ends every process the
student started, and the working folder is a memory file system of bounded size. When
the judge runs as root, the worker drops to ``nobody``.
"""
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil

from autograder.config import ENVIRONMENT_ALLOW_LIST, RUNNER_ENVIRONMENT, Limits

HERE = Path(__file__).resolve().parent
UNPRIVILEGED_USER = "nobody"
# What a sandbox can have (messages' [sandbox] section says each in words).
ISOLATION = ("user", "network", "processes", "hidden")


@dataclass
class Sandbox:
    process: subprocess.Popen
    workdir: Path
    isolation: list  # what the OS provided: keys of ISOLATION

    def stop(self) -> None:
        """Kill the worker and every process it started, then remove its folder."""
        _kill_tree(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(limits: Limits, hidden=(), driver: Path = None) -> Sandbox:
    """Start the worker. ``hidden``: paths the student's code must not see (grades,
    other submissions); the project's own folders are always hidden. ``driver``: the
    assignment's scenario driver, copied in as ``driver.py``."""
    workdir = Path(tempfile.mkdtemp(prefix="autograder-run-"))
    for name in ("worker.py", "wire.py"):
        shutil.copy(HERE / name, workdir / name)
    if driver:
        shutil.copy(driver, workdir / "driver.py")
    isolation = []
    command = [sys.executable, "-I", "-S", str(workdir / "worker.py"), *_site_dirs()]
    user = _unprivileged_user() if os.geteuid() == 0 else None
    if user:
        os.chown(workdir, user.pw_uid, user.pw_gid)
        command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", *command]
        isolation.append("user")
    if namespaces_available():
        to_hide = sorted({*_project_paths(), *_shared_writable_paths(), *(str(Path(p).resolve()) for p in hidden)})
        owner = (user.pw_uid, user.pw_gid) if user else (0, 0)
        command = _setup_command(workdir, to_hide, command, limits.folder_mb, owner)
        isolation += ["network", "processes", "hidden"]
    command, enter_limits = _with_limits(limits, command)
    env = {key: os.environ[key] for key in ENVIRONMENT_ALLOW_LIST if key in os.environ}
    env.update(RUNNER_ENVIRONMENT, HOME=str(workdir), MPLCONFIGDIR=_matplotlib_cache() or str(workdir),
               TMPDIR=str(workdir))
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
        env=env,
        start_new_session=True,
        umask=0o077,
        preexec_fn=enter_limits,
    )
    return Sandbox(process, workdir, isolation)


# Inside the new namespaces, as (namespace) root: loopback up; hold a handle on each
# folder to keep (the working folder, this Python's homes); hide the given paths under
# empty mounts; bring back each kept folder that a hidden parent covered (a project
# cloned under /tmp keeps its .venv); put the working folder's files on a tmpfs of
# FOLDER_KB owned by UID:GID, so that all the student writes is bounded; then run the
# rest of the command line as a child, so the shell stays the namespace's first process
# and the worker an ordinary one.
# Arguments: FOLDER_KB UID GID NKEEP KEEP... NHIDE HIDE... COMMAND...; the first KEEP is
# the working folder (at most seven: the handles are descriptors 3 to 9, all sh can name).
_SETUP_SCRIPT = """
ip link set lo up 2>/dev/null
folder_kb=$1; uid=$2; gid=$3; shift 3
nkeep=$1; shift; i=0
while [ $i -lt "$nkeep" ]; do
  eval "keep_$i=\\$1; exec $((3 + i))<\\"\\$1\\"" || exit 97
  i=$((i + 1)); shift
done
n=$1; shift
while [ "$n" -gt 0 ]; do
  if [ -d "$1" ]; then mount -t tmpfs -o size=64k,mode=0755 tmpfs "$1" || exit 97
  elif [ -e "$1" ]; then mount --bind /dev/null "$1" || exit 97
  fi
  n=$((n - 1)); shift
done
i=0
while [ $i -lt "$nkeep" ]; do
  eval "path=\\$keep_$i"; fd=$((3 + i))
  if [ ! "$path" -ef "/proc/self/fd/$fd" ]; then
    (umask 022; mkdir -p "$path") && mount --no-canonicalize --bind "/proc/self/fd/$fd" "$path" || exit 97
  fi
  i=$((i + 1))
done
mount -t tmpfs -o "size=${folder_kb}k,mode=0700,uid=$uid,gid=$gid" tmpfs "$keep_0" || exit 97
cp -Rp /proc/self/fd/3/. "$keep_0" || exit 97
i=0
while [ $i -lt "$nkeep" ]; do
  eval "exec $((3 + i))<&-"; i=$((i + 1))
done
cd "$keep_0" || exit 97
"$@"
"""


def _setup_command(workdir: Path, hidden: list, command: list, folder_mb: int, owner: tuple) -> list:
    keep = [str(workdir), *dict.fromkeys(str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix))]
    return [*_unshare_prefix(), "sh", "-c", _SETUP_SCRIPT, "sh", str(folder_mb * 1024), *map(str, owner),
            str(len(keep)), *keep, str(len(hidden)), *hidden, *command]


def _project_paths() -> list:
    """Every entry of the project's root except the one holding this Python."""
    return [str(entry) for entry in HERE.parents[1].iterdir() if not _holds_python(entry)]


# Folders anyone may write to: each gets an empty, private mount, so that nothing the
# student's code writes there outlives it (the worker's own folder is reached by handle).
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _shared_writable_paths() -> list:
    return [path for path in SHARED_WRITABLE if os.path.isdir(path)]


def _holds_python(path: Path) -> bool:
    python_home = Path(sys.prefix).resolve()
    return path.resolve() in (python_home, *python_home.parents)


@functools.lru_cache(maxsize=None)
def namespaces_available() -> bool:
    """Whether ``unshare`` can give the worker its own network and PID namespaces here."""
    if shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "worker.py").touch()
        command = _setup_command(Path(folder), _shared_writable_paths()[:1], ["test", "-e", "worker.py"], 1, (0, 0))
        try:
            probe = subprocess.run(command, capture_output=True, timeout=10, cwd=folder)
        except (OSError, subprocess.SubprocessError):
            return False
    return probe.returncode == 0


def _unshare_prefix() -> list:
    user_namespace = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    # --mount-proc: the student's /proc shows only its own processes (not the judge's
    # environment or command line).
    return ["unshare", *user_namespace, "--mount", "--net", "--pid", "--fork", "--mount-proc", "--kill-child", "--"]


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


def _site_dirs() -> list:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def _unprivileged_user():
    import pwd

    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return None


def _rlimits(limits: Limits) -> dict:
    """{resource: (soft, hard)}, inherited by all the worker starts."""
    megabyte = 2**20
    return {
        resource.RLIMIT_AS: (limits.memory_mb * megabyte,) * 2,
        resource.RLIMIT_CPU: (limits.cpu_seconds, limits.cpu_seconds + 5),
        resource.RLIMIT_FSIZE: (limits.file_size_mb * megabyte,) * 2,
        resource.RLIMIT_NOFILE: (limits.open_files,) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NPROC: (limits.processes,) * 2,  # counts once not root
    }


_PRLIMIT_OPTIONS = {resource.RLIMIT_AS: "--as", resource.RLIMIT_CPU: "--cpu", resource.RLIMIT_FSIZE: "--fsize",
                    resource.RLIMIT_NOFILE: "--nofile", resource.RLIMIT_CORE: "--core", resource.RLIMIT_NPROC: "--nproc"}


def _with_limits(limits: Limits, command: list) -> tuple:
    """The command under ``prlimit``, or, without it, a function that sets the limits in
    the child before exec (Python calls that unsafe while the judge has threads running,
    as it does when it calibrates, so it is only the fallback)."""
    rlimits = _rlimits(limits)
    if shutil.which("prlimit"):
        options = [f"{_PRLIMIT_OPTIONS[kind]}={soft}:{hard}" for kind, (soft, hard) in rlimits.items()]
        return ["prlimit", *options, "--", *command], None
    return command, functools.partial(_enter_limits, rlimits)


def _enter_limits(rlimits: dict) -> None:
    for kind, values in rlimits.items():
        resource.setrlimit(kind, values)


def _kill_tree(process: subprocess.Popen) -> None:
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the session the worker started in
    except OSError:
        pass
    for child in descendants:  # those that left the session; the PID namespace takes the rest
        try:
            child.kill()
        except psutil.Error:
            pass
    try:
        process.kill()
    except OSError:
        pass
    process.wait()
    for stream in (process.stdin, process.stdout):
        try:
            stream.close()
        except OSError:
            pass
