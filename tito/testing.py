"""Helpers the modules' tests share.

A module's tests/conftest.py takes its settings from here:

    from tito.testing import hypothesis_profiles, torch_fixture  # noqa: F401 (the `torch` fixture)

    hypothesis_profiles(examples=50, fast=10)
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import os

import numpy as np
import pytest

from tito import HIDE_TORCH_ENV, TORCH_INSTALL, hide_torch, show_torch, torch_is_hidden


@contextlib.contextmanager
def torch_hidden():
    """Inside the block PyTorch is absent, as with TINYTORCH_HIDE_TORCH=1 (tito/__init__.py):
    `import torch` fails, `importlib.util.find_spec("torch")` is None, the `torch` fixture
    skips, and child processes started meanwhile see no torch either (modules of torch
    already imported are set aside and come back afterwards)."""
    before = os.environ.get(HIDE_TORCH_ENV)
    saved = hide_torch()
    os.environ[HIDE_TORCH_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(HIDE_TORCH_ENV, None)
        else:
            os.environ[HIDE_TORCH_ENV] = before
        if not torch_is_hidden():
            show_torch(saved)


def torch_oracle():
    """PyTorch, the independent implementation the tests cross-check against.

    On a learner's machine without torch the calling test is skipped; in CI (the
    environment variable CI set) a missing torch fails it, because there every
    cross-check must run. Whether torch is there is decided now; the import itself
    (about 2 s) waits until a test first uses it, so a test that stops at a function
    not written yet costs nothing. With TINYTORCH_HIDE_TORCH=1 it is skipped everywhere.
    """
    if torch_is_hidden():
        pytest.skip(f"PyTorch is hidden ({HIDE_TORCH_ENV}=1): the cross-checks against it are skipped")
    if importlib.util.find_spec("torch") is None:
        if os.environ.get("CI"):
            pytest.fail("PyTorch is not installed, but CI must cross-check TinyTorch against it "
                        f"({TORCH_INSTALL})")
        pytest.skip("PyTorch is not installed: the cross-checks against it are skipped "
                    f"(to run them: {TORCH_INSTALL})")
    return _LazyTorch()


@functools.cache
def _import_torch():
    import torch

    torch.set_num_threads(1)
    return torch


class _LazyTorch:
    """The torch module, imported at its first use."""

    def __getattr__(self, name):
        return getattr(_import_torch(), name)

    def __dir__(self):
        return dir(_import_torch())

    def __repr__(self):
        return repr(_import_torch())


@pytest.fixture(scope="session", name="torch")
def torch_fixture():
    """PyTorch, the independent second opinion (skipped without it, except in CI)."""
    return torch_oracle()


def hypothesis_profiles(examples, fast):
    """Register the module's hypothesis profiles and load the one in use.

    "default" runs `examples` per property, the same ones every run (derandomized), so a
    failure you see is a failure you can reproduce; "fast" runs `fast` and does not shrink
    a failing example, for the catalogues that run the tests once per mistake
    (TINYTORCH_HYPOTHESIS_PROFILE=fast).
    """
    from hypothesis import HealthCheck, Phase, settings

    for name, count in (("default", examples), ("fast", fast)):
        phases = [p for p in Phase if name == "default" or p not in (Phase.shrink, Phase.explain)]
        settings.register_profile(name, max_examples=count, deadline=None, derandomize=True, phases=phases,
                                  suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("TINYTORCH_HYPOTHESIS_PROFILE", "default"))


_shared: dict[str, tuple[np.ndarray, ...]] = {}


def shared(key: str, compute) -> tuple[np.ndarray, ...]:
    """`compute()`, a tuple of arrays, once per `key` in a process; every call gets copies.

    For values the tests compute at some cost from their inputs alone (an exact oracle):
    `tito grade` hands the values of its reference run to the judge of every submission,
    in memory, before the submission runs, so no submission's run computes them again and
    none can change them for another.
    """
    if key not in _shared:
        _shared[key] = tuple(np.asarray(a) for a in compute())
    return tuple(a.copy() for a in _shared[key])


def shared_values() -> dict[str, tuple[np.ndarray, ...]]:
    """Every value `shared` holds, by key (tito grade's judges fill and read it)."""
    return _shared
