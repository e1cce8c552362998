"""What the losses tests share: the cases, PyTorch's counterparts, running forward and backward."""
import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinytorch.core import losses
from tinytorch.core.tensor import Tensor

RTOL = 1e-10  # float64, against PyTorch and against central differences
REDUCTIONS = ["mean", "sum", "none"]
FUNCTIONS = ["mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
             "binary_cross_entropy_with_logits"]
CLASS_OF = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "nll_loss": "NLLLoss", "cross_entropy": "CrossEntropyLoss",
            "binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss"}
TARGET_HAS_GRAD = {"mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"}


def has_float_target(name, y):
    """Whether the target is floats (that get a gradient): always for the regression and
    binary losses, and for cross_entropy's class probabilities."""
    return name in TARGET_HAS_GRAD or np.asarray(y).dtype.kind == "f"


def run(name, x, y, **options):
    """Our loss of float64 x against y, with backward: (value, grad of x, grad of y or None)."""
    xt = Tensor(np.array(x, np.float64), requires_grad=True)
    float_target = has_float_target(name, y)
    yt = Tensor(np.array(y, np.float64 if float_target else np.int64), requires_grad=float_target)
    options = {k: (Tensor(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()}
    try:
        out = getattr(losses, name)(xt, yt, **options)
        upstream = np.linspace(0.5, 1.5, out.size).reshape(out.shape) if out.ndim else None
        out.backward(None if upstream is None else Tensor(upstream))
    except NotImplementedError as error:
        pytest.fail(f"{name} is not implemented yet ({error})")
    assert isinstance(out, Tensor), f"{name} must return a Tensor, got {type(out).__name__}"
    return out.data, (None if xt.grad is None else xt.grad.data), (yt.grad.data if float_target and yt.grad is not None
                                                                 else None), upstream


def run_torch(torch, name, x, y, upstream, **options):
    F = torch.nn.functional
    float_target = has_float_target(name, y)
    xt = torch.tensor(np.array(x, np.float64), requires_grad=True)
    yt = torch.tensor(np.array(y, np.float64 if float_target else np.int64), requires_grad=float_target)
    options = {k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()}
    out = getattr(F, name)(xt, yt, **options)
    out.backward(None if upstream is None else torch.from_numpy(upstream))
    return out.detach().numpy(), xt.grad.numpy(), (yt.grad.numpy() if float_target else None)


def close(what, got, want, rtol=RTOL, atol=0.0):
    """|got - want| <= rtol (|want| + max |want|): relative to each element, and to the
    array's scale for elements near zero (plus atol: the rounding noise of central
    differences, where the exact answer may be 0). nan must match nan, and inf the same inf."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    finite = np.isfinite(want)
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: nan where there should be none (or missing)\n" \
        f"got {got}\nwant {want}"
    assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)]), \
        f"{what}: the infinities differ\ngot {got}\nwant {want}"
    scale = np.max(np.abs(want[finite])) if finite.any() else 0.0
    error = np.abs(got[finite] - want[finite])
    allowed = rtol * (np.abs(want[finite]) + scale) + atol
    assert np.all(error <= allowed), (f"{what}: off by up to {np.max(error / np.maximum(allowed, 1e-300)):.3g} "
                                      f"times the tolerance (rtol {rtol:g})\ngot  {got}\nwant {want}")


# ---- inputs -------------------------------------------------------------------------

def floats(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def regression(draw, low=-1e3, high=1e3):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    x = draw(hnp.arrays(np.float64, shape, elements=floats(low, high)))
    y = draw(hnp.arrays(np.float64, shape, elements=floats(low, high)))
    return x, y


@st.composite
def classification(draw, scale=30.0):
    """(scores, targets, options): input (N, C) or (C,) or (N, C, d...), some targets ignored."""
    classes = draw(st.integers(1, 5))
    layout = draw(st.sampled_from(["rows", "one", "image"]))
    n = draw(st.integers(1, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))) if layout == "image" else ()
    shape = (classes,) if layout == "one" else (n, classes) + extra
    target_shape = () if layout == "one" else (n,) + extra
    x = draw(hnp.arrays(np.float64, shape, elements=floats(-scale, scale)))
    ignore = draw(st.sampled_from([-100, 0, 2]))
    targets = draw(hnp.arrays(np.int64, target_shape, elements=st.integers(0, classes - 1)))
    if draw(st.booleans()):
        targets = np.where(draw(hnp.arrays(np.bool_, target_shape)), ignore, targets)
    options = {"ignore_index": ignore, "reduction": draw(st.sampled_from(REDUCTIONS))}
    if draw(st.booleans()):
        options["weight"] = draw(
            hnp.arrays(np.float64, (classes,), elements=st.one_of(st.just(0.0), floats(0.01, 3.0)))
        )
    return x, targets, options


@st.composite
def class_probabilities(draw, scale=30.0):
    """(scores, target probabilities of the same shape, options) for cross_entropy: rows that
    sum to 1 (soft labels) or any numbers in [0, 1], as PyTorch accepts both."""
    classes = draw(st.integers(1, 5))
    layout = draw(st.sampled_from(["rows", "one", "image"]))
    n = draw(st.integers(1, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))) if layout == "image" else ()
    shape = (classes,) if layout == "one" else (n, classes) + extra
    x = draw(hnp.arrays(np.float64, shape, elements=floats(-scale, scale)))
    y = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.just(0.0), floats(0, 1))))
    if draw(st.booleans()):
        axis = 0 if layout == "one" else 1
        y = (y + 0.01) / (y + 0.01).sum(axis=axis, keepdims=True)
    options = {"reduction": draw(st.sampled_from(REDUCTIONS)),
               "label_smoothing": draw(st.sampled_from([0.0, 0.1, 0.7]))}
    if draw(st.booleans()):
        options["weight"] = draw(
            hnp.arrays(np.float64, (classes,), elements=st.one_of(st.just(0.0), floats(0.01, 3.0)))
        )
    return x, y, options


@st.composite
def binary(draw, logits):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    if logits:
        x = draw(hnp.arrays(np.float64, shape, elements=floats(-100, 100)))
    else:
        x = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.sampled_from([0.0, 1.0]), floats(0, 1))))
    y = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.sampled_from([0.0, 1.0]), floats(0, 1))))
    options = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    if draw(st.booleans()):
        options["weight"] = draw(hnp.arrays(np.float64, shape[-1:], elements=floats(0.0, 2.0)))
    if logits and draw(st.booleans()):
        options["pos_weight"] = draw(hnp.arrays(np.float64, shape[-1:], elements=floats(0.1, 5.0)))
    return x, y, options
