"""The modules themselves through tito grade: the reference solution scores 100, the untouched
student edition 0, and a submission that computes nothing (tests/computes_nothing.py) at most 10.

Grading a module takes minutes on two cores, so the suite grades one module, the one whose
tests run fastest; TINYTORCH_GRADE_MODULES=all (or a list: 02,04) grades others, and
benchmarks/nothing_scores.py prints the table for every module.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from computes_nothing import variant

from tito.modules import all_modules
from tito.release import make_edition

ROOT = Path(__file__).resolve().parents[1]
MODULES = {m.folder: m for m in all_modules(ROOT / "assignments" / "source")}
SAMPLE = "07_data"   # the quickest to grade of the course's modules
CHOSEN = os.environ.get("TINYTORCH_GRADE_MODULES", SAMPLE)
NAMES = list(MODULES) if CHOSEN == "all" else [f for f in MODULES if any(f.startswith(n) or f.endswith(n)
                                                                         for n in CHOSEN.split(","))]


@pytest.mark.parametrize("folder", NAMES)
def test_only_the_right_values_earn_points(folder, tmp_path):
    module = MODULES[folder]
    text = module.dev_file.read_text(encoding="utf-8")
    cases = {"reference": text, "edition": make_edition(text, module.dev_file.name).py,
             "zeros": variant(text, "zeros"), "input": variant(text, "input")}
    for name, case in cases.items():
        (tmp_path / f"{name}.py").write_text(case, encoding="utf-8")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-m", "tito", "grade", "-m", folder,
                           *(str(tmp_path / f"{n}.py") for n in cases), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    scores = {Path(r["submission"]).stem: r["score"] for r in json.loads(done.stdout)}
    assert scores["reference"] == 100 and scores["edition"] == 0, scores
    assert scores["zeros"] <= 10 and scores["input"] <= 10, scores
