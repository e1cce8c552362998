"""TinyTorch: a deep-learning framework built module by module.

`tinytorch.core.<module>` holds the code exported from each module's dev file by
`tito sync`; `tinytorch.nn` and `tinytorch.nn.functional` give it PyTorch's names.
"""

__version__ = "0.1.0"


# ---- autograd (module 03) ----
# `tinytorch.no_grad` and friends import tinytorch.core.autograd on first use, which installs
# the autograd engine into Tensor; `import tinytorch` alone leaves modules 01-02 as they are.
_AUTOGRAD_NAMES = ("no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled")


def __getattr__(name):
    if name in _AUTOGRAD_NAMES:
        from tinytorch.core import autograd

        return getattr(autograd, name)
    raise AttributeError(f"module 'tinytorch' has no attribute {name!r}")
