"""Helpers for the tests of `tito check` and `tito plot`: a copy of the modules' dev files
in a temporary folder (a workspace), ways to break it, and a way to run tito on it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus",
               "softmax", "log_softmax")

# Defects a learner could write, appended to the activations dev file as an exported cell.
INACCURATE_SIGMOID = """
def sigmoid(x):
    d = x.data
    out = 0.5 * (1 + np.tanh(d / 2))  # cancels for x << 0
    return Tensor(out.astype(d.dtype if d.dtype.kind == "f" else np.float32))
"""
OVERFLOWING_SOFTMAX = """
def softmax(x, dim=-1):
    d = x.data
    e = np.exp(d)  # no max subtraction: inf / inf once a logit passes 88.7
    return Tensor(e / e.sum(axis=dim, keepdims=True))
"""
TANH_STUB = """
def _tanh_stub(self, x):
    raise NotImplementedError("Tanh.forward: return tanh(x)")
Tanh.forward = _tanh_stub
"""
ELU_ENDLESS_LOOP = """
def _elu_loop(self, x):
    while True:
        pass
ELU.forward = _elu_loop
"""
SILU_CRASH = """
def _silu_crash(self, x):
    return 1 / 0
SiLU.forward = _silu_crash
"""
SOFTPLUS_SWALLOWS_EVERYTHING = """
def _softplus_stubborn(self, x):
    while True:
        try:
            while True:
                pass
        except BaseException:  # even the time limit's own signal
            pass
Softplus.forward = _softplus_stubborn
"""


def workspace(dest: Path) -> Path:
    """A copy of assignments/source: what a learner works in, safe to break."""
    shutil.copytree(ROOT / "assignments" / "source", dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return dest


def dev_file(ws: Path) -> Path:
    return ws / "02_activations" / "activations_dev.py"


def patch(ws: Path, *defects: str) -> Path:
    """Append each defect to the activations dev file as a cell of its own, exported."""
    with dev_file(ws).open("a", encoding="utf-8") as handle:
        for defect in defects:
            handle.write("\n\n# %%\n#| export\n" + textwrap.dedent(defect).strip("\n") + "\n")
    return ws


def tito(ws: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m tito ...` working in the workspace `ws` (and with it as the working folder)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", NO_COLOR="1", TINYTORCH_ROOT=str(ROOT),
               TINYTORCH_SOURCE=str(ws))
    return subprocess.run([sys.executable, "-m", "tito", *args], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=timeout)


def check_json(package: Path, *args: str) -> tuple[int, dict]:
    done = tito(package, "check", "activations", "--json", *args)
    assert done.stdout.strip().startswith("{"), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def rows(report: dict) -> dict:
    return {f["name"]: f for f in report["functions"]}


def describe(row: dict) -> str:
    """A row's problems, for assertion messages."""
    return "; ".join(f"{c['name']}={c['status']}: {c['reason']}" for c in row["checks"] if c["status"] != "pass")
