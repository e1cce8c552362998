"""The tito command line: module names, user mistakes, and the learner's files."""
from __future__ import annotations

import hashlib

import pytest


@pytest.mark.parametrize("name", ["demo", "01", "1", "01_demo", "assignments/source/01_demo"])
def test_every_way_of_naming_a_module_works(project, name):
    assert project.tito("sync", "--module", name).returncode == 0


@pytest.mark.parametrize("command", [["test"], ["sync"], ["status"]])
def test_unknown_module_lists_known_ones_and_suggests_the_closest(project, command):
    done = project.tito(*command, "dmeo")
    out = done.stdout + done.stderr
    assert done.returncode == 2
    assert "unknown module 'dmeo'" in out and "01 demo" in out
    assert "did you mean 'demo'" in out
    assert "Traceback" not in out


def test_bad_option_is_a_usage_error_without_traceback(project):
    done = project.tito("sync", "--no-such-flag")
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_of_every_command(project):
    from tito.main import _commands
    for command in _commands():
        done = project.tito(command.NAME, "--help")
        assert done.returncode == 0 and command.NAME in done.stdout


SAFE_RUNS = [["sync"], ["sync", "--check"], ["test", "demo"], ["test", "--all"], ["status"],
             ["status", "--test"], ["doctor"]]


@pytest.mark.parametrize("args", SAFE_RUNS, ids=lambda a: " ".join(a))
def test_no_command_changes_the_learners_dev_file(project, args):
    dev = project.module() / "demo_dev.py"
    before = hashlib.sha256(dev.read_bytes()).hexdigest()
    project.tito(*args)
    assert hashlib.sha256(dev.read_bytes()).hexdigest() == before, f"`tito {' '.join(args)}` changed the dev file"


def test_status_shows_each_module_and_its_sync_state(project):
    out = project.tito("status", check=True).stdout
    assert "demo" in out and "not exported" in out
    project.tito("sync", check=True)
    assert "in sync" in project.tito("status", check=True).stdout


def test_doctor_lists_dependencies_with_versions(project):
    done = project.tito("doctor")
    assert "numpy" in done.stdout and "jupytext" in done.stdout and "Python" in done.stdout
    import numpy
    assert numpy.__version__ in done.stdout


def test_the_set_up_script_refuses_sh_and_being_run_with_a_clear_message():
    """`sh bin/activate-tinytorch.sh` used to do nothing, silently; bash run (not sourced) too."""
    import subprocess
    from pathlib import Path

    script = str(Path(__file__).resolve().parents[1] / "bin" / "activate-tinytorch.sh")
    for shell in (["sh", script], ["sh", "-c", f". {script}"]):
        done = subprocess.run(shell, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and "needs bash or zsh" in done.stderr, (shell, done.stderr)
    done = subprocess.run(["bash", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "source this file, do not run it" in done.stderr, done.stderr


def test_doctor_counts_what_the_tests_need_with_the_set_up_as_the_fix(monkeypatch, capsys):
    from importlib import metadata

    from tito.commands import doctor

    real = metadata.version

    def version(name):
        if name == "nbgrader":
            raise metadata.PackageNotFoundError(name)
        return "2.14.1" if name == "torch" else real(name)

    monkeypatch.setattr(doctor.metadata, "version", version)
    assert doctor.run(None) == 1
    out = capsys.readouterr().out
    assert "missing" in out and "wrong version" in out and "To fix:" in out
    assert "source bin/activate-tinytorch.sh" in out and "TINYTORCH_EXTRAS" not in out
    monkeypatch.setattr(doctor.metadata, "version", lambda name: "2.13.0+cpu" if name == "torch" else real(name))
    monkeypatch.setenv("TINYTORCH_HIDE_TORCH", "1")
    assert doctor.run(None) == 0, "a CPU build meets the pin; hidden PyTorch is a note, not a fault"
    assert "TINYTORCH_HIDE_TORCH" in capsys.readouterr().out


FAKE_PYTHON = r'''#!/usr/bin/env bash
# A stand-in for python3 and the venv's python: logs each call; `pip install` of torch
# without an index fails (no local wheel), every other install "succeeds".
echo "$*" >> "$FAKE_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" "$3/lib/python3.11/site-packages"
    cp "$0" "$3/bin/python"
    echo 'VIRTUAL_ENV=fake' > "$3/bin/activate"
    exit 0
fi
case "$*" in
    *--no-index*torch*) exit 1 ;;
    *torch==*) mkdir -p "$(dirname "$0")/../lib/python3.11/site-packages/torch-2.13.0+cpu.dist-info" ;;
    *-e*) mkdir -p "$(dirname "$0")/../lib/python3.11/site-packages/nbgrader-0.9.6.dist-info" ;;
esac
exit 0
'''


def test_the_set_up_installs_the_cpu_build_of_torch_and_everything_the_tests_need(tmp_path):
    """Without a local torch wheel the set-up takes torch alone from PyTorch's CPU index (PyPI's
    Linux torch is the CUDA build), then TinyTorch with the extras the tests use; sourcing it
    again installs nothing."""
    import os
    import platform
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    root = tmp_path / "clone"
    (root / "bin").mkdir(parents=True)
    for name in ("pyproject.toml", "bin/activate-tinytorch.sh"):
        (root / name).write_text((repo / name).read_text())
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {k: v for k, v in os.environ.items() if k not in ("TINYTORCH_EXTRAS", "VIRTUAL_ENV")}
    env.update(TINYTORCH_PYTHON=str(fake), FAKE_LOG=str(log))
    script = f"source {root}/bin/activate-tinytorch.sh && echo ACTIVE=$VIRTUAL_ENV"
    first = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and "ACTIVE=fake" in first.stdout, first.stdout + first.stderr
    calls = [line for line in log.read_text().splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert len(calls) == 3, calls
    assert "--no-index" in calls[0] and "torch==2.13.0" in calls[0]
    cpu_index = "--index-url https://download.pytorch.org/whl/cpu"
    if platform.system() == "Darwin":  # PyPI's macOS torch is the CPU build
        assert cpu_index not in calls[1] and "torch==2.13.0" in calls[1]
    else:
        assert cpu_index in calls[1] and "torch==2.13.0" in calls[1]
    assert "--no-deps" in calls[1], "only torch from the CPU index; its dependencies from the usual index"
    assert calls[2].endswith(f"-e {root}[torch,grading,lint]"), calls[2]
    log.unlink()
    again = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "ACTIVE=fake" in again.stdout and not log.exists(), "nothing to install"


def test_status_at_80_columns_gives_each_module_one_line(project):
    """A module's row never wraps: the title is cut to the width that is left."""
    import os
    import subprocess
    import sys

    meta = project.module() / "module.yaml"
    meta.write_text(meta.read_text().replace("title: Demo", "title: " + "A very long title, " * 6))
    env = dict(os.environ, TINYTORCH_ROOT=str(project.root), COLUMNS="80", NO_COLOR="1")
    done = subprocess.run([sys.executable, "-m", "tito", "status"], cwd=project.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), done.stdout
    assert sum("A very long" in line for line in lines) == 1, done.stdout
