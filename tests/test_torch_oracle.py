"""The PyTorch cross-checks skip on a learner's machine without torch, and fail in CI."""
from __future__ import annotations

import importlib.util

import pytest

from tito import testing


@pytest.fixture
def no_torch(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(testing.importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))


def test_without_torch_a_learner_skips(no_torch, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TINYTORCH_HIDE_TORCH", raising=False)  # absent, not hidden (even in a hidden run)
    with pytest.raises(pytest.skip.Exception, match="PyTorch is not installed"):
        testing.torch_oracle()


def test_without_torch_ci_fails(no_torch, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("TINYTORCH_HIDE_TORCH", raising=False)
    with pytest.raises(pytest.fail.Exception, match="CI must cross-check"):
        testing.torch_oracle()


def test_with_torch_the_oracle_is_torch_on_one_thread():
    torch = testing.torch_oracle()
    assert torch.get_num_threads() == 1 and hasattr(torch.nn, "GELU")


def test_hidden_torch_skips_even_in_ci_and_cannot_be_imported(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with testing.torch_hidden():
        with pytest.raises(pytest.skip.Exception, match="hidden"):
            testing.torch_oracle()
        with pytest.raises(ModuleNotFoundError):
            import torch  # noqa: F401
        assert importlib.util.find_spec("torch") is None, "absent, not merely failing to import"
    testing.torch_oracle()  # back afterwards


def test_the_setting_hides_torch_from_a_whole_run(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "test_it.py").write_text(
        "import pytest\nfrom tito.testing import torch_fixture  # noqa: F401\n\n"
        "import importlib.util\n\n"
        "def test_import():\n    assert importlib.util.find_spec('torch') is None\n"
        "    with pytest.raises(ImportError):\n        import torch  # noqa: F401\n\n"
        "def test_fixture(torch):\n    pass\n")
    env = dict(os.environ, TINYTORCH_HIDE_TORCH="1", CI="true")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "1 passed, 1 skipped" in done.stdout, done.stdout


def test_hidden_torch_skips_the_cross_checks_even_in_ci_and_nothing_else(project):
    tests = project.module() / "tests"
    (tests / "conftest.py").write_text("from tito.testing import torch_fixture  # noqa: F401\n")
    (tests / "test_oracle.py").write_text(
        "from tinytorch.core.demo import double\n\n"
        "def test_double_matches_torch(torch):\n"
        "    assert torch.tensor(3.0).mul(2).item() == double(3.0)\n")
    hidden = project.tito_env({"CI": "true", "TINYTORCH_HIDE_TORCH": "1"}, "test", "demo")
    assert hidden.returncode == 0, hidden.stdout + hidden.stderr
    assert "2 passed, 0 failed, 1 skipped" in hidden.stdout and "TINYTORCH_HIDE_TORCH=1" in hidden.stdout
    shown = project.tito_env({"CI": "true", "TINYTORCH_HIDE_TORCH": "0"}, "test", "demo")
    assert shown.returncode == 0 and "3 passed, 0 failed, 0 skipped" in shown.stdout, shown.stdout
