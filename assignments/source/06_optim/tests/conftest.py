"""Fixtures and settings for the optim tests (hypothesis: derandomized; TINYTORCH_HYPOTHESIS_PROFILE=fast runs fewer)."""
import os

import pytest
from hypothesis import HealthCheck, settings

from tito.testing import torch_oracle

settings.register_profile("default", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("TINYTORCH_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the independent second opinion (skipped without it, except in CI)."""
    return torch_oracle()
