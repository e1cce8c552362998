"""PyTorch-style utilities namespace: `tinytorch.utils.data` as `torch.utils.data`."""
