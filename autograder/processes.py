"""Ending a process with everything it started: the kit's one way to stop a sandbox or a
judge process, whatever the code below it did to escape (a new session, a double fork)."""
import os
import signal
import subprocess

import psutil


def kill_tree(process: subprocess.Popen) -> None:
    """Kill ``process``, the session it leads, and every process below it; reap it."""
    try:
        below = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        below = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    for child in below:  # those that left the session
        try:
            child.kill()
        except psutil.Error:
            pass
    try:
        process.kill()
    except OSError:
        pass
    process.wait()
