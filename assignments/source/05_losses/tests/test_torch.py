"""Every loss against torch.nn.functional: value and gradient, float64, rtol 1e-10,
over hypothesis-generated shapes, reductions, weights, ignored targets and smoothing."""
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from loss_cases import REDUCTIONS, binary, class_probabilities, classification, close, regression, run, run_torch


def cancellation(name, x, y, upstream, reduction="mean", weight=None, pos_weight=None, **_):
    """The absolute rounding error allowed where a gradient is a difference of two terms
    (BCE with logits: w g (s (1 + (q - 1) y) - q y) and w g ((q - 1) sp - z)): a few ulp of
    the terms, not of their difference. With z = 81 and y = 1, s (1 + (q - 1) y) and q y are
    equal to an ulp, so the exact answer 0 and PyTorch's -2e-18 are both right."""
    if name != "binary_cross_entropy_with_logits":
        return 0.0, 0.0
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    g = upstream if reduction == "none" else np.full(x.shape, 1.0 / max(x.size, 1) if reduction == "mean" else 1.0)
    w = np.abs(g) * (1.0 if weight is None else np.abs(weight))
    q = 1.0 if pos_weight is None else np.abs(pos_weight)
    ulps = 8 * np.finfo(np.float64).eps
    return (ulps * np.max(w * np.maximum(q, 1.0), initial=0.0),
            ulps * np.max(w * (np.abs(q - 1) * np.logaddexp(0, -x) + np.abs(x)), initial=0.0))


def compare(torch, name, x, y, grad_floor=0.0, **options):
    """Value and gradients against PyTorch's; grad_floor: the rounding noise of a gradient
    that cancels to 0, relative to the terms that cancel (an absolute allowance)."""
    value, grad, target_grad, upstream = run(name, x, y, **options)
    want_value, want_grad, want_target_grad = run_torch(torch, name, x, y, upstream, **options)
    what = f"{name}(input of shape {np.shape(x)}, {options})"
    input_atol, target_atol = cancellation(name, x, y, upstream, **options)
    close(f"{what}: value", value, want_value)
    assert grad is not None, f"{what}: backward() left input.grad empty"
    terms = np.max(np.abs(upstream)) if upstream is not None else 1.0
    close(f"{what}: gradient of the input", grad, want_grad, atol=max(input_atol, grad_floor * terms))
    if want_target_grad is not None:
        assert target_grad is not None, f"{what}: backward() left target.grad empty"
        close(f"{what}: gradient of the target", target_grad, want_target_grad, atol=target_atol)


@given(regression(), st.sampled_from(REDUCTIONS))
def test_mse_loss(torch, case, reduction):
    compare(torch, "mse_loss", *case, reduction=reduction)


@given(regression(), st.sampled_from(REDUCTIONS))
def test_l1_loss(torch, case, reduction):
    compare(torch, "l1_loss", *case, reduction=reduction)


@given(classification())
def test_nll_loss(torch, case):
    x, y, options = case
    compare(torch, "nll_loss", x, y, **options)


def no_target_weight(y, options):
    """A mean over targets that all weigh 0 (ignored, or of a class of weight 0) divides by 0.

    With label smoothing PyTorch's value is then nan (0/0 in its class term) and a one-pass
    formula's is inf (the smoothing term over 0): both undefined, neither a mistake."""
    if options.get("reduction", "mean") != "mean":
        return False
    y = np.asarray(y).reshape(-1)
    kept = y[y != options.get("ignore_index", -100)]
    weight = options.get("weight")
    return float(np.sum(np.ones(kept.shape) if weight is None else np.asarray(weight)[kept])) == 0.0


@given(classification(), st.sampled_from([0.0, 0.1, 0.7]))
def test_cross_entropy(torch, case, label_smoothing):
    x, y, options = case
    assume(not (label_smoothing and no_target_weight(y, options)))
    compare(torch, "cross_entropy", x, y, label_smoothing=label_smoothing, **options)


@given(classification(scale=1e4))
def test_cross_entropy_with_logits_of_1e4(torch, case):
    x, y, options = case
    compare(torch, "cross_entropy", x, y, **options)


def probability_noise(y, options):
    """The size of the two terms p_ik sum_c A_ic and A_ik of a class-probability gradient, times
    4 eps: where they cancel (a target equal to softmax(z)) the gradient is rounding noise."""
    weight = options.get("weight")
    mass = np.max(np.sum(y, axis=0 if np.ndim(y) == 1 else 1), initial=1.0)
    return 4 * np.finfo(np.float64).eps * mass * (1.0 if weight is None else max(np.max(weight), 1.0))


@given(class_probabilities())
def test_cross_entropy_with_class_probabilities(torch, case):
    x, y, options = case
    compare(torch, "cross_entropy", x, y, grad_floor=probability_noise(y, options), **options)


@given(class_probabilities(scale=1e4))
def test_cross_entropy_with_class_probabilities_and_logits_of_1e4(torch, case):
    x, y, options = case
    compare(torch, "cross_entropy", x, y, grad_floor=probability_noise(y, options), **options)


@given(binary(logits=False))
def test_binary_cross_entropy(torch, case):
    x, y, options = case
    compare(torch, "binary_cross_entropy", x, y, **options)


@given(binary(logits=True))
def test_binary_cross_entropy_with_logits(torch, case):
    x, y, options = case
    compare(torch, "binary_cross_entropy_with_logits", x, y, **options)


def test_loss_classes_match_pytorchs(torch):
    from tinytorch.core import losses
    from tinytorch.core.tensor import Tensor

    rng = np.random.default_rng(4)
    logits, classes = rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    probs, labels = rng.uniform(size=(6, 4)), rng.uniform(size=(6, 4))
    weight = np.array([1.0, 2.0, 0.5, 3.0])
    nn = torch.nn
    cases = [
        ("MSELoss", {"reduction": "sum"}, probs, labels), ("L1Loss", {}, probs, labels),
        ("CrossEntropyLoss", {"weight": weight, "ignore_index": 1, "label_smoothing": 0.2}, logits, classes),
        ("CrossEntropyLoss", {"weight": weight, "label_smoothing": 0.2}, logits, probs / probs.sum(1, keepdims=True)),
        ("NLLLoss", {"weight": weight, "reduction": "sum"}, logits, classes),
        ("BCELoss", {"weight": weight}, probs, labels),
        ("BCEWithLogitsLoss", {"pos_weight": weight, "reduction": "none"}, logits, labels),
    ]
    for name, options, x, y in cases:
        ours = getattr(losses, name)(**{k: Tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()})
        theirs = getattr(nn, name)(**{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                                      for k, v in options.items()})
        assert repr(ours) == repr(theirs), f"{ours!r} vs PyTorch's {theirs!r}"
        got = ours(Tensor(x), Tensor(y)).data
        want = theirs(torch.from_numpy(x), torch.from_numpy(y)).numpy()
        close(f"{name}({options})", got, want)
