"""TinyTorch: a deep-learning framework built module by module.

`tinytorch.core.<module>` holds the code exported from each module's dev file by
`tito sync`; `tinytorch.nn` and `tinytorch.nn.functional` give it PyTorch's names.
"""

__version__ = "0.1.0"

# ---- random numbers (module 04 nn) --------------------------------------------------
import numpy as _np

# Every random draw in TinyTorch (weight init, Dropout, shuffling) comes from this one
# NumPy Generator; `manual_seed` resets it in place, so code holding it sees the new seed.
default_generator = _np.random.default_rng()


def manual_seed(seed):
    """Seed TinyTorch's random numbers (as torch.manual_seed); returns the generator.

    The same seed gives the same draws in TinyTorch; PyTorch's generator is a different one.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, _np.integer)):
        raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
    default_generator.bit_generator.state = _np.random.PCG64(int(seed)).state
    return default_generator


# ---- autograd (module 03) ----
# `tinytorch.no_grad` and friends import tinytorch.core.autograd on first use, which installs
# the autograd engine into Tensor; `import tinytorch` alone leaves modules 01-02 as they are.
_AUTOGRAD_NAMES = ("no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled")


def __getattr__(name):
    if name in _AUTOGRAD_NAMES:
        from tinytorch.core import autograd

        return getattr(autograd, name)
    raise AttributeError(f"module 'tinytorch' has no attribute {name!r}")


# ---- saving and loading (module 08 training) ------------------------------------------
# .npz of plain arrays plus JSON for the rest: loading never runs code (no pickle).
from tinytorch.serialization import load, save  # noqa: E402
