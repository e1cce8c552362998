"""Child processes that never outlive tito: each runs in its own process group, and
Ctrl-C or SIGTERM to tito ends the whole group before tito cleans up and exits."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tito import watchdog

# The environment of a child whose NumPy computes on one thread: on a busy machine a BLAS that
# spreads each small matrix product over every core is several times slower, not faster.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cores() -> int:
    """The cores this process may run on (a CPU affinity mask, as in a container, can leave fewer than the
    machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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


def signal_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the process group `pid`; a group already gone is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _end_group(process: subprocess.Popen) -> None:
    signal_group(process.pid)
    with contextlib.suppress(Exception):
        process.wait(5)


@dataclass
class Finished:
    """How a child ended: `returncode`, `stdout` (with stderr, when captured), and whether
    it ran out of time (`timed_out`) and where it was then (`stuck_at`, when it said)."""

    returncode: int
    stdout: str = ""
    timed_out: bool = False
    stuck_at: str = ""


GRACE = 30.0  # seconds the parent waits beyond a child's own limit before it ends the group
POLL = 5.0  # seconds between the parent's looks at the child's progress


def run(command: list[str], *, cwd=None, env=None, capture: bool = False,
        timeout: float | None = None) -> Finished:
    """Run `command` to its end in a process group of its own; stdout and stderr together
    in `.stdout` when `capture`. Whatever the group still runs afterwards is ended too.

    `timeout`: seconds the child may run without progress. A child that arms
    `tito.watchdog` (pytest with `-p tito.watchdog`, `python -m tito.watchdog ...`) stops
    itself then and says where it was; any other is ended `GRACE` seconds later.
    """
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="tinytorch-watchdog-") as tmp, signals_as_interrupt(), \
            watchdog.time_limit(None):  # the child's own limit counts, not this process's
        dump = Path(tmp) / "watchdog.txt"
        if timeout is not None:
            env.update({watchdog.LIMIT_ENV: str(timeout), watchdog.FILE_ENV: str(dump)})
        process = subprocess.Popen(command, cwd=cwd, env=env, text=True, start_new_session=True,
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE if capture else None,
                                   stderr=subprocess.STDOUT if capture else None)
        timed_out, output, started = False, "", time.time()
        try:
            while True:
                try:
                    output, _ = process.communicate(timeout=None if timeout is None else POLL)
                    break
                except subprocess.TimeoutExpired:
                    # an armed child touches the watchdog file at every step: the limit is
                    # on time without progress, not on the whole run
                    last = max(started, dump.stat().st_mtime if dump.exists() else started)
                    if time.time() - last > timeout + GRACE:
                        timed_out = True
                        break
        finally:
            _end_group(process)
        text = dump.read_text(encoding="utf-8", errors="replace").strip() if dump.exists() else ""
    return Finished(process.returncode, output or "", timed_out or bool(text),
                    watchdog.stuck_at(text) if text else "")
