"""The test of the activations tests: realistic learner mistakes must all be caught.

Each mistake is injected into the package code exported from the reference dev file
(as a source patch, or as code appended to the module that replaces a function or a
method), and the module's tests run against that package in a subprocess. Every
mistake must make them fail. The catalogue prints its catch rate; anything below 100%
fails this test and names the mistakes that slipped through.

The same file checks that the dev file runs top to bottom as a notebook.
"""
from __future__ import annotations

import os
import textwrap

import pytest

from catalogue import ROOT, SOURCE, Entry, judge, package_env, reference_package, run_entries, run_module_tests
from tito.modules import find_module

MODULE = find_module("activations", SOURCE)
# Stopping at the first failure, the value tests go first: they catch most mistakes soonest.
FIRST = ("test_values.py", "test_backward.py", "test_api.py", "test_properties.py", "test_torch.py")
SUFFIX = ""  # nothing is appended after an entry: the package runs the functions as written
Mistake = Entry


def gelu_override(form: str, body: str) -> str:
    """Code that replaces one form of gelu ('none' or 'tanh') by `body`, which sees `d`, the
    input as a float array; the other form keeps the reference."""
    return ("\n_gelu_reference = gelu\n"
            "def gelu(x, approximate='none'):\n"
            "    _check_approximate(approximate)\n"
            f"    if approximate != {form!r}:\n"
            "        return _gelu_reference(x, approximate)\n"
            "    d = as_array(x).astype(result_dtype(as_array(x).dtype))\n"
            + textwrap.indent(body.strip("\n"), "    ") + "\n")


