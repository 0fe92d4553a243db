"""Run the grader as a user with no privilege, as on an instructor's laptop or a CI runner.

CI runs as root, which proves nothing about the other path, so the security tests run
the grader both ways. Here ``setpriv`` drops to ``UID`` inside a mount namespace of the
test's own, in which every folder the command needs (this Python, the project, the test's
files) can be reached by that user: a folder above them that only root may pass (``/root``
holding the Python, pytest's 0700 temporary folders) is covered there by an open one that
holds just those folders. Nothing changes outside the test's command.
"""
import os
import shutil
import sys
from pathlib import Path

from autograder.assignments import PROJECT

UID = 2_099_000_001  # no account's, and outside the sandboxes' own pool


def available() -> bool:
    """Whether this test run can drop to another user (it runs as root, with the tools)."""
    return os.geteuid() == 0 and all(shutil.which(tool) for tool in ("unshare", "setpriv", "mount"))


def own(*paths: Path) -> None:
    """Give the unprivileged user the test's own files and folders."""
    for path in paths:
        for folder, _, files in os.walk(path):
            os.chown(folder, UID, UID)
            for name in files:
                os.chown(os.path.join(folder, name), UID, UID)


def command(argv: list, folders=()) -> list:
    """``argv`` run as ``UID``, with this Python, the project and ``folders`` reachable."""
    needed = [str(Path(p).resolve()) for p in (sys.base_prefix, sys.prefix, PROJECT, *folders)]
    blocked = {}  # folder that only root may pass -> the needed folders below it
    for path in dict.fromkeys(needed):
        blocker = _first_closed_folder(Path(path))
        if blocker:
            blocked.setdefault(str(blocker), []).append(path)
    lines = ["set -e", "umask 022", 'stage=$(mktemp -d)', 'mount -t tmpfs -o mode=0700 staging "$stage"']
    staged = [path for paths in blocked.values() for path in paths]
    for index, path in enumerate(staged):
        lines.append(f'mkdir "$stage/{index}" && mount --rbind {_quote(path)} "$stage/{index}"')
    for blocker in blocked:
        lines.append(f"mount -t tmpfs -o mode=0755 open {_quote(blocker)}")
    for index, path in enumerate(staged):
        lines.append(f'mkdir -p {_quote(path)} && mount --rbind "$stage/{index}" {_quote(path)}')
    lines.append(f'exec setpriv --reuid={UID} --regid={UID} --clear-groups -- "$@"')
    return ["unshare", "--mount", "--", "sh", "-c", "\n".join(lines), "sh", *map(str, argv)]


def _first_closed_folder(path: Path):
    """The highest folder above ``path`` (or ``path`` itself) that others cannot pass."""
    for folder in [*reversed(path.parents), path]:
        if folder.is_dir() and not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
