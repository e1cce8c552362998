"""PyTorch-style layer namespace: `import tinytorch.nn as nn` as you would `torch.nn`.

The activation layers are re-exported from tinytorch.core.activations (built in
module 02); later modules add their layers here.
"""
from tinytorch.core.activations import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from tinytorch.nn import functional

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "functional",
]
