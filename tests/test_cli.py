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
