"""Child processes that never outlive tito: each runs in its own process group, and
Ctrl-C or SIGTERM to tito ends the whole group before tito cleans up and exits."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def signals_as_interrupt():
    """SIGTERM and SIGHUP raise KeyboardInterrupt here, so `finally` blocks and temporary
    folders are cleaned up as for Ctrl-C (Python's default for them is to die at once)."""
    saved = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            saved[sig] = signal.signal(sig, _interrupt)
        except ValueError:  # not the main thread: leave the handlers alone
            pass
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _end_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    with contextlib.suppress(Exception):
        process.wait(5)


def run(command: list[str], *, cwd=None, env=None, capture: bool = False) -> subprocess.CompletedProcess:
    """Run `command` to its end in a process group of its own; stdout and stderr together
    in `.stdout` when `capture`. Whatever the group still runs afterwards is ended too."""
    with signals_as_interrupt():
        process = subprocess.Popen(command, cwd=cwd, env=env, text=True, start_new_session=True,
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE if capture else None,
                                   stderr=subprocess.STDOUT if capture else None)
        try:
            output, _ = process.communicate()
        finally:
            _end_group(process)
    return subprocess.CompletedProcess(command, process.returncode, output or "", "")
