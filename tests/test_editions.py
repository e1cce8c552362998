"""Which edition a command judges: `tito start` makes the learner's own the default of the
clone, every judging command says on its first line which one it judges, and `tito sync`
never puts the reference solutions over a learner's work without --force. Then what
`tito test` says first: an earlier module that is not finished, and true exercise labels."""
from __future__ import annotations

import json

from test_bad_input import FEEDBACK

YOURS = "your edition (assignments/release, set by `tito start`)"
REFERENCE = "the reference solutions (assignments/source"


def _feedback(project) -> None:
    (project.root / "demo_feedback.py").write_text(FEEDBACK)
    meta = project.module() / "module.yaml"
    meta.write_text(meta.read_text() + "feedback: demo_feedback\n")


def _milestone(project) -> None:
    folder = project.root / "milestones" / "01_twice"
    folder.mkdir(parents=True)
    (folder / "milestone.yaml").write_text("name: twice\nyear: 2000\nscript: twice.py\nresult: 6\n")
    (folder / "twice.py").write_text(f"import sys\nsys.path.insert(0, {str(project.root)!r})\n"
                                     "from tinytorch.core.demo import double\nsys.exit(0 if double(3) == 6 else 1)\n")


def _first_lines(project, tmp_path) -> dict[str, str]:
    """The first line each judging command prints (stderr for --json)."""
    runs = {"test": ["test", "demo"], "check": ["check", "demo"], "check --json": ["check", "demo", "--json"],
            "plot": ["plot", "demo", "--out", str(tmp_path / "plots")], "bench": ["bench", "demo"],
            "bench --json": ["bench", "demo", "--json"], "sync --check": ["sync", "--check"],
            "status": ["status"], "sync": ["sync"], "milestone": ["milestone", "twice", "--out", str(tmp_path / "m")]}
    first = {}
    for name, args in runs.items():
        done = project.tito(*args)
        assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        out = done.stderr if "--json" in args else done.stdout
        first[name] = (out.splitlines() or [""])[0]
        if "--json" in args:
            json.loads(done.stdout)  # stdout stays pure JSON
    return first


def test_before_tito_start_every_judging_command_says_it_judges_the_reference(project, tmp_path):
    _feedback(project)
    _milestone(project)
    project.tito("sync", check=True)
    for name, line in _first_lines(project, tmp_path).items():
        if name == "milestone":
            assert "tinytorch/" in line and REFERENCE in line, (name, line)
        else:
            assert REFERENCE in line and "tito start" in line, (name, line)


def test_tito_start_makes_the_learners_edition_the_default_once_and_keeps_it(project, tmp_path):
    _feedback(project)
    _milestone(project)
    done = project.tito("start")
    assert done.returncode == 0, done.stdout + done.stderr
    dev = project.root / "assignments" / "release" / "01_demo" / "demo_dev.py"
    assert 'raise NotImplementedError("double: not implemented yet")' in dev.read_text()
    assert (project.root / ".tito" / "workspace").read_text().strip() == "release"
    package = (project.root / "tinytorch" / "core" / "demo.py").read_text()
    assert "assignments/release/01_demo/demo_dev.py" in package and "not implemented yet" in package

    dev.write_text(dev.read_text().replace('raise NotImplementedError("double: not implemented yet")',
                                           "return 2 * np.asarray(x)"))  # the learner writes double
    again = project.tito("start")
    assert again.returncode == 0 and "already" in again.stdout
    assert "return 2 * np.asarray(x)" in dev.read_text(), "a second start never replaces the learner's work"
    for name, line in _first_lines(project, tmp_path).items():
        if name == "milestone":
            assert "tinytorch/" in line and "your edition (assignments/release)" in line, (name, line)
        else:
            assert YOURS in line, (name, line)
    assert "return 2 * np.asarray(x)" in (project.root / "tinytorch" / "core" / "demo.py").read_text()
    assert project.tito("test", "demo").returncode == 0
    reference = project.tito("test", "demo", "--from", "source")
    assert reference.returncode == 0 and reference.stdout.startswith(
        "testing the reference solutions (assignments/source, set by --from)")


