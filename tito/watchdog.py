"""Time limits on the learner's code: one mechanism for every command that runs it.

In this process, `time_limit(seconds)` raises `TimeLimit` where the code is when its
time runs out (SIGALRM, main thread; BaseException, so a learner's `except Exception`
cannot swallow it). Limits nest: only the innermost counts, `time_limit(None)` lifts the
outer one (a caller that waits on a child with a limit of its own), and when an inner
limit ends the outer clock starts again. `progress()` restarts the innermost clock: a
command's limit is on the time without progress, not on the whole run. The stop repeats
every second; code that swallows it HARD_STOP times ends the process (inside
`remove_on_hard_stop`, which names the temporary folder to remove first).

In a child process (`tito.children.run(..., timeout=)`), `arm()` hands the limit to
Python's faulthandler: after $TINYTORCH_TEST_TIMEOUT seconds without `progress()` it
writes where every thread is to $TINYTORCH_TEST_WATCHDOG, from a thread of its own that
runs even while the stuck code never returns to the interpreter, and exits; the parent
names that place (`stuck_at`). `python -m tito.watchdog script.py args` (or `-m module
args`) runs a program so armed.

As a pytest plugin (`-p tito.watchdog`) the clock restarts at every collected file and
every test; pytest-timeout does this per test but not while test modules are collected,
which is where an exported cell's endless loop at import shows up.
"""
from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import signal
import sys
import threading
import time
import traceback

LIMIT_ENV, FILE_ENV = "TINYTORCH_TEST_TIMEOUT", "TINYTORCH_TEST_WATCHDOG"
_report = None  # the open dump file of an armed child
_child_limit: float | None = None


class TimeLimit(BaseException):
    """The code ran longer than `seconds`; `where` says where it was (see `place`)."""

    def __init__(self, seconds: float, clock: _Clock):
        super().__init__(f"did not finish within {seconds:g} s")
        self.seconds = seconds
        self.clock = clock

    @property
    def where(self) -> str:
        return place(self)


class _Clock:
    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.fired = 0  # TimeLimits raised since the last restart
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def restart(self) -> None:
        self.fired = 0
        if self.seconds is not None:
            self.deadline = time.monotonic() + self.seconds


_clocks: list[_Clock] = []


def _usable() -> bool:
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


def _arm_alarm() -> None:
    clock = _clocks[-1] if _clocks else None
    if clock is None or clock.deadline is None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    # Fires again every second until the limit's block is left: code that swallows the
    # first TimeLimit is interrupted again.
    signal.setitimer(signal.ITIMER_REAL, max(clock.deadline - time.monotonic(), 1e-3), 1.0)


HARD_STOP = 5  # TimeLimits swallowed in a row (one a second) before the process ends itself
_leftovers: list[tuple[int, str]] = []  # (process, folder) to remove when it does: `remove_on_hard_stop`


def _alarm(signum, frame):
    clock = _clocks[-1] if _clocks else None
    if clock is None or clock.deadline is None:
        return
    clock.fired += 1
    mine = [folder for pid, folder in _leftovers if pid == os.getpid()]  # not in a forked worker
    if clock.fired > HARD_STOP and mine:  # code that catches BaseException and loops on: end it all
        import shutil

        from tito.export import shown_location

        where = frame and f" at {shown_location(frame.f_code.co_filename, frame.f_lineno)} in {frame.f_code.co_name}"
        sys.stderr.write(f"error: stopped: your code ran {clock.seconds:g} s without finishing (an endless "
                         f"loop?) and caught every attempt to stop it{where if frame else ''}\n")
        for folder in mine:
            shutil.rmtree(folder, ignore_errors=True)
        os._exit(2)
    raise TimeLimit(clock.seconds, clock)


