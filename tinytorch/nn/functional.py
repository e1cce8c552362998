"""PyTorch-style functional namespace: `import tinytorch.nn.functional as F`.

The activation functions are re-exported from tinytorch.core.activations (module 02),
with PyTorch's names and keyword arguments: F.relu(x), F.softmax(x, dim=-1), ...
"""
from tinytorch.core.activations import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)

__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]

# ---- module 05 losses ------------------------------------------------------------------
from tinytorch.core.losses import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)

__all__ += ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "l1_loss", "mse_loss",
            "nll_loss"]
