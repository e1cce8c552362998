"""Settings for the tensor tests: `torch` is the PyTorch oracle (tito.testing)."""
from tito.testing import torch_fixture  # noqa: F401 (the `torch` fixture)
