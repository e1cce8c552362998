"""PyTorch-style autograd namespace: `import tinytorch.autograd` as you would `torch.autograd`.

Importing it (or tinytorch.core.autograd, built in module 03) installs the autograd
engine into Tensor, so that operations on tensors with requires_grad=True are recorded
and backward() works.
"""
from tinytorch.core.autograd import (
    GradcheckError,
    Node,
    differentiable,
    enable_grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "GradcheckError",
    "Node",
    "differentiable",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
