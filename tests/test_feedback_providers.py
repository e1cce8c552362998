"""What each module's own feedback offers (`tito plot`, `tito bench`), found in its folder.

A module's figures and benchmarks live in its folder's feedback.py (never in tito); these
tests ask every module that offers them, on the reference solutions, through the real
commands. Module 02's figures have tests of their own (test_plot.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tito.modules import all_modules
from tito.offers import provider

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "source"
MODULES = all_modules(SOURCE)


def tito(*args: str) -> subprocess.CompletedProcess:
    """tito on this checkout's reference solutions (plot and bench write nothing into it)."""
    env = dict(os.environ, TINYTORCH_ROOT=str(ROOT), COLUMNS="200", NO_COLOR="1", MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)
    env.pop("TINYTORCH_SOURCE", None)
    return subprocess.run([sys.executable, "-m", "tito", *args, "--from", "source"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def _offering(what: str, leave_out=("activations",)) -> list[str]:
    return [m.name for m in MODULES if m.name not in leave_out and hasattr(provider(m) or object(), what)]


def test_no_module_declares_a_provider_inside_tito_when_its_folder_has_one():
    for module in MODULES:
        if (module.path / "feedback.py").exists():
            assert "feedback" not in module.meta, f"{module.folder}/module.yaml: its feedback.py is found by itself"


def test_no_module_of_03_to_13_keeps_a_check_of_its_own():
    """Their report card is built from their tests; only module 02 adds a report of its own."""
    keeps = [m.name for m in MODULES if m.number > "02" and hasattr(provider(m) or object(), "check")]
    assert keeps == [], keeps


@pytest.mark.parametrize("name", _offering("figures"))
def test_plot_writes_every_figure_the_module_offers(tmp_path, name):
    figures = provider(next(m for m in MODULES if m.name == name)).FIGURES
    done = tito("plot", name, "--out", str(tmp_path / name))
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.stem for p in (tmp_path / name).glob("*.png")} == set(figures), done.stdout


@pytest.mark.parametrize("name", _offering("bench"))
def test_bench_measures_every_case_once(name):
    done = tito("bench", name, "--repeats", "1", "--json")
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: slower than a target, on a busy machine
    card = json.loads(done.stdout)
    assert card["rows"], card
    assert "Traceback" not in done.stderr
