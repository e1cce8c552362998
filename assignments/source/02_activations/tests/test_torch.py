"""Cross-check against PyTorch: same names, same defaults, same values and gradients.

PyTorch is an independent implementation, not the truth: where it is known to be
inaccurate the comparison leaves those inputs out (said next to each case). Without
torch these tests are skipped, except in CI where they must run.
"""
import numpy as np
import pytest
from activation_cases import CLASS_OF, DTYPES, ELEMENTWISE_CASES, case_id, label, run_backward, worst_message
from activation_oracle.specs import SPECS

TORCH_RTOL = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-13}
GRAD_RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def inputs(name, params, dtype):
    """Finite inputs (PyTorch gives nan for gelu and silu at -inf)."""
    rng = np.random.default_rng(17)
    x = np.concatenate([np.linspace(-30, 30, 601), rng.normal(0, 5, 400),
                        np.array([-1e4, -100.0, -0.0, 0.0, 100.0, 1e4])])
    if name == "softplus":
        beta = params.get("beta", 1.0)
        x = x[beta * x <= params.get("threshold", 20.0)]  # torch returns x beyond the threshold
    return x.astype(dtype)


def torch_function(torch, name, params):
    F = torch.nn.functional
    return {
        "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "silu": F.silu,
        "leaky_relu": lambda t: F.leaky_relu(t, **params),
        "elu": lambda t: F.elu(t, **params), "gelu": lambda t: F.gelu(t, **params),
        "softplus": lambda t: F.softplus(t, **params),
        "softmax": lambda t: F.softmax(t, dim=params.get("dim", -1)),
        "log_softmax": lambda t: F.log_softmax(t, dim=params.get("dim", -1)),
    }[name]


def compare(what, got, want, rtol, atol, x):
    """|got - want| <= rtol |want| + atol, reported as a multiple of that allowance."""
    allowed = rtol * np.abs(want) + atol + np.finfo(got.dtype).tiny
    error = np.abs(got.astype(np.float64) - want) / allowed
    error = np.where(np.isnan(got) & np.isnan(want), 0.0, error)
    assert np.all(error <= 1), worst_message(what, error, np.ones(error.shape, bool), x, got, want,
                                             "x the allowed difference")


def forward_allowance(name, x, dtype):
    """(rtol, atol) for comparing forward values with PyTorch's."""
    eps = float(np.finfo(dtype).eps)
    if name == "gelu":  # torch computes 0.5 x (1 + erf or tanh): absolute error about eps |x|
        return TORCH_RTOL[dtype], 4 * eps * np.abs(x.astype(np.float64))
    if name == "log_softmax":  # torch's x - m - log(sum) is accurate in absolute terms
        return 0.0, 8 * eps * np.maximum(1, np.abs(x.astype(np.float64)))
    return TORCH_RTOL[dtype] * (8 if name == "softmax" else 1), 0.0


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES + [("softmax", {}), ("log_softmax", {})], ids=case_id)
def test_forward_and_backward_match_pytorch(torch, case, dtype):
    name, params = case
    x = inputs(name, params, dtype)
    if name in ("softmax", "log_softmax"):
        x = x[: len(x) // 7 * 7].reshape(-1, 7)
    g = np.random.default_rng(19).normal(size=x.shape).astype(dtype)
    out, grad = run_backward(name, x, g, "agreement with PyTorch", **params)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch_function(torch, name, params)(tx)
    ty.backward(torch.tensor(g))
    what = f"{label(name, params)} in {dtype}"
    rtol, atol = forward_allowance(name, x, dtype)
    compare(f"{what}: forward vs PyTorch", out, ty.detach().numpy().astype(np.float64), rtol, atol, x)
    # gradients from a saved output (sigmoid, tanh, softmax) are exact only up to the
    # rounding of that output: allow 4 eps |grad_output| besides the relative part
    atol = 4 * np.finfo(dtype).eps * np.abs(g.astype(np.float64))
    if name == "gelu":  # torch's GELU derivative cancels in the tail as its forward does
        atol = atol * (1 + np.abs(x.astype(np.float64)))
    compare(f"{what}: backward vs PyTorch autograd", grad, tx.grad.numpy().astype(np.float64),
            GRAD_RTOL[dtype], atol, x)


KINKS = [(name, params) for name, spec in SPECS.items() for params, _ in spec.kinks]


@pytest.mark.parametrize("case", KINKS, ids=case_id)
def test_kinks_match_pytorch(torch, case):
    name, params = case
    x = np.array([0.0, -0.0], np.float32)
    out, grad = run_backward(name, x, np.ones_like(x), "the kink convention", **params)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch_function(torch, name, params)(tx)
    ty.backward(torch.ones(2))
    assert np.array_equal(grad, tx.grad.numpy()), (
        f"{label(name, params)}: f'(0) must follow PyTorch ({tx.grad.numpy()}), got {grad}")
    assert np.array_equal(out, ty.detach().numpy()), f"{label(name, params)}(±0) = {out}, PyTorch {ty.detach().numpy()}"


def test_same_defaults_as_pytorch(torch):
    import inspect

    import tinytorch.core.activations as core

    for name, cls in CLASS_OF.items():
        ours = inspect.signature(getattr(core, cls)).parameters
        theirs = inspect.signature(getattr(torch.nn, cls)).parameters
        for key, parameter in ours.items():
            assert key in theirs, f"{cls}: argument {key!r} does not exist in torch.nn.{cls}"
            if key != "dim":  # torch's Softmax dim defaults to None (deprecated implicit choice)
                assert parameter.default == theirs[key].default, (
                    f"{cls}({key}=...) defaults to {theirs[key].default!r} in PyTorch, not {parameter.default!r}")
        # Built with its defaults, each layer computes what PyTorch's does (in float64:
        # PyTorch's float32 GELU loses digits to cancellation already at x = -3).
        x = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]], np.float64)
        ours_out, _ = run_backward(name, x, np.ones_like(x), "the default arguments, against PyTorch")
        theirs_layer = getattr(torch.nn, cls)(dim=-1) if "dim" in ours else getattr(torch.nn, cls)()
        want = theirs_layer(torch.from_numpy(x)).numpy()
        assert np.allclose(ours_out, want, rtol=TORCH_RTOL[np.dtype(np.float64)], atol=0), (
            f"{cls}() gave {ours_out} for {x}; torch.nn.{cls}() gives {want}")
