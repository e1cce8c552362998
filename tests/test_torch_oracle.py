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
