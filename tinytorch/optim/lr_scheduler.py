"""`torch.optim.lr_scheduler`'s names over module 06 (tinytorch.core.optim)."""
from tinytorch.core.optim import CosineAnnealingLR, LambdaLR, LRScheduler, StepLR

__all__ = ["CosineAnnealingLR", "LRScheduler", "LambdaLR", "StepLR"]
