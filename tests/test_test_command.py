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
    assert any("half" in line and "not started" in line and "(1 test waits for it)" in line for line in lines), (
        done.stdout
    )
    assert "2 passed, 0 failed, 0 skipped, 1 not run" in done.stdout
    assert done.stdout.index("not started") < done.stdout.index("TinyTorch tests")  # progress comes first


def test_a_hypothesis_test_that_reaches_a_stub_ends_at_the_first_example(project, tmp_path):
    # Its name does not say `half`, so it runs (as module 05's tests run on an untouched
    # module 03); it fails as "not implemented", without shrinking, and is not shown.
    _two_exercises(project, stub_half=True)
    calls = tmp_path / "calls"
    tests = project.module() / "tests" / "test_demo.py"
    tests.write_text(tests.read_text() + (
        "\nfrom hypothesis import given, strategies as st\n"
        "@given(st.integers())\n"
        "def test_quarter_is_two_halvings(n):\n"
        f"    with open({str(calls)!r}, 'a') as f:\n        f.write('.')\n"
        "    assert half(half(n)) == n / 4\n"))
    done = project.tito("test", "demo")
    assert done.returncode == 1, done.stdout
    assert calls.read_text() == "."  # Hypothesis would otherwise shrink over many calls
    assert "2 passed, 1 failed" in done.stdout and "only say 'not implemented'" in done.stdout, done.stdout


def test_progress_names_a_broken_exercise_and_shows_only_its_failures(project):
    _two_exercises(project, stub_half=False)
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text().replace("return 2 * np.asarray(x)", "return 3 * np.asarray(x)"))
    done = project.tito("test", "demo")
    assert done.returncode == 1
    assert any("double" in line and "broken" in line for line in done.stdout.splitlines()), done.stdout
    assert any("half" in line and "done" in line for line in done.stdout.splitlines()), done.stdout
    assert "double(3) should be 6" in done.stdout
    assert "not shown" not in done.stdout, "a failure shown is not counted among the hidden ones"


def test_a_long_message_says_how_to_see_the_rest_in_plain_words(project):
    """tito shows a message's first lines, then how many are left and which command shows
    them (pytest's JUnit file would keep 500 characters of it and a note about 'element text')."""
    (project.module() / "tests" / "test_demo.py").write_text(
        "def test_long():\n"
        "    assert False, '\\n'.join(f'line {i} ' + 'x' * 60 for i in range(30))\n")
    out = project.tito("test", "demo").stdout
    assert "line 0" in out and "line 7" in out and "line 8 " not in out, out
    assert "element text" not in out and "[+" not in out, out
    assert "... 23 more lines: `tito test 01 -v` shows the whole report" in out, out


def test_a_shared_name_counts_its_waiting_tests_once(project):
    """A nested exercise (quad.backward) is found by its outer name's tests: those are
    counted once, and the lines add up to the closing line's 'not run'."""
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text().replace("# %%\nassert double(2) == 4\n", (
        "# %%\n#| export\ndef quad(x):\n    \"\"\"4 x.\"\"\"\n"
        "    raise NotImplementedError(\"quad: not implemented yet\")\n"
        "    def backward(g):\n        raise NotImplementedError(\"quad.backward: not implemented yet\")\n"
        "    return backward\n")))
    tests = project.module() / "tests" / "test_demo.py"
    tests.write_text(tests.read_text() + "\ndef test_quad_one():\n    pass\n\ndef test_quad_two():\n    pass\n")
    out = project.tito("test", "demo").stdout
    lines = out.splitlines()
    assert any(" quad " in f" {line} " and "(2 tests wait for it)" in line for line in lines), out
    assert any("quad.backward" in line and "not started" in line and "wait" not in line for line in lines), out
    assert "2 not run" in out, out


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


def test_a_long_run_that_keeps_making_progress_is_not_stopped(tmp_path, monkeypatch):
    """The limit is on time without progress: a run longer than limit + grace in all, whose
    steps each finish in time (tito's own test group), runs to its end."""
    import sys

    from tito import children

    monkeypatch.setattr(children, "GRACE", 0.5)
    monkeypatch.setattr(children, "POLL", 0.2)
    script = tmp_path / "steps.py"
    script.write_text("import time\nfrom tito import watchdog\n"
                      "for _ in range(5):\n    time.sleep(0.6)\n    watchdog.progress()\nprint('all steps')\n",
                      encoding="utf-8")
    done = children.run([sys.executable, "-m", "tito.watchdog", str(script)], capture=True, timeout=1.0)
    assert not done.timed_out and done.returncode == 0, done
    assert "all steps" in done.stdout
