"""tito test: runs the dev file's current code, summarises, and tells pass from fail."""
from __future__ import annotations


def test_passing_module_exits_zero_with_a_summary(project):
    done = project.tito("test", "demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tito: 2 passed, 0 failed, 0 skipped" in done.stdout


def test_tests_see_the_dev_file_without_sync_and_leave_the_package_alone(project):
    done = project.tito("test", "--module", "01")
    assert done.returncode == 0
    assert not (project.root / "tinytorch" / "core" / "demo.py").exists()


def test_failing_test_is_named_with_its_message_and_exit_one(project):
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text().replace("return 2 * np.asarray(x)", "return 3 * np.asarray(x)"))
    done = project.tito("test", "demo")
    assert done.returncode == 1
    assert "test_double_of_three_is_six" in done.stdout
    assert "double(3) should be 6" in done.stdout
    assert "1 passed, 1 failed" in done.stdout


def test_a_stub_fails_rather_than_errors_silently(project):
    dev = project.module() / "demo_dev.py"
    text = dev.read_text()
    start, end = text.index("    ### BEGIN SOLUTION"), text.index("    ### END SOLUTION")
    dev.write_text(text[:start] + "    raise NotImplementedError('double')\n" + text[end:])
    done = project.tito("test", "demo")
    assert done.returncode == 1 and "NotImplementedError" in done.stdout


def test_no_tests_collected_is_a_failure(project):
    (project.module() / "tests" / "test_demo.py").write_text("")
    done = project.tito("test", "demo")
    assert done.returncode == 1 and "no tests were collected" in done.stdout


def test_module_must_be_named(project):
    done = project.tito("test")
    assert done.returncode == 2 and "--all" in done.stderr


def test_bracketed_test_ids_and_messages_are_shown_verbatim(project):
    (project.module() / "tests" / "test_demo.py").write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('n', [3])\n"
        "def test_param(n):\n"
        "    assert False, 'see [torch] extra'\n")
    out = project.tito("test", "demo").stdout
    assert "test_param[3]" in out and "see [torch] extra" in out


def test_skips_are_summarised_once_per_reason(project):
    (project.module() / "tests" / "test_demo.py").write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('n', range(5))\n"
        "@pytest.mark.skipif(True, reason='no oracle here')\n"
        "def test_oracle(n):\n    pass\n\n"
        "def test_runs():\n    pass\n")
    done = project.tito("test", "demo")
    assert done.returncode == 0
    assert done.stdout.count("no oracle here") == 1 and "5 skipped" in done.stdout


def test_an_endless_loop_at_import_is_stopped_and_named(project):
    dev = project.module() / "demo_dev.py"
    text = dev.read_text().replace("import numpy as np\n", "import numpy as np\nwhile True:\n    pass\n", 1)
    dev.write_text(text)
    loop = text.splitlines().index("while True:") + 1
    done = project.tito("test", "demo", "--timeout", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ran longer than 2 s" in done.stdout, done.stdout
    assert f"demo_dev.py:{loop}" in done.stdout or f"demo_dev.py:{loop + 1}" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_sigterm_ends_pytest_and_removes_the_temporary_package(project, tmp_path):
    """tito stopped while a test hangs: no pytest left running, no tinytorch-test-* folder left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (project.module() / "tests" / "test_demo.py").write_text(
        "import time\n\ndef test_sleeps():\n    time.sleep(600)\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TINYTORCH_ROOT=str(project.root), TMPDIR=str(scratch))
    env.pop("PYTHONPATH", None)
    tito = subprocess.Popen([sys.executable, "-m", "tito", "test", "demo"], cwd=project.root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and tito.poll() is None and not _pytest_children(tito.pid):
        time.sleep(0.2)
    children = _pytest_children(tito.pid)
    assert children, "pytest did not start"
    tito.send_signal(signal.SIGTERM)
    tito.wait(60)
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)], "pytest outlived tito"
    assert not list(scratch.glob("tinytorch-test-*")), "the temporary package was left behind"
    assert "Traceback" not in tito.stderr.read()


def _pytest_children(parent: int) -> list[int]:
    import subprocess

    done = subprocess.run(["ps", "-ww", "-o", "pid=,ppid=,args=", "-e"], capture_output=True, text=True)
    found = []
    for line in done.stdout.splitlines():
        pid, ppid, args = line.split(None, 2)
        if int(ppid) == parent and "pytest" in args:
            found.append(int(pid))
    return found


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def _two_exercises(project, stub_half: bool) -> None:
    """The demo module with a second function `half`, stubbed as the student edition has it."""
    dev = project.module() / "demo_dev.py"
    body = ('    raise NotImplementedError("half: not implemented yet")\n' if stub_half
            else "    return np.asarray(x) / 2\n")
    dev.write_text(dev.read_text().replace("# %%\nassert double(2) == 4\n", (
        "# %%\n#| export\ndef half(x):\n    \"\"\"x / 2.\"\"\"\n    # TODO: return half of x.\n"
        f"    ### BEGIN SOLUTION\n{body}    ### END SOLUTION\n")))
    tests = project.module() / "tests" / "test_demo.py"
    tests.write_text(tests.read_text().replace("from tinytorch.core.demo import double",
                                               "from tinytorch.core.demo import double, half")
                     + "\ndef test_half_of_four():\n    assert half(4) == 2\n")


def test_progress_says_done_and_not_started_and_skips_the_stubs_tests(project):
    _two_exercises(project, stub_half=True)
    done = project.tito("test", "demo")
    assert done.returncode == 1, done.stdout
    lines = done.stdout.splitlines()
    assert any("double" in line and "done" in line for line in lines), done.stdout
    assert any("half" in line and "not started" in line and "1 tests wait" in line for line in lines), done.stdout
    assert "2 passed, 0 failed, 0 skipped, 1 not run" in done.stdout
    assert done.stdout.index("not started") < done.stdout.index("TinyTorch tests")  # progress comes first


def test_progress_names_a_broken_exercise_and_shows_only_its_failures(project):
    _two_exercises(project, stub_half=False)
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text().replace("return 2 * np.asarray(x)", "return 3 * np.asarray(x)"))
    done = project.tito("test", "demo")
    assert done.returncode == 1
    assert any("double" in line and "broken" in line for line in done.stdout.splitlines()), done.stdout
    assert any("half" in line and "done" in line for line in done.stdout.splitlines()), done.stdout
    assert "double(3) should be 6" in done.stdout


def test_all_says_how_long_it_takes_and_which_group_it_runs(project, tmp_path):
    (project.root / "tests").mkdir()
    (project.root / "tests" / "test_tito_itself.py").write_text("def test_fine():\n    pass\n")
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = project.tito_env(cache, "test", "--all", check=True).stdout
    assert "running 2 test groups one after another: 01_demo, tito" in first, first
    assert "min on a 2-core machine" in first, "a first run says what to expect"
    assert "[1/2] 01_demo ..." in first and "[2/2] tito ..." in first
    again = project.tito_env(cache, "test", "--all", check=True).stdout
    assert "last time" in again and "in all" in again, again
