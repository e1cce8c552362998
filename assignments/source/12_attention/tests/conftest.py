"""Settings for the attention tests (tito.testing): hypothesis runs 50 examples per
property (10 in the catalogues' fast runs), the same ones every run; `torch` is the
PyTorch oracle."""
from tito.testing import hypothesis_profiles, torch_fixture  # noqa: F401 (the `torch` fixture)

hypothesis_profiles(examples=50, fast=10)
