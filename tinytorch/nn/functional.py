"""PyTorch-style functional namespace: `import tinytorch.nn.functional as F`.

The activation functions are re-exported from tinytorch.core.activations (module 02),
with PyTorch's names and keyword arguments: F.relu(x), F.softmax(x, dim=-1), ...
"""
import functools as _functools

from tinytorch.core import activations as _activations
from tinytorch.core import tensor as _tensor

_ACTIVATIONS = ("elu", "gelu", "leaky_relu", "log_softmax", "relu", "sigmoid", "silu",
                "softmax", "softplus", "tanh")


def _recorded(name):
    """Module 02's function `name`, recorded for backward when autograd (module 03) is on.

    As torch.nn.functional: F.relu(x) on a tensor that requires grad gives a result with
    a grad_fn. Without module 03, or when nothing wants a gradient, it is module 02's
    function as the learner wrote it.
    """
    plain = getattr(_activations, name)

    @_functools.wraps(plain)
    def function(input, *args, **kwargs):
        if _tensor._engine.recording and getattr(input, "requires_grad", False):
            from tinytorch.core import autograd

            return getattr(autograd, name)(input, *args, **kwargs)
        return plain(input, *args, **kwargs)
    return function


for _name in _ACTIVATIONS:
    globals()[_name] = _recorded(_name)
del _name

__all__ = list(_ACTIVATIONS)

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

# ---- module 12 attention ---------------------------------------------------------------
from tinytorch.core.attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["scaled_dot_product_attention"]
