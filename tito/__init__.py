

# How to install PyTorch, the optional oracle: the one hint every message gives.
TORCH_INSTALL = "TINYTORCH_EXTRAS=torch source bin/activate-tinytorch.sh"
