"""Fixtures and settings for the autograd tests.

Hypothesis runs 60 examples per property, the same ones every run (derandomized), so a
failure you see is a failure you can reproduce. TINYTORCH_HYPOTHESIS_PROFILE=fast runs
10 (used by the test of the tests).
"""
import os

import pytest
from hypothesis import HealthCheck, settings

from tito.testing import torch_oracle

settings.register_profile("default", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=10, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("TINYTORCH_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the independent second opinion (skipped without it, except in CI)."""
    return torch_oracle()
