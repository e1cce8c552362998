"""PyTorch-style layer namespace: `import tinytorch.nn as nn` as you would `torch.nn`.

The activation layers are module 02's classes from tinytorch.core.activations; once
module 04 works they are its Module subclasses of them (see _activation_layers below).
Later modules add their layers here.
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
from tinytorch.core.nn import Dropout, Flatten, Identity, Linear, Module, Parameter, Sequential  # noqa: E402
from tinytorch.nn import init  # noqa: E402

__all__ += ["Dropout", "Flatten", "Identity", "Linear", "Module", "Parameter", "Sequential", "init"]

_ACTIVATION_NAMES = ("ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "SiLU", "Sigmoid", "Softmax", "Softplus",
                     "Tanh")


def _activation_layers():
    """{name: class} of the ten activation layers: module 04's Modules (subclasses of module
    02's classes) once they work, else module 02's classes themselves.

    "Work" is a probe of what they need: module 04's Module (registration, parameters,
    train/eval, state_dict) and module 03's forward. A NotImplementedError (an exercise
    not done yet) keeps module 02's classes, so modules 01-02 work on their own; any
    other error is a bug and is raised.
    """
    from tinytorch.core import activations
    from tinytorch.core import nn as layers
    from tinytorch.core.tensor import Tensor

    try:
        probe = layers.LeakyReLU(0.5)
        list(probe.parameters())
        probe.eval().train()
        probe.state_dict()
        layers.ReLU()(Tensor([-1.0, 1.0]))
    except NotImplementedError:
        layers = activations
    return {name: getattr(layers, name) for name in _ACTIVATION_NAMES}


globals().update(_activation_layers())

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

# ---- module 12 attention ---------------------------------------------------------------
from tinytorch.core.attention import MultiheadAttention  # noqa: E402

__all__ += ["MultiheadAttention"]