def test_sync_never_puts_the_reference_over_a_learners_package_without_force(project):
    project.tito("start", check=True)
    target = project.root / "tinytorch" / "core" / "demo.py"
    learners = target.read_text()
    refused = project.tito("sync", "--from", "source")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "holds code exported from your edition (assignments/release)" in refused.stderr, refused.stderr
    assert "--force" in refused.stderr and target.read_text() == learners
    check = project.tito("sync", "--check", "--from", "source")
    assert check.returncode == 1 and "other edition" in check.stdout, check.stdout
    assert "--from source" not in check.stdout.split("\n", 1)[1], "no advice that exports the reference over it"
    status = project.tito("status", "--from", "source")
    assert "--from source" not in status.stdout.split("\n", 1)[1] and "your edition" in status.stdout, status.stdout
    forced = project.tito("sync", "--from", "source", "--force")
    assert forced.returncode == 0 and "assignments/source" in target.read_text()
    assert project.tito("sync").returncode == 0, "the learner's own edition may replace the reference"
    assert target.read_text() == learners


def _second_module(project, root="source"):
    """Module 02 `quad`, whose tests use module 01's double."""
    folder = project.root / "assignments" / root / "02_quad"
    (folder / "tests").mkdir(parents=True)
    (folder / "module.yaml").write_text("name: quad\ntitle: Quad\n")
    (folder / "quad_dev.py").write_text(
        "# %%\n#| default_exp core.quad\n\n# %%\n#| export\nfrom tinytorch.core.demo import double\n\n\n"
        "def quad(x):\n    \"\"\"Four times x.\"\"\"\n    # TODO: double twice.\n    ### BEGIN SOLUTION\n"
        "    return double(double(x))\n    ### END SOLUTION\n\n\n"
        "def _untouched(x):\n    # TODO: nothing tests this one.\n    ### BEGIN SOLUTION\n    return x\n"
        "    ### END SOLUTION\n")
    (folder / "tests" / "test_quad.py").write_text(
        "from tinytorch.core.quad import quad\n\n\ndef test_four_times():\n    assert quad(3) == 12\n")


def test_tito_test_names_the_earlier_module_that_is_not_finished_first(project):
    _second_module(project)
    project.tito("start", check=True)
    quad = project.root / "assignments" / "release" / "02_quad" / "quad_dev.py"
    quad.write_text(quad.read_text().replace('raise NotImplementedError("quad: not implemented yet")',
                                             "return double(double(x))"))  # quad written, double not
    done = project.tito("test", "quad")
    assert done.returncode == 1
    report = done.stdout.splitlines()
    assert report[1] == ("02_quad: module 01 demo is not finished: double is not started; "
                         "test it with `tito test 01`"), done.stdout


def test_the_unfinished_module_line_names_every_stub_or_the_first_four_and_how_many_more(project):
    _second_module(project)
    dev = project.module() / "demo_dev.py"
    extra = "".join(f"\n\n# %%\n#| export\ndef part{i}(x):\n    # TODO: part {i}.\n    ### BEGIN SOLUTION\n"
                    "    return x\n    ### END SOLUTION\n" for i in range(1, 6))
    dev.write_text(dev.read_text() + extra)
    project.tito("start", check=True)
    quad = project.root / "assignments" / "release" / "02_quad" / "quad_dev.py"
    quad.write_text(quad.read_text().replace('raise NotImplementedError("quad: not implemented yet")',
                                             "return double(double(x))"))
    report = project.tito("test", "quad").stdout.splitlines()
    assert report[1] == ("02_quad: module 01 demo is not finished: double, part1, part2, part3 and 2 more "
                         "are not started; test it with `tito test 01`"), report


def test_an_exercise_is_done_when_the_passing_tests_run_it_and_untested_only_when_none_does(project):
    _second_module(project)
    done = project.tito("test", "quad")
    assert done.returncode == 0, done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[2:] if line.startswith("  ")}
    assert "done" in lines["quad"], "its test is named four_times, not quad: it ran it, and passed"
    assert "untested" in lines["_untouched"] and "no test runs it" in lines["_untouched"], lines


def test_a_learner_only_clone_needs_no_start(project):
    """A clone handed out with only the student edition works on it without tito start."""
    project.tito("release", check=True)
    import shutil

    shutil.rmtree(project.root / "assignments" / "source")
    done = project.tito("test", "demo")
    assert done.stdout.startswith("testing your edition (assignments/release)"), done.stdout
