"""The README's learner's loop, command by command, on a copy of this checkout: a learner
who follows it from `git clone` works on their own edition at every step.

The commands are read from the README's "The learner's loop" block, so the test and the
README cannot drift apart. `tito jupyter` starts a server (tests/test_jupyter.py runs it);
every other line runs as written.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from test_release import restore_solutions

ROOT = Path(__file__).resolve().parents[1]


def readme_loop() -> list[list[str]]:
    """The tito commands of the README's loop block, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## The learner's loop\s+```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no bash block under 'The learner's loop'"
    lines = [line.split("#", 1)[0].strip() for line in block[1].splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("tito ")]


def test_the_readme_loop_names_the_learners_steps():
    verbs = [command[1] for command in readme_loop()]
    assert verbs[0] == "start" and {"test", "check", "plot", "sync", "bench", "status"} <= set(verbs), verbs


def test_a_learner_following_the_readme_works_on_their_own_edition(real_project, tmp_path):
    seen = {}
    for command in readme_loop():
        if command[1] == "jupyter":
            continue
        args = command[1:] + (["--out", str(tmp_path / "plots")] if command[1] == "plot" else [])
        done = real_project.tito(*args)
        said = done.stdout + done.stderr
        assert "Traceback" not in said, f"{' '.join(command)}:\n{said}"
        assert done.returncode in (0, 1), f"{' '.join(command)} (exit {done.returncode}):\n{said}"
        seen[command[1]] = done
    release = real_project.root / "assignments" / "release"
    assert (real_project.root / ".tito" / "workspace").exists() and release.is_dir()
    # Judging commands say first that they judge the learner's edition, and the untouched one fails.
    test = seen["test"]
    assert "your edition" in test.stdout.splitlines()[0], test.stdout[:500]
    assert test.returncode == 1 and "not started" in test.stdout
    # The learner writes module 01 in their own file: tito test passes, without a sync.
    dev = next((release / "01_tensor").glob("*_dev.py"))
    reference = next((real_project.root / "assignments" / "source" / "01_tensor").glob("*_dev.py"))
    dev.write_text(restore_solutions(dev.read_text(), reference.read_text()))
    again = real_project.tito("test", "tensor")
    assert again.returncode == 0 and "your edition" in again.stdout.splitlines()[0], again.stdout[-2000:]
    # ... and the reference was never judged or exported in their place.
    assert "not implemented yet" in (real_project.root / "tinytorch" / "core" / "activations.py").read_text()
