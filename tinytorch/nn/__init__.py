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

# ---- module 04 nn: layers and containers ----------------------------------------------
# The activation names above stay module 02's classes (module 02 promises that); a
# Module stores each as its Module twin from tinytorch.core.nn (see as_module there).
from tinytorch.core.nn import Dropout, Flatten, Identity, Linear, Module, Parameter, Sequential  # noqa: E402
from tinytorch.nn import init  # noqa: E402

__all__ += ["Dropout", "Flatten", "Identity", "Linear", "Module", "Parameter", "Sequential", "init"]

# ---- module 05 losses ------------------------------------------------------------------
from tinytorch.core.losses import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)

__all__ += ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "NLLLoss"]

# ---- module 06 optim: torch.nn.utils's clip_grad_norm_ --------------------------------
from tinytorch.nn import utils  # noqa: E402

__all__ += ["utils"]
