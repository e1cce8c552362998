"""Batch normalisation without PyTorch: the definition (batch statistics with the biased
variance in training, running ones in eval), the running averages (the unbiased variance,
momentum towards the new batch), central differences, float32 far from zero, the layers."""
import numpy as np
import pytest
from conv_cases import central_differences, close, data
from hypothesis import given
from hypothesis import strategies as st

import tinytorch
from tinytorch.core.conv import BatchNorm1d, BatchNorm2d, batch_norm
from tinytorch.core.tensor import Tensor

EPS = 1e-5


def axes_of(x):
    return (0,) + tuple(range(2, x.ndim))


def per_channel(v, x):
    return np.asarray(v).reshape((1, -1) + (1,) * (x.ndim - 2))


def normalised(x, gamma, beta, mean=None, var=None, eps=EPS):
    """The definition: (x - mean) / sqrt(var + eps) * gamma + beta, with the batch's mean and
    biased variance per channel unless given."""
    if mean is None:
        mean, var = x.mean(axis=axes_of(x)), x.var(axis=axes_of(x))
    return (x - per_channel(mean, x)) / np.sqrt(per_channel(var, x) + eps) * per_channel(gamma, x) \
        + per_channel(beta, x)


shapes = st.sampled_from([(4, 3), (5, 2, 3), (2, 3, 2, 3), (3, 1, 4, 2), (2, 4, 1, 1)])


@given(shapes, st.integers(0, 10))
def test_batch_normalization_uses_the_batchs_mean_and_biased_variance(shape, seed):
    x, gamma, beta = 2 * data(shape, seed) + 1, data(shape[1], seed + 1), data(shape[1], seed + 2)
    out = batch_norm(Tensor(x), None, None, Tensor(gamma), Tensor(beta), training=True)
    close(f"batch_norm(x of {shape}, training=True)", out.data, normalised(x, gamma, beta))


def test_batch_normalization_moves_the_running_statistics_towards_each_batch():
    rng = np.random.default_rng(0)
    mean, var = Tensor(np.zeros(3)), Tensor(np.ones(3))
    want_mean, want_var = np.zeros(3), np.ones(3)
    for step, momentum in enumerate((0.3, 0.1, 0.5)):
        x = rng.normal(size=(6, 3, 2)) * np.array([1.0, 2.0, 0.5])[:, None] + np.array([1.0, -2.0, 5.0])[:, None]
        batch_norm(Tensor(x), mean, var, training=True, momentum=momentum)
        n = x.size // 3
        want_mean = (1 - momentum) * want_mean + momentum * x.mean(axis=(0, 2))
        want_var = (1 - momentum) * want_var + momentum * x.var(axis=(0, 2)) * n / (n - 1)
        close(f"running_mean after step {step + 1} (momentum {momentum}: (1 - m) old + m batch)", mean.data, want_mean)
        close(f"running_var after step {step + 1} (the UNBIASED variance, n / (n - 1))", var.data, want_var)


def test_batch_normalization_in_eval_uses_the_running_statistics_and_keeps_them():
    x = data((4, 3, 2, 2), 1) * 3 + 2
    mean, var = Tensor(np.array([0.5, -1.0, 2.0])), Tensor(np.array([4.0, 0.25, 1.0]))
    gamma, beta = data(3, 2), data(3, 3)
    out = batch_norm(Tensor(x), mean, var, Tensor(gamma), Tensor(beta), training=False)
    close("batch_norm(training=False): running statistics", out.data,
          normalised(x, gamma, beta, mean.data, var.data))
    assert mean.data.tolist() == [0.5, -1.0, 2.0] and var.data.tolist() == [4.0, 0.25, 1.0], \
        "eval must not change the running statistics"


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_gradients_match_central_differences(training):
    shape = (3, 2, 2, 2)
    x, gamma, beta, g = 2 * data(shape, 4) + 1, data(2, 5), data(2, 6), data(shape, 7)
    mean, var = np.array([0.5, 1.5]), np.array([2.0, 0.5])
    X, G, B = Tensor(x, requires_grad=True), Tensor(gamma, requires_grad=True), Tensor(beta, requires_grad=True)
    out = batch_norm(X, None if training else Tensor(mean), None if training else Tensor(var), G, B, training=training)
    out.backward(Tensor(g))
    stats = (None, None) if training else (mean, var)

    def loss(**changed):
        values = {"x": x, "gamma": gamma, "beta": beta, **changed}
        return g * normalised(values["x"], values["gamma"], values["beta"], *stats)

    what = f"batch_norm(training={training})"
    close(f"{what}: d/d input", X.grad.data, central_differences(lambda v: loss(x=v), x), rtol=1e-6, atol=1e-7)
    close(f"{what}: d/d weight", G.grad.data, central_differences(lambda v: loss(gamma=v), gamma), rtol=1e-6,
          atol=1e-7)
    close(f"{what}: d/d bias", B.grad.data, central_differences(lambda v: loss(beta=v), beta), rtol=1e-6, atol=1e-7)


