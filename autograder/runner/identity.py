"""Who a sandbox runs as, and what counts its processes: one identity per live sandbox.

As root, each sandbox leases a uid of its own from ``SANDBOX_UIDS`` (ids no account
uses, as DOMjudge gives each judge its own run user): the lease is an exclusive lock on
a file named after the uid, held for the sandbox's life and dropped by the kernel when
the judge dies, so gradings on one machine (parallel tests, two commands, ``--jobs 8``)
never share a uid, whatever process they run in. Where cgroups can be made, the sandbox
also gets its own: ``pids``, so that its process and thread cap counts its own tasks
alone, and ``cpu``, so that it gets its fair share of the processors however many
threads another sandbox starts.

Not root, the sandbox gets its own user namespace instead (``sandbox.py``): the kernel
counts ``RLIMIT_NPROC`` per namespace, so there too the cap is the sandbox's own.
"""
import fcntl
import functools
import os
import random
import stat
from dataclasses import dataclass
from pathlib import Path

from autograder.config import SANDBOX_UIDS

# Where the leases live: a folder only root may write (a student's uid cannot take or
# forge a lease), the same for every grading on the machine (not under $TMPDIR).
LEASE_FOLDERS = ("/run/autograder-sandboxes", "/var/lock/autograder-sandboxes", "/tmp/autograder-sandboxes-0")


class NoIdentity(Exception):
    """Every uid of the pool is in use (or no lease folder can be made)."""


@dataclass
class Identity:
    uid: int
    gid: int
    cgroups: tuple = ()  # the sandbox's own cgroup folders (pids, cpu), where they could be made
    _lock: int = -1

    def release(self) -> None:
        """After the sandbox's last process has ended."""
        for folder in self.cgroups:
            try:
                os.rmdir(folder)
            except OSError:
                pass
        self.cgroups = ()
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1


def lease(processes: int) -> Identity:
    """A uid no other live sandbox holds, with cgroups of its own (tasks capped at
    ``processes``) where they can be made. Root only."""
    folder = _lease_folder()
    start = random.randrange(len(SANDBOX_UIDS))  # spread concurrent judges over the pool
    for index in range(len(SANDBOX_UIDS)):
        uid = SANDBOX_UIDS[(start + index) % len(SANDBOX_UIDS)]
        lock = _try_lock(folder / str(uid))
        if lock < 0:
            continue
        if _has_processes(uid):  # a sandbox of a judge that died is still ending
            os.close(lock)
            continue
        return Identity(uid, uid, _cgroups(uid, processes), lock)
    raise NoIdentity(f"all {len(SANDBOX_UIDS)} sandbox uids are in use")


def _lease_folder() -> Path:
    for name in LEASE_FOLDERS:
        folder = Path(name)
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022:
            return folder
    raise NoIdentity("no folder for sandbox leases could be made")


def _try_lock(path: Path) -> int:
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return -1
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return -1
    return handle


def _has_processes(uid: int) -> bool:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    return True
            except OSError:
                continue
    return False


def _cgroups(uid: int, processes: int) -> tuple:
    """The sandbox's own cgroup in each controller that has a writable hierarchy here."""
    folders = []
    for controller, parent in _hierarchies().items():
        folder = os.path.join(parent, f"autograder-sandbox-{uid}")
        if folder in folders:  # cgroup v2: one folder for every controller
            continue
        try:
            if os.path.isdir(folder):
                os.rmdir(folder)  # left by a judge that died; empty, since the uid has no process
            os.mkdir(folder, 0o755)
            folders.append(folder)
        except OSError:
            continue
    for folder in folders:
        if os.path.exists(os.path.join(folder, "pids.max")):
            try:
                Path(folder, "pids.max").write_text(str(processes))
            except OSError:
                pass
    return tuple(folders)


CONTROLLERS = ("pids", "cpu")


@functools.lru_cache(maxsize=None)
def _hierarchies() -> dict:
    """``{controller: folder}``: this process's cgroup in each writable hierarchy of a
    controller the sandbox uses (cgroup v1 mounts, or v2 where the controller is enabled
    for children)."""
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        memberships = [line.split(":", 2) for line in Path("/proc/self/cgroup").read_text().splitlines()]
    except OSError:
        return {}
    found = {}
    for line in mounts:
        fields = line.split(" - ", 1)
        if len(fields) != 2:
            continue
        mount_point = fields[0].split()[4]
        kind, _, options = (fields[1].split() + ["", "", ""])[:3]
        for controller in CONTROLLERS:
            if controller in found:
                continue
            if kind == "cgroup" and controller in options.split(","):
                path = next((m[2] for m in memberships if len(m) == 3 and controller in m[1].split(",")), None)
            elif kind == "cgroup2":
                path = next((m[2] for m in memberships if len(m) == 3 and m[0] == "0"), None)
            else:
                continue
            if path is None:
                continue
            folder = os.path.join(mount_point, path.lstrip("/"))
            if kind == "cgroup2" and controller not in _read(os.path.join(folder, "cgroup.subtree_control")).split():
                continue
            if os.access(folder, os.W_OK):
                found[controller] = folder
    return found


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
