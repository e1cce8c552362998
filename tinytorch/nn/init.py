"""PyTorch-style initialisation: `import tinytorch.nn.init as init` as you would `torch.nn.init`.

The functions are built in module 04 (tinytorch.core.nn); each fills a tensor in place
from `tinytorch.default_generator` and returns it.
"""
from tinytorch.core.nn import (
    calculate_gain,
    constant_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from tinytorch.core.nn import _calculate_fan_in_and_fan_out  # noqa: F401 - PyTorch has it here too

__all__ = ["calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "uniform_",
           "xavier_normal_", "xavier_uniform_", "zeros_"]
