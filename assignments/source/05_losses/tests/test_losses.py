"""The losses on their own: central differences, stability at the extremes, clear errors, dtypes."""
import numpy as np
import pytest
from hypothesis import given
from loss_cases import FUNCTIONS, binary, class_probabilities, classification, close, has_float_target, regression, run

from tinytorch.core import losses
from tinytorch.core.tensor import Tensor

FD_NOISE = 1e-7  # rounding noise of a central difference with eps = 1e-6 on losses of order 1-1000


def central_differences(f, x, eps=1e-6):
    """d f / d x by (f(x + eps) - f(x - eps)) / 2 eps, element by element (float64)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def check_differences(name, x, y, **options):
    """The backward of the reduced loss (weighted by the upstream gradient) against central
    differences of the same weighted sum, for the input and (where it has one) the target."""
    value, grad, target_grad, upstream = run(name, x, y, **options)
    if np.isnan(value).any():  # a mean over no weight (all ignored or weighing 0): nothing to differentiate
        assert options.get("reduction", "mean") == "mean", f"{name}({options}) is nan"
        return
    weights = 1.0 if upstream is None else upstream
    fn = getattr(losses, name)
    wrapped = {k: Tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    float_target = has_float_target(name, y)
    yt = Tensor(np.asarray(y, np.float64 if float_target else np.int64))

    def total(xx):
        return float(np.sum(fn(Tensor(xx), yt, **wrapped).data * weights))

    numeric = central_differences(total, np.asarray(x, np.float64))
    close(f"{name}({options}) gradient vs central differences", grad, numeric, rtol=1e-5, atol=FD_NOISE)
    if float_target:
        xt = Tensor(np.asarray(x, np.float64))
        numeric = central_differences(lambda yy: float(np.sum(fn(xt, Tensor(yy), **wrapped).data * weights)),
                                      np.asarray(y, np.float64))
        close(f"{name}({options}) target gradient vs central differences", target_grad, numeric, rtol=1e-5,
              atol=FD_NOISE)


@given(regression(low=-10, high=10))
def test_regression_gradients_match_central_differences(case):
    x, y = case
    x = np.where(np.abs(x - y) < 1e-3, y + 0.5, x)  # away from abs's kink
    for name in ("mse_loss", "l1_loss"):
        for reduction in ("mean", "sum", "none"):
            check_differences(name, x, y, reduction=reduction)


@given(classification(scale=5.0))
def test_class_gradients_match_central_differences(case):
    x, y, options = case
    check_differences("nll_loss", x, y, **options)
    check_differences("cross_entropy", x, y, label_smoothing=0.2, **options)


@given(class_probabilities(scale=5.0))
def test_class_probability_gradients_match_central_differences(case):
    x, y, options = case
    check_differences("cross_entropy", x, y, **options)


@given(binary(logits=True))
def test_binary_gradients_match_central_differences(case):
    x, y, options = case
    check_differences("binary_cross_entropy_with_logits", x / 10, y, **options)
    p = 0.05 + 0.9 / (1 + np.exp(-x / 10))  # probabilities away from 0 and 1
    options.pop("pos_weight", None)
    check_differences("binary_cross_entropy", p, y, **options)


def test_known_values():
    value = lambda name, x, y, **o: run(name, x, y, **o)[0]  # noqa: E731
    assert value("mse_loss", [1.0, 2.0, 3.0], [1.0, 4.0, 0.0]) == pytest.approx(13 / 3, rel=1e-15)
    assert value("l1_loss", [1.0, 2.0, 3.0], [1.0, 4.0, 0.0], reduction="sum") == 5.0
    close("cross_entropy of equal logits", value("cross_entropy", np.zeros((2, 4)), [1, 3]), np.log(4))
    close("nll_loss", value("nll_loss", [[-1.0, -2.0], [-3.0, -4.0]], [1, 0], weight=np.array([1.0, 3.0])),
          (3 * 2 + 1 * 3) / 4)
    close("bce", value("binary_cross_entropy", [0.5, 0.25], [1.0, 0.0], reduction="none"), [np.log(2), -np.log(0.75)])
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    close("cross_entropy of one-hot class probabilities = of the class indices",
          value("cross_entropy", logits, np.eye(3)[[2, 0]], weight=np.array([1.0, 2.0, 3.0]), reduction="sum"),
          value("cross_entropy", logits, [2, 0], weight=np.array([1.0, 2.0, 3.0]), reduction="sum"))
    close("cross_entropy of soft labels (0.5, 0.5) on equal logits", value("cross_entropy", np.zeros((1, 2)),
                                                                           [[0.5, 0.5]]), np.log(2))
    # equal logits over 2 classes weighted (1, 3), class 0, smoothing 0.2: the target's share
    # (1 - 0.2) * 1 * log 2 plus the smoothing's 0.2 / 2 * (1 + 3) * log 2, each class by its weight
    close("cross_entropy with class weights and label smoothing",
          value("cross_entropy", np.zeros((1, 2)), [0], weight=np.array([1.0, 3.0]), label_smoothing=0.2,
                reduction="sum"), 1.2 * np.log(2))
    soft = losses.cross_entropy(Tensor(np.zeros((2, 3), np.float32)), Tensor(np.full((2, 3), 1 / 3)))
    assert soft.dtype == np.float32 and soft.item() == pytest.approx(np.log(3), rel=1e-6)


def test_l1_gradient_is_the_sign_of_the_difference_and_0_where_it_is_0():
    _, grad, target_grad, _ = run("l1_loss", [1.0, 2.0, 3.0], [1.0, 0.0, 5.0], reduction="sum")
    np.testing.assert_array_equal(grad, [0.0, 1.0, -1.0], err_msg="d|x - y|/dx = sign(x - y), 0 at x = y (PyTorch's)")
    np.testing.assert_array_equal(target_grad, [0.0, -1.0, 1.0])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_the_mean_of_no_elements_is_nan_and_their_sum_0(name):
    empty = Tensor(np.zeros(0))
    assert np.isnan(getattr(losses, name)(empty, empty).item()), f"{name} of empty tensors: the mean of nothing"
    assert getattr(losses, name)(empty, empty, reduction="sum").item() == 0.0


def test_cross_entropy_is_stable_for_logits_of_1e4():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad, _, upstream = run("cross_entropy", [[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], [1, 0],
                                       reduction="none")
    close("cross_entropy at ±1e4", value, [2e4, 2e4 + np.log(2)])
    assert np.all(np.isfinite(grad))
    close("its gradient: softmax - onehot", grad, np.array([[1, -1, 0], [-1, 0.5, 0.5]]) * upstream[:, None])
    f32 = losses.cross_entropy(Tensor(np.array([[1e4, -1e4]], np.float32)), Tensor(np.array([1])))
    assert f32.dtype == np.float32 and f32.item() == 2e4


def test_binary_cross_entropy_clamps_each_log_at_minus_100():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad, _, upstream = run("binary_cross_entropy", [0.0, 1.0, 0.0, 1.0, 1e-50],
                                       [1.0, 0.0, 0.0, 1.0, 1.0], reduction="none")
    close("bce at p = 0, 1 (clamped logs)", value, [100.0, 100.0, 0.0, 0.0, 100.0])
    floor = float(np.float32(1e-12))  # PyTorch's
    close("bce gradient at p = 0, 1: (p - y) / max(p (1 - p), 1e-12)", grad,
          np.array([-1, 1, 0.0, 0.0, -1]) / floor * upstream)


def test_binary_cross_entropy_with_logits_is_stable():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad, _, upstream = run("binary_cross_entropy_with_logits", [100.0, -100.0, 40.0, -800.0, 800.0],
                                       [0.0, 1.0, 0.0, 0.0, 1.0], reduction="none")
    assert value[0] == 100.0 and value[1] == 100.0 and value[2] == 40.0, value
    assert value[3] == 0.0 and value[4] == 0.0, value
    close("its gradient: sigmoid(z) - y", grad, np.array([1.0, -1.0, 1.0, 0.0, 0.0]) * upstream)
    value, _, _, _ = run("binary_cross_entropy_with_logits", [[0.0, 2.0]], [[1.0, 1.0]], reduction="none",
                         pos_weight=np.array([3.0, 1.0]))
    close("pos_weight multiplies the positive term", value, [[3 * np.log(2), np.log1p(np.exp(-2.0))]])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_shapes_that_differ_are_a_value_error_naming_both(name):
    assert run(name, [[0.25], [0.5]], [[0.5], [0.25]])[0].shape == ()
    x, y = Tensor(np.full((4, 1), 0.5)), Tensor(np.full(4, 0.5))
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        getattr(losses, name)(x, y)


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_targets_are_checked(name):
    run(name, np.zeros((3, 4)), [0, 3, -100])  # ignore_index may be out of range
    fn = getattr(losses, name)
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"target 4 is out of bounds.*4 classes"):
        fn(x, Tensor(np.array([0, 4, 1])))
    with pytest.raises(IndexError, match="out of bounds"):
        fn(x, Tensor(np.array([0, -1, 1])))
    with pytest.raises(TypeError, match="class indices"):
        fn(x, Tensor(np.array([0.0, 1.0, 2.0])))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2,\)"):
        fn(x, Tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="weight"):
        fn(x, Tensor(np.array([0, 1, 2])), weight=Tensor(np.ones(3)))
    with pytest.raises(TypeError, match=r"class indices.*\(3, 4\)" if name == "cross_entropy" else "class indices"):
        fn(x, Tensor(np.full((3, 1), 0.25)))  # a float target of neither shape
    if name == "nll_loss":  # class probabilities are cross_entropy's only, as in PyTorch
        with pytest.raises(TypeError, match="class indices"):
            fn(x, Tensor(np.full((3, 4), 0.25)))
    else:
        with pytest.raises(ValueError, match="ignore_index"):
            fn(x, Tensor(np.full((3, 4), 0.25)), ignore_index=0)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float32_in_float32_out_and_bad_reduction(name):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
    y = rng.integers(0, 4, 3) if name in ("nll_loss", "cross_entropy") else rng.uniform(0, 1, (3, 4)).astype(np.float32)
    fn = getattr(losses, name)
    xt = Tensor(x, requires_grad=True)
    out = fn(xt, Tensor(y))
    out.backward()
    assert out.dtype == np.float32 and out.shape == (), f"{name}: {out.dtype} {out.shape}"
    assert xt.grad.dtype == np.float32
    assert fn(Tensor(x), Tensor(y), reduction="none").dtype == np.float32
    with pytest.raises(ValueError, match="reduction"):
        fn(Tensor(x), Tensor(y), reduction="average")
    before = x.copy()
    fn(Tensor(x), Tensor(y), reduction="sum")
    assert np.array_equal(x, before), f"{name} changed its input"


def test_all_targets_ignored_gives_nan_mean_and_zero_gradient():
    value, grad, _, _ = run("cross_entropy", np.ones((2, 3)), [-100, -100], label_smoothing=0.1)
    assert np.isnan(value) and np.array_equal(grad, np.zeros((2, 3)))
    value, _, _, _ = run("nll_loss", np.ones((2, 3)), [-100, -100], reduction="sum")
    assert value == 0.0


def test_pytorch_style_namespaces_hold_the_losses():
    import tinytorch.nn as nn
    import tinytorch.nn.functional as F

    for name in ["MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss"]:
        assert getattr(nn, name) is getattr(losses, name)
    for name in FUNCTIONS:
        assert getattr(F, name) is getattr(losses, name)
    assert F.relu is not None  # the activations stay
    value = nn.CrossEntropyLoss(label_smoothing=0.1)(Tensor(np.zeros((2, 5))), Tensor(np.array([1, 4])))
    close("CrossEntropyLoss of equal logits", value.data, np.log(5))