@contextlib.contextmanager
def remove_on_hard_stop(folder):
    """Inside the block, this process may end itself when its code swallows every
    TimeLimit (HARD_STOP), and removes `folder` first."""
    entry = (os.getpid(), str(folder))
    _leftovers.append(entry)
    try:
        yield
    finally:
        _leftovers.remove(entry)


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Run the block under a limit of `seconds` (None: no limit, the outer one lifted)."""
    if seconds is not None and not seconds > 0:
        seconds = None
    if seconds is None and _report is not None:  # an armed child: its watchdog waits too
        faulthandler.cancel_dump_traceback_later()
        try:
            yield _Clock(None)
        finally:
            progress()
        return
    if not _usable():
        yield _Clock(seconds)
        return
    clock = _Clock(seconds)
    previous = signal.signal(signal.SIGALRM, _alarm) if not _clocks else None
    _clocks.append(clock)
    _arm_alarm()
    try:
        yield clock
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _clocks.remove(clock)
        if _clocks:
            _clocks[-1].restart()  # leaving an inner limit is progress
            _arm_alarm()
        elif previous is not None:
            signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def libraries_unlimited(own: str = "tinytorch"):
    """Inside the block, the first import of any module outside `own` runs without a limit:
    seconds spent importing PyTorch or SciPy on a loaded machine are not the learner's."""
    import builtins

    real = builtins.__import__

    def importing(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.partition(".")[0]
        if level or top == own or name in sys.modules:
            return real(name, globals, locals, fromlist, level)
        with time_limit(None):
            return real(name, globals, locals, fromlist, level)

    builtins.__import__ = importing
    try:
        yield
    finally:
        builtins.__import__ = real


def progress() -> None:
    """The code is moving on: restart the innermost clock (and an armed child's watchdog)."""
    if _report is not None and _child_limit:
        faulthandler.cancel_dump_traceback_later()
        faulthandler.dump_traceback_later(_child_limit, exit=True, file=_report)
        os.utime(_report.name)  # the parent's sign of progress (tito.children.run)
    if _clocks and _usable():
        _clocks[-1].restart()
        _arm_alarm()


def place(error: BaseException) -> str:
    """'activations_dev.py:42 in relu': the innermost frame of `error` outside tito, NumPy
    and importlib, as a dev-file line when it is in a generated package file."""
    from tito.export import shown_location

    own = os.path.dirname(os.path.abspath(__file__))
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith("<"):  # <frozen importlib._bootstrap> and the like
            continue
        path = os.path.abspath(frame.filename)
        if path.startswith(own) or any(f"{os.sep}{lib}{os.sep}" in path for lib in ("numpy", "scipy", "importlib")):
            continue
        return f"{shown_location(frame.filename, frame.lineno)} in {frame.name}"
    return ""


def stuck_at(dump: str) -> str:
    """Where faulthandler's dump says the main thread was: the innermost frame, as a dev-file line."""
    from tito.export import shown_location

    def found(text):
        return [f for f in re.findall(r'File "([^"]+)", line (\d+) in (\S+)', text) if not f[0].startswith("<")]

    frames = found(dump.split("\n\n")[-1] if dump else "") or found(dump)
    if not frames:
        return "an unknown place"
    filename, line, function = frames[0]  # faulthandler lists the innermost frame first
    return f"{shown_location(filename, int(line))} in {function}"


def arm() -> None:
    """In a child process: the limit its parent set ($TINYTORCH_TEST_TIMEOUT), restarted now."""
    global _report, _child_limit
    try:
        seconds = float(os.environ.get(LIMIT_ENV, ""))
    except ValueError:
        return
    path = os.environ.get(FILE_ENV)
    if not seconds > 0 or not path:
        return
    if _report is None:
        _report = open(path, "w", encoding="utf-8")  # kept open: faulthandler writes to its fd
    _child_limit = seconds
    progress()


# -- the pytest plugin ------------------------------------------------------------------------

def pytest_sessionstart(session):
    arm()


def pytest_collectstart(collector):
    progress()


def pytest_runtest_logstart(nodeid, location):
    progress()


def pytest_sessionfinish(session, exitstatus):
    faulthandler.cancel_dump_traceback_later()


# -- python -m tito.watchdog [-m module | script.py] args ...: a program under the limit --------

def _main(argv: list[str]) -> None:
    import runpy

    arm()
    if argv[:1] == ["-m"] and len(argv) > 1:
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":  # the state must live in tito.watchdog, where the program finds it
    from tito import watchdog

    watchdog._main(sys.argv[1:])
