"""Independent high-precision reference for TinyTorch's activation functions.

Used by the module tests, `tito check` and `tito plot`. Nothing here imports
`tinytorch`: it judges the package, it never relies on it.

API
---
reference_values(name, x, **params) -> (hi, lo)
    The exact result of activation `name` at every element of `x` (any float
    array), evaluated with mpmath at 192 bits and returned as two float64
    arrays with ``hi + lo`` = the true value to about 106 bits.  Elementwise
    names: relu, leaky_relu, elu, sigmoid, tanh, gelu, silu, softplus.
    Row-wise names (``dim=`` picks the axis): softmax, log_softmax.
    Cached in memory and on disk (see `reference.cache_dir`).
reference_grad(name, x, **params) -> (hi, lo)
    The exact derivative f'(x) of an elementwise activation.
ulp_error(got, name, x, dtype=None, **params) -> np.ndarray
    Error of `got` in ULP of `dtype` (default: got's dtype) at the true value.
ulp_distance(got, hi, lo, dtype) -> np.ndarray
    The same, given a reference.  Rules: nan vs nan is 0, inf vs the same inf
    is 0, any other disagreement about inf/nan is inf; +0 and -0 are equal;
    below the smallest normal the unit is the ULP of the smallest normal
    (i.e. subnormal results are compared in absolute terms).
relative_error(got, hi, lo, dtype) / absolute_error(got, hi, lo)
    For softmax (relative, floored at the smallest normal) and log_softmax.
is_normal(hi, dtype) -> bool array: true result is a normal float of dtype.
standard_inputs(dtype, size="test"|"full") -> 1-D array
    ±0, subnormals, smallest normal, dense [-20, 20], log-uniform over the
    whole range, the exp overflow/underflow edges, ±1e4, ±max, ±inf, nan.
softmax_inputs(dtype, size="test"|"full") -> 2-D array of logit rows.
TOLERANCES, tolerance(name, dtype, **params)
    The accuracy contract as data: what "correct" means for each function.
FUNCTIONS, ELEMENTWISE, ROWWISE
    The function names, and `PARAMETER_SETS`: the parameter values worth testing.
SPECS (activation_oracle.specs)
    One record per activation (class, PyTorch defaults, parameter sets, kinks, bounds,
    monotonicity), read by the reference, the module tests, tito check, plot and bench.
activation_oracle.properties
    The property predicates (decreasing, outside, symmetry_broken), written once.
"""

from .inputs import softmax_inputs, standard_inputs
from .reference import (
    ELEMENTWISE,
    FUNCTIONS,
    PARAMETER_SETS,
    ROWWISE,
    reference_grad,
    reference_values,
    ulp_error,
)
from .specs import SPECS, Spec
from .tolerances import TOLERANCES, Tolerance, tolerance, underflow_floor
from .ulp import (
    absolute_error,
    is_normal,
    relative_error,
    ulp_distance,
    ulp_of,
)

__all__ = [
    "ELEMENTWISE",
    "FUNCTIONS",
    "PARAMETER_SETS",
    "ROWWISE",
    "SPECS",
    "Spec",
    "TOLERANCES",
    "Tolerance",
    "absolute_error",
    "is_normal",
    "reference_grad",
    "reference_values",
    "relative_error",
    "softmax_inputs",
    "standard_inputs",
    "tolerance",
    "ulp_distance",
    "ulp_error",
    "underflow_floor",
    "ulp_of",
]
