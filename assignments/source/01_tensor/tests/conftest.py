"""Fixtures for the tensor module's tests."""
import os

import pytest


@pytest.fixture(scope="session")
def torch_or_skip():
    """PyTorch, the reference for dtype rules and broadcasting.

    Without torch the test is skipped on a learner's machine, but fails in CI
    (where the environment variable CI is set): there the cross-check must run.
    """
    try:
        import torch
    except ImportError:
        if "CI" in os.environ:
            pytest.fail("PyTorch is not installed, but CI must cross-check TinyTorch against it "
                        "(pip install -e '.[torch]')")
        pytest.skip("PyTorch is not installed: cross-checks against it are skipped")
    return torch
