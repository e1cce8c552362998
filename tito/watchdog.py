"""A pytest plugin that stops a run stuck in learner code: `-p tito.watchdog`.

A test (or the import of a test module, where an exported cell's endless loop hangs)
that takes longer than $TINYTORCH_TEST_TIMEOUT seconds ends the run: Python's
faulthandler writes where every thread is to the file $TINYTORCH_TEST_WATCHDOG, from a
thread of its own that runs even while the stuck code never returns to the interpreter,
and exits; `tito test` then reports a time-out naming that place. pytest-timeout does
this per test but not while test modules are collected, which is where an endless loop
at import shows up. The clock restarts at every collected file and every test.
"""
from __future__ import annotations

import faulthandler
import os

LIMIT_ENV, FILE_ENV = "TINYTORCH_TEST_TIMEOUT", "TINYTORCH_TEST_WATCHDOG"
_report = None


def _restart() -> None:
    global _report
    try:
        seconds = float(os.environ.get(LIMIT_ENV, ""))
    except ValueError:
        return
    path = os.environ.get(FILE_ENV)
    if not seconds > 0 or not path:
        return
    if _report is None:
        _report = open(path, "w", encoding="utf-8")  # kept open: faulthandler writes to its fd
    faulthandler.cancel_dump_traceback_later()
    faulthandler.dump_traceback_later(seconds, exit=True, file=_report)


def pytest_sessionstart(session):
    _restart()


def pytest_collectstart(collector):
    _restart()


def pytest_runtest_logstart(nodeid, location):
    _restart()


def pytest_sessionfinish(session, exitstatus):
    faulthandler.cancel_dump_traceback_later()
