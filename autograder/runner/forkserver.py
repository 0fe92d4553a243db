"""The fork server: the assignment's packages imported once, a sandbox forked per student.

Started by ``sandbox.py`` in a root built as a worker's is (``rootfs.py``: the same
packages shown, other Pythons' packages hidden), in mount and network namespaces of its
own, but as their root and with no limits: it runs no student code, ever. It imports
what a worker imports (TensorFlow: seconds), then waits on its control socket (the
descriptor whose number ``CONTROL_VARIABLE`` holds; its arguments are a worker's).

For each request, a JSON plan with the new sandbox's descriptors (``SCM_RIGHTS``), it
forks a process that makes the sandbox's own mount, PID and network namespaces; their
first process (which reaps, as ``sh`` does in a started sandbox), with a fresh ``/proc``
and ``/sandbox`` and the grading's hidden paths covered; and the worker: the leased uid
(or a user namespace of its own where the judge is not root), no capability,
``no_new_privs``, the resource limits, the protocol on stdin and stdout, and nothing
else open. The reply is that process's pidfd. The worker then runs ``worker.main()``
with the server's imports already made: memory is copied on write, so nothing a
student does reaches the server or another student.

Standard library only, like the worker (which it imports, with ``lazy`` and ``wire``).
"""
import ctypes
import ctypes.util
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys

HOME = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HOME)  # (-I leaves it out)

import lazy  # noqa: E402
import rootfs  # noqa: E402
import worker  # noqa: E402 (it puts the site folders of this process's arguments on sys.path, as a worker's)

CONTROL_VARIABLE = "AUTOGRADER_FORK_SERVER"
WORKER_FILES = ("worker.py", "wire.py", "lazy.py", "driver.py")  # what a started sandbox's folder holds

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_PRIVATE = 1 << 18  # (rootfs.py has the other mount flags)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
CAPABILITY_VERSION_3 = 0x20080522
SIOCSIFFLAGS, IFF_UP = 0x8914, 0x1
INNER_UID = 1000  # the student's uid in its own user namespace, when the judge is not root
SETUP_FAILED = 97  # as the started sandbox's set-up says it
MAX_REQUEST = 65536
MAX_DESCRIPTORS = 8

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl {option}")


def main() -> None:
    control = socket.socket(fileno=int(os.environ.pop(CONTROL_VARIABLE)))
    files = _worker_files()
    lazy.import_on_first_use()
    if "driver.py" in files:
        try:
            with lazy.kept_for_good():
                import driver  # noqa: F401 (what every worker forked from here has imported)
        except BaseException as error:  # the judge starts its sandboxes as it did before
            control.sendall(json.dumps({"broken": f"{type(error).__name__}: {error}"[:2000]}).encode())
            return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps what ends: pidfds still tell
    control.sendall(json.dumps({"ready": True}).encode())
    while True:
        try:
            message, descriptors, _, _ = socket.recv_fds(control, MAX_REQUEST, MAX_DESCRIPTORS)
        except OSError:
            return
        if not message:
            return  # the judge is gone
        pid = os.fork()
        if pid == 0:
            _sandbox(control, json.loads(message), descriptors, files)
        for descriptor in descriptors:
            os.close(descriptor)
        pidfd = os.pidfd_open(pid)
        socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)


def _worker_files() -> dict:
    """The worker's files of the server's folder (its driver among them), for each sandbox's own."""
    files = {}
    for name in WORKER_FILES:
        if os.path.exists(os.path.join(HOME, name)):
            with open(os.path.join(HOME, name), "rb") as file:
                files[name] = file.read()
    return files


def _sandbox(control: socket.socket, plan: dict, descriptors: list, files: dict) -> None:
    """In the forked process: make the sandbox's namespaces, then its first process; end
    as that ends. Never returns."""
    try:
        control.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdin, stdout, errors, *cgroups = descriptors
        os.dup2(errors, 2)
        os.setsid()
        _unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)
        rootfs.mount("none", "/", None, rootfs.MS_REC | MS_PRIVATE)
        first = os.fork()  # the first process of the new PID namespace
        if first == 0:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # killing this process ends the namespace
            _first_process(plan, stdin, stdout, cgroups, files)
        for descriptor in (stdin, stdout, *cgroups):
            os.close(descriptor)
        _, status = os.waitpid(first, 0)
        os._exit(os.waitstatus_to_exitcode(status) % 256)
    except BaseException as error:  # noqa: BLE001 (said on stderr, for the instructor's log)
        _failed(error)


