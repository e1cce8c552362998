"""Fixtures and settings for the activations tests.

Hypothesis runs 100 examples per property, the same ones every run (derandomized), so
a failure you see is a failure you can reproduce. TINYTORCH_HYPOTHESIS_PROFILE=fast
runs 15 (used by the test of the tests).
"""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("TINYTORCH_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the independent second opinion.

    Skipped on a learner's machine without torch; in CI (environment variable CI set)
    a missing torch is a failure, because there the cross-check must run.
    """
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PyTorch is not installed, but CI must cross-check TinyTorch against it "
                        "(pip install -e '.[torch]')")
        pytest.skip("PyTorch is not installed: cross-checks against it are skipped "
                    "(pip install -e '.[torch]' to run them)")
    torch.set_num_threads(1)
    return torch