MISTAKES = [
    Mistake("naive_sigmoid", "1 / (1 + exp(-x)) with no errstate: overflow warnings below -88.7", append="""
def sigmoid(x):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    return Tensor(1 / (1 + np.exp(-d)))
"""),
    Mistake("tanh_form_sigmoid", "sigmoid as 0.5 * (1 + tanh(x / 2)): cancels for negative x", append="""
def sigmoid(x):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    return Tensor(0.5 * (1 + np.tanh(d / 2)))
"""),
    Mistake("sigmoid_clipped", "sigmoid with x clipped to [-88, 88] to avoid the overflow", append="""
def sigmoid(x):
    d = np.clip(as_array(x).astype(result_dtype(as_array(x).dtype)), -88, 88)
    return Tensor(1 / (1 + np.exp(-d)))
"""),
    Mistake("relu_where", "relu as np.where(x > 0, x, 0): nan becomes 0", append="""
def relu(x):
    d = as_array(x)
    return Tensor(np.where(d > 0, d, 0).astype(d.dtype if d.dtype.kind in 'iu' else result_dtype(d.dtype)))
"""),
    Mistake("relu_times_mask", "relu as x * (x > 0): -inf * 0 = nan", append="""
def relu(x):
    d = as_array(x)
    dtype = d.dtype if d.dtype.kind in 'iu' else result_dtype(d.dtype)
    with np.errstate(invalid='ignore'):
        return Tensor((d * (d > 0)).astype(dtype))
"""),
    Mistake("relu_float64", "float64 output for float32 input (computing in float64, never casting back)",
            append="""
def relu(x):
    d = as_array(x)
    return Tensor(np.maximum(0, d.astype(np.float64)))
"""),
    Mistake("relu_in_place", "relu writes into its input (np.maximum(..., out=x))", append="""
def relu(x):
    d = as_array(x)
    if d.dtype.kind == 'f':
        np.maximum(0, d, out=d)
        return Tensor(d.copy())
    dtype = d.dtype if d.dtype.kind in 'iu' else result_dtype(d.dtype)
    return Tensor(np.maximum(0, d).astype(dtype))
"""),
    Mistake("relu_returns_array", "relu returns a NumPy array instead of a Tensor", append="""
def relu(x):
    d = as_array(x)
    return np.maximum(0, d)
"""),
    Mistake("relu_grad_at_zero", "relu'(0) = 1 (x >= 0 instead of x > 0)",
            replace=("return np.where(x > 0, grad, 0)", "return np.where(x >= 0, grad, 0)")),
    Mistake("leaky_grad_at_zero", "leaky_relu'(0) = 1 instead of the slope",
            replace=("return np.where(x > 0, grad, grad * float(negative_slope))",
                     "return np.where(x >= 0, grad, grad * float(negative_slope))")),
    Mistake("leaky_always_maximum", "leaky_relu as max(x, a x) for every slope (wrong for a > 1)",
            replace=("return Tensor(np.minimum(data, y))", "return Tensor(np.maximum(data, y))")),
    Mistake("elu_exp_minus_one", "elu with exp(x) - 1 instead of expm1: cancels near 0",
            replace=("np.expm1(np.minimum(x, 0))", "np.exp(np.minimum(x, 0)) - 1")),
    Mistake("elu_ignores_alpha", "elu forgets alpha (always alpha = 1)",
            replace=("    y *= alpha\n", "")),
    Mistake("naive_tanh", "tanh from its definition (e^x - e^-x) / (e^x + e^-x)", append="""
def tanh(x):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    with np.errstate(all='ignore'):
        return Tensor((np.exp(d) - np.exp(-d)) / (np.exp(d) + np.exp(-d)))
"""),
    Mistake("tanh_backward_from_input", "tanh backward as 1 - x^2 (input saved instead of output)", append="""
def _forward(self, x):
    self.output = as_array(x)
    return tanh(x)
Tanh.forward = _forward
"""),
    Mistake("sigmoid_backward_from_input", "sigmoid backward from x instead of the output s", append="""
def _forward(self, x):
    self.output = as_array(x)
    return sigmoid(x)
Sigmoid.forward = _forward
"""),
    Mistake("gelu_1702", "exact GELU as x * sigmoid(1.702 x)", append=gelu_override("none", """
with np.errstate(over='ignore'):
    return Tensor(d / (1 + np.exp(-1.702 * np.maximum(d, -1e4))))
""")),
    Mistake("gelu_erf", "exact GELU as 0.5 x (1 + erf(x / sqrt 2)): cancels for x < -6",
            append="from scipy.special import erf as _erf\n" + gelu_override("none", """
c = np.maximum(d, -1e4)
return Tensor((0.5 * c * (1 + _erf(c / math.sqrt(2)))).astype(d.dtype))
""")),
    Mistake("gelu_tanh_cancelling", "tanh GELU as 0.5 x (1 + tanh(u)) in the input's dtype",
            append=gelu_override("tanh", """
c = np.clip(d, -1e4, 1e4)
u = SQRT_2_OVER_PI * (c + GELU_CUBIC * c ** 3)
return Tensor((0.5 * np.maximum(d, -1e4) * (1 + np.tanh(u))).astype(d.dtype))
""")),
    Mistake("gelu_ignores_approximate", "GELU(approximate='tanh') computes the exact GELU",
            replace=('    if approximate == "tanh":\n        t = np.clip(x, -1e4, 1e4)',
                     '    if False:\n        t = np.clip(x, -1e4, 1e4)')),
    Mistake("silu_no_clamp", "silu as x / (1 + exp(-x)) without clamping: nan at -inf",
            replace=("    x = np.maximum(x, -1e4)  # -inf / inf would be nan; silu(-1e4) is -0 already\n", "")),
    Mistake("silu_tanh_sigmoid", "silu as x * 0.5 * (1 + tanh(x / 2)): cancels for negative x", append="""
def silu(x):
    d = float_array(x)
    return Tensor(d * (0.5 * (1 + np.tanh(d / 2))))
"""),
    Mistake("silu_backward_no_chain_rule", "silu backward returns f'(x) without multiplying by grad",
            replace=("    return grad * s * (1 + x * (1 - s))", "    return s * (1 + x * (1 - s))")),
    Mistake("naive_softplus", "softplus as log(1 + exp(x)): overflows, loses the tail", append="""
def softplus(x, beta=1.0, threshold=20.0):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    return Tensor(np.log(1 + np.exp(beta * d)) / beta)
"""),
    Mistake("softplus_threshold", "softplus returns x beyond the threshold, as PyTorch (wrong in float64)",
            append="""
_softplus_reference = softplus
def softplus(x, beta=1.0, threshold=20.0):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    y = _softplus_reference(x, beta, threshold).data
    return Tensor(np.where(beta * d > threshold, d, y))
"""),
    Mistake("softmax_no_max", "softmax without subtracting the row maximum: nan for large logits", append="""
def softmax(x, dim=-1):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    e = np.exp(d)
    return Tensor(e / e.sum(axis=dim, keepdims=True))
"""),
    Mistake("softmax_wrong_axis", "softmax normalised over the first axis instead of dim", append="""
def softmax(x, dim=-1):
    d = as_array(x).astype(result_dtype(as_array(x).dtype))
    e = np.exp(d - d.max(axis=0, keepdims=True))
    return Tensor(e / e.sum(axis=0, keepdims=True))
"""),
    Mistake("log_of_softmax", "log_softmax as log(softmax(x)): -inf when a probability underflows",
            append="""
def log_softmax(x, dim=-1):
    with np.errstate(divide='ignore'):
        return Tensor(np.log(softmax(x, dim).data))
"""),
    Mistake("softmax_backward_diagonal", "softmax backward without the off-diagonal terms: g y (1 - y)",
            replace=("    return y * (grad - (grad * y).sum(axis=axis, keepdims=True))",
                     "    return grad * y * (1 - y)")),
    Mistake("log_softmax_backward_no_sum", "log_softmax backward as grad - exp(y), without the sum",
            replace=("    return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True)",
                     "    return grad - np.exp(y) * grad")),
    Mistake("tanh_float32_inside", "tanh computed in float32 whatever the input dtype", append="""
def tanh(x):
    d = as_array(x)
    return Tensor(np.tanh(d.astype(np.float32)).astype(result_dtype(d.dtype)))
"""),
]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return reference_package(tmp_path_factory.mktemp("reference"))


