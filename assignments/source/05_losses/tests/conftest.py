"""Fixtures and settings for the losses tests.

Hypothesis runs 50 examples per property, the same ones every run (derandomized);
TINYTORCH_HYPOTHESIS_PROFILE=fast runs 10 (used by the catalogue of mistakes).
"""
import os

import pytest
from hypothesis import HealthCheck, settings

from tito.testing import torch_oracle

settings.register_profile("default", max_examples=50, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=10, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("TINYTORCH_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the independent second opinion (skipped without it, except in CI)."""
    return torch_oracle()