def _first_process(plan: dict, stdin: int, stdout: int, cgroups: list, files: dict) -> None:
    """PID 1: a fresh /proc and /sandbox, the cgroups and the loopback, then the worker as
    its child; reap whatever the student's processes leave, and end as the worker ends."""
    try:
        # its user's own processes could otherwise trace it, and use its privilege over the namespaces
        _prctl(PR_SET_DUMPABLE, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a namespace's first process gets no signal it does not handle
        rootfs.mount("proc", "/proc", "proc", rootfs.MS_NOSUID | rootfs.MS_NODEV | rootfs.MS_NOEXEC)
        for path in plan["hidden"]:  # this grading's (its results, say), beside what the server's root hides
            rootfs.hide(path, "")
        for cgroup in cgroups:
            os.write(cgroup, b"0")
            os.close(cgroup)
        _loopback_up()
        _working_folder(plan, files)
        worker_pid = os.fork()
        if worker_pid == 0:
            _worker(plan, stdin, stdout)
        os.close(stdin)
        os.close(stdout)
        while True:
            pid, status = os.wait()
            if pid == worker_pid:
                os._exit(os.waitstatus_to_exitcode(status) % 256)
    except BaseException as error:  # noqa: BLE001
        _failed(error)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH", b"lo", IFF_UP))


def _working_folder(plan: dict, files: dict) -> None:
    """A new tmpfs on /sandbox (and /tmp, where the server's /tmp is its /sandbox), owned by
    the student's uid, with the worker's files."""
    uid, gid = plan["uid"], plan["gid"]
    tmp_is_home = os.stat("/tmp").st_dev == os.stat("/sandbox").st_dev
    rootfs.tmpfs("/sandbox", f"size={plan['folder_kb']}k,mode=0700,uid={uid},gid={gid}")
    for name, content in files.items():
        path = f"/sandbox/{name}"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as copy:
            copy.write(content)
        os.chown(path, uid, gid)
    if tmp_is_home:
        rootfs.mount("/sandbox", "/tmp", None, rootfs.MS_BIND)


def _worker(plan: dict, stdin: int, stdout: int) -> None:
    """The student's process: the protocol on 0 and 1, nothing else open, the limits, no
    privilege; then the worker, with everything the server imported."""
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any Python process
        os.dup2(stdin, 0)
        os.dup2(stdout, 1)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        for kind, soft, hard in plan["rlimits"]:
            resource.setrlimit(kind, (soft, hard))
        if plan["root"]:
            os.setgroups([])
            os.setresgid(plan["gid"], plan["gid"], plan["gid"])
            _drop_bounding_set()
            os.setresuid(plan["uid"], plan["uid"], plan["uid"])
        else:  # a user namespace of its own, nested, in which it is not root; its own mounts, locked
            _unshare(CLONE_NEWUSER | CLONE_NEWNS)
            for name, text in (("setgroups", "deny"), ("uid_map", f"{INNER_UID} 0 1"), ("gid_map", f"{INNER_UID} 0 1")):
                with open(f"/proc/self/{name}", "w") as file:
                    file.write(text)
            _drop_bounding_set()
        _clear_capabilities()
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.umask(0o077)
        os.chdir("/sandbox")
    except BaseException as error:  # noqa: BLE001
        _failed(error)
    try:
        worker.main()
    finally:
        os._exit(0)


def _drop_bounding_set() -> None:
    """No capability can be gained again, by any program run from here."""
    with open("/proc/sys/kernel/cap_last_cap") as file:
        last = int(file.read())
    for capability in range(last + 1):
        _prctl(PR_CAPBSET_DROP, capability)


def _clear_capabilities() -> None:
    """Effective, permitted and inheritable sets all empty (ambient ones go with them)."""
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _failed(error: BaseException) -> None:
    try:
        os.write(2, f"sandbox set-up failed: {type(error).__name__}: {error}\n".encode()[:2000])
    finally:
        os._exit(SETUP_FAILED)


if __name__ == "__main__":
    main()