def test_reference_passes_the_fast_run(package):
    """The catalogue's quick configuration passes on the reference (else every mistake 'is caught')."""
    done = run_module_tests("activations", package, FIRST)
    assert done.returncode == 0, f"the module's tests fail on the reference:\n{done.stdout[-3000:]}"


def test_every_mistake_is_caught(package, tmp_path):
    missed = judge("mistake caught", run_entries("activations", package, tmp_path, MISTAKES, FIRST, SUFFIX),
                   want_code=1)
    assert len(MISTAKES) >= 20
    assert not missed, "mistakes the activations tests did not catch:\n" + "\n".join(missed)


def test_dev_file_runs_as_a_notebook(package, tmp_path):
    """The dev file executes top to bottom as a Jupyter notebook (plots included)."""
    import jupytext
    import nbclient

    notebook = jupytext.read(MODULE.dev_file)
    env_backup = dict(os.environ)
    try:
        os.environ.update({"PYTHONPATH": package_env(package)["PYTHONPATH"], "MPLBACKEND": "Agg",
                           "TINYTORCH_ROOT": str(ROOT)})
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


def test_reference_is_exact_and_independent():
    """The judge itself: tito.numerics agrees with Python's math module and follows its rules."""
    import math
    import subprocess
    import sys

    import numpy as np

    from tito.numerics import reference_grad, reference_values, ulp_distance

    x = np.array([-3.5, -0.25, 1e-300, 0.5, 2.0, 17.0])  # where math's own erfc is accurate
    checks = {
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "tanh": math.tanh,
        "elu": lambda v: v if v > 0 else math.expm1(v),
        "gelu": lambda v: 0.5 * v * math.erfc(-v / math.sqrt(2)),
        "softplus": lambda v: max(v, 0) + math.log1p(math.exp(-abs(v))),
    }
    for name, exact in checks.items():
        hi, lo = reference_values(name, x)
        want = np.array([exact(v) for v in x])
        error = ulp_distance(want, hi, lo, np.float64)
        assert np.all(error <= 2), f"reference {name} disagrees with math: {error.max():.3g} ULP"
        assert np.all(np.abs(lo) <= np.spacing(np.abs(hi))), f"reference {name}: lo is not a remainder"
    hi, _ = reference_grad("sigmoid", np.array([0.0]))
    assert hi[0] == 0.25
    hi, _ = reference_values("log_softmax", np.array([0.0, -200.0, -1000.0]))
    assert np.allclose(hi, [0.0, -200.0, -1000.0], rtol=0, atol=1e-80)

    # the conventions of ulp_distance
    nan, inf = np.nan, np.inf
    got = np.array([nan, nan, 1.0, inf, inf, -0.0, 0.0, 1.0 + 2 ** -52])
    hi = np.array([nan, 1.0, nan, inf, -inf, 0.0, 1e-310, 1.0])
    error = ulp_distance(got, hi, np.zeros_like(hi), np.float64)
    assert error[0] == 0 and np.isinf(error[1:3]).all() and error[3] == 0 and np.isinf(error[4])
    assert error[5] == 0, "+0 and -0 count as equal"
    assert abs(error[6] - 1e-310 / 2.0 ** -1074) < 1, "below the normal range the unit is the smallest subnormal"
    assert error[7] == 1.0
    assert ulp_distance(np.float32([3.0e38]), np.array([3.0e38 * 2]), np.array([0.0]), np.float32)[0] == np.inf

    # independent: judging the package must not depend on it
    probe = "import sys, tito.numerics; sys.exit(any(m.startswith('tinytorch') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT).returncode == 0, \
        "tito.numerics must not import tinytorch"
