"""`torch.optim`'s names over module 06 (tinytorch.core.optim).

    from tinytorch.optim import SGD, Adam, AdamW
    from tinytorch.optim.lr_scheduler import StepLR, CosineAnnealingLR, LambdaLR
"""
from tinytorch.core.optim import SGD, Adam, AdamW, Optimizer
from tinytorch.optim import lr_scheduler

__all__ = ["Adam", "AdamW", "Optimizer", "SGD", "lr_scheduler"]
