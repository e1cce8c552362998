"""Fixtures for the tensor module's tests."""
import pytest

from tito.testing import torch_oracle


@pytest.fixture(scope="session")
def torch_or_skip():
    """PyTorch, the reference for dtype rules and broadcasting (skipped without it, except in CI)."""
    return torch_oracle()
