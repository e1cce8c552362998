"""Helpers the modules' tests share."""
from __future__ import annotations

import importlib.util
import os

import pytest

from tito import TORCH_INSTALL


def torch_oracle():
    """PyTorch, the independent implementation the tests cross-check against.

    On a learner's machine without torch the calling test is skipped; in CI (the
    environment variable CI set) a missing torch fails it, because there every
    cross-check must run.
    """
    if importlib.util.find_spec("torch") is None:
        if os.environ.get("CI"):
            pytest.fail("PyTorch is not installed, but CI must cross-check TinyTorch against it "
                        f"({TORCH_INSTALL})")
        pytest.skip("PyTorch is not installed: the cross-checks against it are skipped "
                    f"(to run them: {TORCH_INSTALL})")
    import torch

    torch.set_num_threads(1)
    return torch
