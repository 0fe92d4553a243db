"""What the judge keeps between gradings on this machine: the time budgets it measured,
and the data a released notebook's locked cell computes (the digits split, whose cell
imports scikit-learn: a second and a half at every grading).

Each thing is kept in one private folder of the grading user's (``AUTOGRADER_CALIBRATION_CACHE``
names another; ``off`` keeps nothing), under a name made from everything it depends
on, and with that description inside: when any of it changes, it is computed again.
A file is believed only when no one but this user could have written it (budgets or
data someone else wrote would change grades), and written atomically.
"""
import hashlib
import io
import json
import os
import stat
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

CACHE_VARIABLE = "AUTOGRADER_CALIBRATION_CACHE"


def versions(packages) -> dict:
    """``{package: installed version or None}``."""
    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def path_for(kind: str, on: dict, suffix: str):
    """Where the ``kind`` of thing computed under ``on`` is kept; None to keep nothing."""
    folder = _folder()
    if folder is None:
        return None
    key = hashlib.sha256(json.dumps(on, sort_keys=True).encode()).hexdigest()
    return folder / f"{kind}-{key[:16]}{suffix}"


def read_json(path: Path):
    """The kept JSON object, or None (absent, unreadable, or writable by others)."""
    try:
        if not _private(path):
            return None
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def keep_json(path: Path, data: dict) -> None:
    _keep(path, json.dumps(data, indent=2).encode())


def arrays(kind: str, on: dict, compute) -> tuple:
    """``compute()``, a tuple of numeric arrays, kept under ``on``: read back when kept
    (as arrays only, never pickled objects), else computed and kept."""
    path = path_for(kind, on, ".npz")
    if path is not None:
        try:
            if _private(path):
                with np.load(path, allow_pickle=False) as archive:
                    if json.loads(str(archive["on"])) == on:
                        return tuple(archive[str(index)] for index in range(len(archive.files) - 1))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # unreadable: computed again
            pass
    values = compute()
    if path is not None and all(isinstance(value, np.ndarray) and value.dtype.kind in "biuf" for value in values):
        buffer = io.BytesIO()
        np.savez(buffer, on=np.array(json.dumps(on, sort_keys=True)), **{str(i): v for i, v in enumerate(values)})
        _keep(path, buffer.getvalue())
    return values


def _folder():
    """The folder, made private to this user; None to keep nothing."""
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen == "off":
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "autograder" if not chosen else Path(chosen)
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(base):
            return None
    except OSError:
        return None
    return base


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else."""
    info = path.stat()
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _keep(path: Path, content: bytes) -> None:
    from autograder.report.results import write_bytes_atomically

    try:
        write_bytes_atomically(path, content, mode=0o600)
    except OSError:
        pass  # an unwritable folder costs a computation next time, nothing more
