"""TinyTorch: a deep-learning framework built module by module.

`tinytorch.core.<module>` holds the code exported from each module's dev file by
`tito sync`; `tinytorch.nn` and `tinytorch.nn.functional` give it PyTorch's names.
"""

__version__ = "0.1.0"
