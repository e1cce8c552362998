"""Fixtures for the tests of tito itself: a small throwaway TinyTorch checkout."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DEMO_DEV = '''\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Demo: a module with one function

# %%
#| default_exp core.demo

# %%
#| export
import numpy as np

# %%
#| export
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * np.asarray(x)
    ### END SOLUTION

# %%
assert double(2) == 4
'''

DEMO_TEST = '''\
from tinytorch.core.demo import double

def test_double_of_three_is_six():
    assert double(3) == 6, "double(3) should be 6"

def test_double_keeps_shape():
    assert double([[1, 2]]).shape == (1, 2)
'''


class Project:
    """A TinyTorch checkout in a temporary folder, and a way to run tito on it."""

    def __init__(self, root: Path):
        self.root = root

    def module(self, folder: str = "01_demo") -> Path:
        return self.root / "assignments" / "source" / folder

    def tito(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return self.tito_env({}, *args, check=check)

    def tito_env(self, extra: dict, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        env = dict(os.environ, TINYTORCH_ROOT=str(self.root), COLUMNS="200", NO_COLOR="1", **extra)
        env.pop("PYTHONPATH", None)
        done = subprocess.run([sys.executable, "-m", "tito", *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=600)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "tt"
    (root / "tinytorch" / "core").mkdir(parents=True)
    (root / "tinytorch" / "__init__.py").write_text("")
    (root / "tinytorch" / "core" / "__init__.py").write_text("")
    module = root / "assignments" / "source" / "01_demo"
    (module / "tests").mkdir(parents=True)
    (module / "demo_dev.py").write_text(DEMO_DEV)
    (module / "tests" / "test_demo.py").write_text(DEMO_TEST)
    (module / "module.yaml").write_text("title: Demo\nexports: {}\n")
    return Project(root)


@pytest.fixture
def real_project(tmp_path: Path) -> Project:
    """A copy of this very checkout (sources and package), safe to change."""
    root = tmp_path / "checkout"
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "plots", ".hypothesis", "*.egg-info")
    shutil.copytree(ROOT, root, ignore=ignore)
    return Project(root)
