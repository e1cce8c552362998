"""tito milestone: every milestone reaches its stated result on the reference package,
writes its figures under plots/ in the current folder (git-ignored), and the command finds
milestones by their milestone.yaml alone. The suite runs `tito milestone --quick`: lenet
then trains for one epoch on 6,000 digits, lstm for 60 steps and gpt for 40, and each states
that shortened result (their full runs take minutes)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {"perceptron": ["perceptron_boundary.png"], "xor": ["xor_boundaries.png"],
           "digits": ["digits_curves.png", "digits_confusion.png", "digits_misclassified.png"],
           "lenet": ["lenet_filters.png", "lenet_feature_maps.png", "lenet_confusion.png", "lenet_misclassified.png"],
           "lstm": ["lstm_curves.png"], "gpt": ["gpt_loss_curves.png"]}


def tito(*args, cwd, root=ROOT):
    env = dict(os.environ, TINYTORCH_ROOT=str(root), COLUMNS="200", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "tito", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def test_every_milestone_reaches_its_stated_result(tmp_path):
    done = tito("milestone", "--quick", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "MISSED" not in done.stdout and done.stdout.count("reached") >= 16
    assert done.stdout.count("shortened run (--quick") == 3, \
        "lenet, lstm and gpt must say that the suite's run is shortened"
    for name, files in FIGURES.items():
        for file in files:
            path = tmp_path / "plots" / "milestones" / name / file
            assert path.exists(), f"{name} did not write {file} under plots/ in the current folder"
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000


def test_milestones_declare_themselves(tmp_path):
    specs = sorted((ROOT / "milestones").glob("*/milestone.yaml"))
    assert [yaml.safe_load(s.read_text())["name"] for s in specs] == list(FIGURES)
    for spec in specs:
        assert (spec.parent / yaml.safe_load(spec.read_text())["script"]).exists()
        assert (spec.parent / "README.md").exists()
    command = (ROOT / "tito" / "commands" / "milestone.py").read_text()
    assert not any(f'"{name}"' in command for name in FIGURES), "the command must not name a milestone"
    listed = tito("milestone", "--list", cwd=tmp_path)
    assert listed.returncode == 0 and all(name in listed.stdout for name in FIGURES)


def test_a_missed_result_and_an_unknown_name_exit_non_zero(tmp_path):
    unknown = tito("milestone", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "Known milestones: perceptron, xor, digits, lenet, lstm, gpt" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    fake = tmp_path / "checkout"
    (fake / "assignments" / "source").mkdir(parents=True)
    (fake / "milestones" / "01_fails").mkdir(parents=True)
    (fake / "milestones" / "01_fails" / "milestone.yaml").write_text(
        "name: fails\nyear: 2000\nscript: fails.py\nresult: never\n")
    (fake / "milestones" / "01_fails" / "fails.py").write_text("import sys\nprint('short of it')\nsys.exit(1)\n")
    done = tito("milestone", "fails", cwd=tmp_path, root=fake)
    assert done.returncode == 1 and "missed" in done.stdout
