"""pytest plugin of the judge (tito.grading.judge): each test's outcome and points.

Loaded with `-p tito.grading.plugin` in the judge, a process that never imports the
submission; `results()` is what the judge writes for tito grade once pytest is done.
A test is worth 1 point, or n with `@pytest.mark.points(n)`. Hypothesis keeps the module's
settings but skips shrinking (and explaining) a failing example: the outcome of a test is the
same, and a failing submission is graded about ten times faster. Test ids lose memory addresses
(" at 0x7f..." from a parameter's repr), so the reference's collection and a submission's run
name the same test the same way.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

_RANK = {"passed": 0, "skipped": 1, "failed": 2}
_points: dict[str, float] = {}
_outcomes: dict[str, dict] = {}
_errors: list[dict] = []
_names: dict[str, str] = {}  # pytest's node id -> the stable id reported


def _stable(nodeid: str) -> str:
    name = re.sub(r" at 0x[0-9a-fA-F]+", "", nodeid)
    if name in _names.values():
        n = 2
        while f"{name}#{n}" in _names.values():
            n += 1
        name = f"{name}#{n}"
    return name


def _message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    if report.skipped and isinstance(report.longrepr, tuple):
        text = "skipped: " + str(report.longrepr[2])
    return text.strip()[:600]


@pytest.hookimpl(trylast=True)  # after the module's conftest and hypothesis chose their settings
def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what the test is worth in `tito grade` (default 1)")
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    current = settings.default
    settings.register_profile("tito-grade", parent=current, database=None,
                              phases=[p for p in current.phases if p not in (Phase.shrink, Phase.explain)])
    settings.load_profile("tito-grade")


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        marker = item.get_closest_marker("points")
        _names[item.nodeid] = _stable(item.nodeid)
        _points[_names[item.nodeid]] = float(marker.args[0]) if marker and marker.args else 1.0


def pytest_collectreport(report):
    if report.failed:
        _errors.append({"where": report.nodeid, "message": _message(report)})


def pytest_runtest_logreport(report):
    outcome = "passed" if report.passed else "skipped" if report.skipped else "failed"
    if outcome == "passed" and report.when != "call":
        return
    name = _names.get(report.nodeid, report.nodeid)
    previous = _outcomes.get(name)
    if previous is None or _RANK[outcome] > _RANK[previous["outcome"]]:
        _outcomes[name] = {"outcome": outcome, "message": "" if outcome == "passed" else _message(report)}


def results() -> dict:
    return {"points": _points, "outcomes": _outcomes, "errors": _errors}


@pytest.fixture
def tmp_path(tmp_path: Path) -> Path:
    """The test's folder, also writable by the submission's worker (its own user id in isolated mode)."""
    base = Path(os.environ.get("TINYTORCH_GRADE_TMP", tmp_path.anchor))
    for folder in [tmp_path, *tmp_path.parents]:
        if folder == base or base not in folder.parents:
            break
        folder.chmod(0o777)
    if base in tmp_path.parents:
        base.chmod(0o711)
    return tmp_path
