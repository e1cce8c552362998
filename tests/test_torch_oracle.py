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
    with pytest.raises(pytest.skip.Exception, match="PyTorch is not installed"):
        testing.torch_oracle()


def test_without_torch_ci_fails(no_torch, monkeypatch):
    monkeypatch.setenv("CI", "true")
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
        with pytest.raises(ImportError, match="hidden"):
            import torch  # noqa: F401
    testing.torch_oracle()  # back afterwards


def test_the_setting_hides_torch_from_a_whole_run(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "test_it.py").write_text(
        "import pytest\nfrom tito.testing import torch_fixture  # noqa: F401\n\n"
        "def test_import():\n    with pytest.raises(ImportError):\n        import torch  # noqa: F401\n\n"
        "def test_fixture(torch):\n    pass\n")
    env = dict(os.environ, TINYTORCH_HIDE_TORCH="1", CI="true")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "1 passed, 1 skipped" in done.stdout, done.stdout
