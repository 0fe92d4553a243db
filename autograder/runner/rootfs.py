"""Build a sandbox's root file system from an empty one, then switch to it.

Run by ``sandbox.py`` inside the sandbox's new namespaces, as their root, before any
student code: ``python -I -S rootfs.py PLAN`` in the worker's folder, where ``PLAN`` is
JSON: ``binds`` (folders and files shown read-only at their own paths), ``sites``
(``{site folder: [entries]}``: each site folder shows only those entries, read-only),
``hidden`` (paths covered by empty mounts), ``folder_kb``, ``uid`` and ``gid`` (the
size and owner of ``/sandbox``, the one writable folder, also mounted on ``/tmp``).
The worker's files are copied from its folder into ``/sandbox``; the old root is
detached, so nothing outside the new one can be reached again. Mount system calls
straight from here: one process instead of a ``mount`` command per path.

Standard library only: it runs with ``-I -S``, before anything else is trusted.
"""
import ctypes
import ctypes.util
import json
import os
import platform
import stat
import subprocess
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}  # syscall numbers

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def mount(source: str, target: str, kind: str = None, flags: int = 0, options: str = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), kind.encode() if kind else None, flags,
                       options.encode() if options else None), f"mount {source} on {target}")


def unmount(target: str) -> None:
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"unmount {target}")


def read_only(target: str) -> None:
    """Make a bind mount read-only, keeping the flags it has (a user namespace may add
    restrictions to a mount it was given, never lift them)."""
    flags = os.statvfs(target).f_flag
    kept = (MS_NOEXEC if flags & os.ST_NOEXEC else 0)
    mount("none", target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | kept)


def tmpfs(target: str, options: str, flags: int = 0) -> None:
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | flags, options)


def show(path: str, root: str, source: str = None) -> None:
    """``source`` (default ``path``) read-only at ``root + path``, as what it is: a link
    is made again, a folder or file is bound with whatever is mounted below it."""
    source = source or path
    target = root + path
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(source), target)
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    elif os.path.exists(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    else:
        return
    mount(source, target, None, MS_BIND | MS_REC)
    read_only(target)


def show_site(site: str, entries: list, root: str, index: int) -> None:
    """The site folder with only ``entries`` in it: an empty tmpfs, each entry bound from
    a read-only view of the real folder (a bind keeps its source's read-only flag)."""
    stage = f"{root}/.packages{index}"
    os.mkdir(stage)
    mount(site, stage, None, MS_BIND | MS_REC)
    read_only(stage)
    os.makedirs(root + site, exist_ok=True)
    tmpfs(root + site, "size=1m,mode=0755")
    for entry in entries:
        name = os.path.basename(entry)
        source, target = f"{stage}/{name}", f"{root}{site}/{name}"
        if os.path.isdir(source):
            os.mkdir(target)
        else:
            open(target, "a").close()
        mount(source, target, None, MS_BIND | MS_REC)
    read_only(root + site)
    unmount(stage)
    os.rmdir(stage)


def devices(root: str, gpu=()) -> None:
    os.makedirs(f"{root}/dev/shm")
    for name in ("null", "zero", "full", "random", "urandom"):
        open(f"{root}/dev/{name}", "a").close()
        mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    os.symlink("/proc/self/fd", f"{root}/dev/fd")
    for path in gpu:  # the GPU profile's NVIDIA device files (sandbox.gpu_profile), bound like /dev/null
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        open(root + path, "a").close()
        mount(path, root + path, None, MS_BIND)


def hide(path: str, root: str) -> None:
    target = root + path
    if os.path.islink(target) or not os.path.exists(target):
        return
    if os.path.isdir(target):
        tmpfs(target, "size=4k,mode=0755", MS_RDONLY)
    else:
        mount("/dev/null", target, None, MS_BIND)


def working_folder(root: str, worker_files: int, folder_kb: int, uid: int, gid: int) -> None:
    """``/sandbox``, a tmpfs of ``folder_kb`` owned by the worker's uid, holding the
    worker's files; ``/tmp`` is the same folder, unless a folder shown lies in it."""
    home = f"{root}/sandbox"
    os.makedirs(home)
    tmpfs(home, f"size={folder_kb}k,mode=0700,uid={uid},gid={gid}")
    for name in os.listdir(worker_files):
        source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=worker_files)
        try:
            if not stat.S_ISREG(os.fstat(source).st_mode):
                continue
            with os.fdopen(os.open(f"{home}/{name}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as copy:
                copy.write(os.read(source, os.fstat(source).st_size))
        finally:
            os.close(source)
        os.chown(f"{home}/{name}", uid, gid)
    if not os.path.exists(f"{root}/tmp"):  # (a Python installed under /tmp keeps /tmp its own)
        os.makedirs(f"{root}/tmp")
        mount(home, f"{root}/tmp", None, MS_BIND)


def switch_root(root: str) -> None:
    """Make ``root`` the root of every process of this mount namespace, detach the old
    one, and make the new one read-only."""
    os.chdir(root)
    os.mkdir(".old")
    number = PIVOT_ROOT.get(platform.machine())
    if number is not None:
        _check(_libc.syscall(number, b".", b".old"), "pivot_root")
    else:
        subprocess.run(["pivot_root", ".", ".old"], check=True)
    os.chdir("/")
    unmount("/.old")
    os.rmdir("/.old")
    mount("sandbox-root", "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build(plan: dict) -> None:
    os.umask(0o022)
    worker_files = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    root = os.getcwd()  # the new root is mounted over the worker's folder, reached by handle
    tmpfs(root, "size=16m,mode=0755")
    for path in plan["binds"]:
        show(path, root)
    for index, (site, entries) in enumerate(plan["sites"].items()):
        show_site(site, entries, root, index)
    os.makedirs(f"{root}/proc")
    mount("/proc", f"{root}/proc", None, MS_BIND | MS_REC)
    show("/sys", root)
    if os.path.isdir(f"{root}/sys/fs/cgroup"):
        tmpfs(f"{root}/sys/fs/cgroup", "size=4k,mode=0755", MS_RDONLY)  # no cgroup of the grader's is writable
    devices(root, plan.get("devices", ()))
    for path in plan["hidden"]:
        hide(path, root)
    working_folder(root, worker_files, plan["folder_kb"], plan["uid"], plan["gid"])
    os.close(worker_files)
    switch_root(root)


if __name__ == "__main__":
    try:
        build(json.loads(sys.argv[1]))
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as error:
        print(f"sandbox set-up failed: {error}", file=sys.stderr)
        sys.exit(97)