def test_batch_normalization_in_float32_far_from_zero():
    x = (1000 + np.random.default_rng(8).normal(size=(64, 4, 6, 6))).astype(np.float32)
    out = batch_norm(Tensor(x), None, None, training=True)
    assert out.dtype == np.float32
    want = normalised(x.astype(np.float64), np.ones(4), np.zeros(4))
    error = float(np.max(np.abs(out.data - want)))
    assert error < 1e-2, (f"pixels near 1000 with a spread of 1, float32: off by {error:.3g} from the exact "
                          "normalisation; compute the variance from the deviations from the mean, not as "
                          "mean(x^2) - mean^2, which cancels")


def test_batch_norm_layers_track_their_statistics():
    tinytorch.manual_seed(0)
    layer = BatchNorm2d(3, momentum=0.2).double()
    assert layer.weight.data.tolist() == [1.0] * 3 and layer.bias.data.tolist() == [0.0] * 3
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    want_mean, want_var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = data((4, 3, 3, 3), step) * (step + 1) + step
        out = layer(Tensor(x))
        close(f"BatchNorm2d in training, step {step + 1}", out.data, normalised(x, np.ones(3), np.zeros(3)))
        want_mean = 0.8 * want_mean + 0.2 * x.mean(axis=(0, 2, 3))
        want_var = 0.8 * want_var + 0.2 * x.var(axis=(0, 2, 3), ddof=1)
    close("BatchNorm2d running_mean after 3 steps", layer.running_mean.data, want_mean)
    close("BatchNorm2d running_var after 3 steps", layer.running_var.data, want_var)
    assert int(layer.num_batches_tracked.data) == 3
    layer.eval()
    x = data((2, 3, 3, 3), 9)
    close(
        "BatchNorm2d in eval mode", layer(Tensor(x)).data, normalised(x, np.ones(3), np.zeros(3), want_mean, want_var)
    )
    assert int(layer.num_batches_tracked.data) == 3, "eval does not count batches"


def test_batch_norm_options_momentum_none_no_tracking_no_affine():
    average = BatchNorm1d(2, momentum=None).double()
    batches = [data((5, 2), k) + k for k in range(4)]
    for x in batches:
        average(Tensor(x))
    close("momentum=None: the running mean is the average of every batch's mean", average.running_mean.data,
          np.mean([x.mean(axis=0) for x in batches], axis=0))
    free = BatchNorm1d(2, track_running_stats=False, affine=False).double().eval()
    assert free.running_mean is None and list(free.parameters()) == [] and free.state_dict() == {}
    x = data((6, 2, 3), 5)
    close("track_running_stats=False normalises with the batch even in eval", free(Tensor(x)).data,
          normalised(x, np.ones(2), np.zeros(2)))


@pytest.mark.parametrize("call, message", [
    (lambda: BatchNorm2d(3)(Tensor(np.zeros((4, 3, 5)))), "4D"),
    (lambda: BatchNorm1d(3)(Tensor(np.zeros((4, 3, 5, 5)))), "2D or 3D"),
    (lambda: BatchNorm1d(3)(Tensor(np.zeros((1, 3)))), "more than 1 value per channel"),
    (lambda: batch_norm(Tensor(np.zeros((4, 3))), Tensor(np.zeros(2)), Tensor(np.ones(2)), training=True), "shape"),
    (lambda: batch_norm(Tensor(np.zeros((4, 3))), None, None, training=False), "running_mean"),
    (lambda: batch_norm(Tensor(np.zeros((4, 3), np.int64)), None, None, training=True), "floating point"),
])
def test_batch_norm_says_what_is_wrong(call, message):
    assert BatchNorm1d(3)(Tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3))).shape == (4, 3)
    with pytest.raises((ValueError, TypeError), match=message):
        call()
