"""`torch.nn.utils`'s names: clip_grad_norm_ (module 06, tinytorch.core.optim)."""
from tinytorch.core.optim import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
