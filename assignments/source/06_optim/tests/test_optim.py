"""Module 06 optim: SGD, Adam, AdamW, the schedulers and clip_grad_norm_ against
torch.optim in float64 (100-step trajectories to 1e-10), plus hand-computed values that
need no PyTorch.

The gradients are a fixed function of the current weights (so a wrong step changes
every later gradient), computed in NumPy and written into `.grad` of both sides.
"""
from __future__ import annotations

import functools
import math
import os

import numpy as np
import pytest

from tinytorch.core.optim import SGD, Adam, AdamW, CosineAnnealingLR, LambdaLR, StepLR, clip_grad_norm_
from tinytorch.core.tensor import Tensor

# 100 steps; the quick profile of the test of the tests (the catalogue) runs 25
STEPS = 25 if os.environ.get("TINYTORCH_HYPOTHESIS_PROFILE") == "fast" else 100
RTOL = 1e-10
SHAPES = [(3, 4), (5,)]


def gradient(p, k):
    """d/dp of sum(scale * p^2 / 2 - cos(p)) + a drift that changes sign: ill-conditioned, nonlinear."""
    scale = np.linspace(0.2, 6.0, p.size).reshape(p.shape)
    drift = 0.3 * math.cos(0.7 * k) * np.linspace(-1, 1, p.size).reshape(p.shape)
    return (scale * p + np.sin(p) + drift).astype(p.dtype)


def start(dtype=np.float64):
    rng = np.random.default_rng(0)
    return [rng.normal(0, 1.5, shape).astype(dtype) for shape in SHAPES]


def ours_params(arrays):
    return [Tensor(a.copy(), requires_grad=True) for a in arrays]


def run_ours(make, arrays, steps=STEPS, groups=None):
    params = ours_params(arrays)
    opt = make(params if groups is None else groups(params))
    path = []
    for k in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = Tensor(gradient(p.data, k))
        opt.step()
        path.append([p.data.copy() for p in params])
    return path, opt, params


def run_torch(torch, make, arrays, steps=STEPS, groups=None):
    params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    opt = make(params if groups is None else groups(params))
    path = []
    for k in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = torch.from_numpy(gradient(p.detach().numpy(), k))
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path


def assert_same_path(ours, theirs, what, rtol=RTOL, reference="PyTorch"):
    for k, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            assert x.dtype == y.dtype, f"{what}: parameter {i} became {x.dtype}, {reference} keeps {y.dtype}"
            error = np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y)))
            assert error <= rtol, (f"{what}: after step {k + 1}, parameter {i} differs from {reference}'s by "
                                   f"{error:.3g} (relative; allowed {rtol:g})\nyours: {x.ravel()[:4]}\n"
                                   f"{reference}: {y.ravel()[:4]}")


SGD_OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.02, momentum=0.9),
    dict(lr=0.02, momentum=0.9, dampening=0.3),
    dict(lr=0.02, momentum=0.5, weight_decay=0.05),
    dict(lr=0.02, momentum=0.9, nesterov=True),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1),
]
ADAM_OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.05, betas=(0.8, 0.99)),
    dict(lr=0.01, eps=1e-3),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.02, amsgrad=True),
    dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.05, amsgrad=True),
]


def option_id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items())


# ---- hand-computed steps (no PyTorch needed) ---------------------------------------------

def test_sgd_step_by_hand():
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = SGD([p], lr=0.1)
    p.grad = Tensor(np.array([0.5, 1.0]))
    opt.step()
    assert np.allclose(p.data, [0.95, -2.1], rtol=0, atol=1e-15)


def test_momentum_buffer_is_kept_between_steps():
    p = Tensor(np.array([0.0]), requires_grad=True)
    opt = SGD([p], lr=1.0, momentum=0.5, dampening=0.5)
    moves = []
    for _ in range(3):
        before = p.data.copy()
        p.grad = Tensor(np.array([1.0]))
        opt.step()
        moves.append((before - p.data).item())
    # buffer: 1 (the first gradient), then 0.5 * 1 + 0.5 * 1 = 1, then 1
    assert np.allclose(moves, [1.0, 1.0, 1.0]), moves
    opt = SGD([p], lr=1.0, momentum=0.9)
    moves = []
    for _ in range(3):
        before = p.data.copy()
        p.grad = Tensor(np.array([1.0]))
        opt.step()
        moves.append((before - p.data).item())
    assert np.allclose(moves, [1.0, 1.9, 2.71]), f"momentum 0.9 with g = 1 moves 1, 1.9, 2.71; got {moves}"


def test_weight_decay_enters_the_gradient_before_the_momentum():
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(2):
        p.grad = Tensor(np.array([1.0]))
        opt.step()
    # g = 1 + 0.5 * 1 = 1.5, buffer 1.5, p = 0.85; then g = 1 + 0.5 * 0.85 = 1.425,
    # buffer 0.9 * 1.5 + 1.425 = 2.775, p = 0.85 - 0.2775
    assert np.allclose(p.data, [0.5725], rtol=0, atol=1e-15), p.data


def test_nesterov_by_hand():
    p = Tensor(np.array([0.0]), requires_grad=True)
    opt = SGD([p], lr=1.0, momentum=0.9, nesterov=True)
    moves = []
    for _ in range(2):
        before = p.data.copy()
        p.grad = Tensor(np.array([1.0]))
        opt.step()
        moves.append((before - p.data).item())
    assert np.allclose(moves, [1.9, 1 + 0.9 * 1.9]), moves


def test_adam_first_step_is_lr_in_every_coordinate():
    p = Tensor(np.array([1.0, 1.0, 1.0, 1.0]), requires_grad=True)
    opt = Adam([p], lr=0.01)
    p.grad = Tensor(np.array([0.1, 1.0, -50.0, 3e3]))
    opt.step()
    assert np.allclose(p.data, [0.99, 0.99, 1.01, 0.99], rtol=0, atol=1e-8), (
        "with bias correction Adam's first step is lr * g / |g|", p.data)
    assert opt.state[p]["step"] == 1


def test_adamw_decays_before_the_step():
    p = Tensor(np.array([2.0]), requires_grad=True)
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = Tensor(np.array([1.0]))
    opt.step()
    # p * (1 - lr * wd) first, then the Adam step of lr * g/|g| (eps is negligible)
    assert np.allclose(p.data, [2.0 * 0.95 - 0.1], rtol=0, atol=1e-8), p.data
    assert AdamW([Tensor(np.zeros(1), requires_grad=True)]).defaults["weight_decay"] == 0.01
    q = Tensor(np.array([2.0]), requires_grad=True)
    coupled = Adam([q], lr=0.1, weight_decay=0.5)
    q.grad = Tensor(np.array([1.0]))
    coupled.step()
    assert np.allclose(q.data, [1.9], atol=1e-8), "Adam's weight decay goes into the gradient"


def test_zero_grad_forgets_gradients():
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = SGD([a, b], lr=0.1)
    a.grad = Tensor(np.array([1.0, 2.0, 3.0]))
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    a.grad = Tensor(np.array([1.0, 2.0, 3.0]))
    kept = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is kept and np.array_equal(a.grad.data, np.zeros(3)), "set_to_none=False zeroes in place"
    assert b.grad is None
    opt.step()
    assert np.array_equal(a.data, np.ones(3)) and np.array_equal(b.data, np.ones(2))


def test_parameters_without_gradient_are_left_alone():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    for opt in (SGD([a, b], lr=0.1, momentum=0.9), Adam([a, b], lr=0.1)):
        a.grad, b.grad = Tensor(np.ones(2)), None
        opt.step()
        assert np.array_equal(b.data, np.ones(2)) and not np.array_equal(a.data, np.ones(2))
        assert b not in opt.state or not opt.state[b]


def test_bad_hyperparameters_are_refused_and_good_ones_step():
    p = Tensor(np.ones(2), requires_grad=True)
    for bad in (lambda: SGD([p], lr=-1), lambda: SGD([p], lr=0.1, nesterov=True),
                lambda: SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
                lambda: Adam([p], betas=(1.0, 0.9)), lambda: SGD([], lr=0.1),
                lambda: SGD([{"params": [p]}, {"params": [p]}], lr=0.1)):
        with pytest.raises(ValueError):
            bad()
    opt = SGD([p], lr=0.5, momentum=0.9, nesterov=True)
    p.grad = Tensor(np.ones(2))
    opt.step()
    assert np.allclose(p.data, 1 - 0.5 * 1.9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_of_the_weights_is_kept(dtype):
    for make in (lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1), lambda ps: Adam(ps, lr=0.1),
                 lambda ps: AdamW(ps, lr=0.1)):
        path, opt, params = run_ours(make, start(dtype), steps=3)
        assert all(p.data.dtype == dtype for p in params), [p.data.dtype for p in params]
        assert all(np.isfinite(p.data).all() for p in params)


# ---- the published algorithm, written out here: a second opinion that needs no PyTorch ------

def adam_by_the_book(arrays, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                     decoupled=False):
    """Adam (Kingma and Ba), with PyTorch's weight decay (into the gradient, or AdamW's decoupled
    decay of the weights first) and amsgrad (the largest second moment so far), in float64."""
    path, params = [], [a.astype(np.float64) for a in arrays]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    for k in range(steps):
        for i, p in enumerate(params):
            g = gradient(p, k)
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
            v_max[i] = np.maximum(v_max[i], v[i])
            second = v_max[i] if amsgrad else v[i]
            m_hat, v_hat = m[i] / (1 - betas[0] ** (k + 1)), second / (1 - betas[1] ** (k + 1))
            params[i] = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append([p.copy() for p in params])
    return path


@pytest.mark.parametrize("kwargs", [*ADAM_OPTIONS, dict(lr=0.05, weight_decay=0.5)], ids=option_id)
@pytest.mark.parametrize("make", [Adam, AdamW], ids=["Adam", "AdamW"])
def test_adam_trajectory_follows_the_published_algorithm(make, kwargs):
    if make is AdamW:
        kwargs = {"weight_decay": 0.01, **kwargs}
    ours, _, _ = run_ours(lambda ps: make(ps, **kwargs), start())
    book = adam_by_the_book(start(), STEPS, decoupled=make is AdamW, **kwargs)
    assert_same_path(ours, book, f"{make.__name__}({option_id(kwargs)})", reference="the published algorithm")


# ---- 100 steps next to torch.optim, float64 ------------------------------------------------

@pytest.mark.parametrize("kwargs", SGD_OPTIONS, ids=option_id)
def test_sgd_trajectory_matches_pytorch(torch, kwargs):
    ours, _, _ = run_ours(lambda ps: SGD(ps, **kwargs), start())
    theirs = run_torch(torch, lambda ps: torch.optim.SGD(ps, **kwargs), start())
    assert_same_path(ours, theirs, f"SGD({option_id(kwargs)})")


@pytest.mark.parametrize("kwargs", ADAM_OPTIONS, ids=option_id)
def test_adam_trajectory_matches_pytorch(torch, kwargs):
    ours, _, _ = run_ours(lambda ps: Adam(ps, **kwargs), start())
    theirs = run_torch(torch, lambda ps: torch.optim.Adam(ps, **kwargs), start())
    assert_same_path(ours, theirs, f"Adam({option_id(kwargs)})")


@pytest.mark.parametrize("kwargs", [*ADAM_OPTIONS, dict(lr=0.05, weight_decay=0.5)], ids=option_id)
def test_adamw_trajectory_matches_pytorch(torch, kwargs):
    ours, _, _ = run_ours(lambda ps: AdamW(ps, **kwargs), start())
    theirs = run_torch(torch, lambda ps: torch.optim.AdamW(ps, **kwargs), start())
    assert_same_path(ours, theirs, f"AdamW({option_id(kwargs)})")


def test_param_groups_with_their_own_hyperparameters_match_pytorch(torch):
    def groups(ps):
        return [{"params": [ps[0]], "lr": 0.05, "weight_decay": 0.1}, {"params": [ps[1]]}]

    cases = [(SGD, torch.optim.SGD, dict(lr=0.01, momentum=0.9)), (Adam, torch.optim.Adam, dict(lr=0.02)),
             (AdamW, torch.optim.AdamW, dict(lr=0.02, amsgrad=True))]
    for ours_cls, torch_cls, kwargs in cases:
        ours, opt, _ = run_ours(functools.partial(ours_cls, **kwargs), start(), groups=groups)
        theirs = run_torch(torch, functools.partial(torch_cls, **kwargs), start(), groups=groups)
        assert_same_path(ours, theirs, f"{ours_cls.__name__} with two groups")
        assert opt.param_groups[1]["lr"] == kwargs["lr"] and opt.param_groups[0]["lr"] == 0.05


def test_float32_trajectory_stays_close_to_pytorch(torch):
    for ours_cls, torch_cls, kwargs in [(SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9)),
                                        (Adam, torch.optim.Adam, dict(lr=0.01)),
                                        (AdamW, torch.optim.AdamW, dict(lr=0.01))]:
        ours, _, _ = run_ours(functools.partial(ours_cls, **kwargs), start(np.float32), steps=20)
        theirs = run_torch(torch, functools.partial(torch_cls, **kwargs), start(np.float32), steps=20)
        assert_same_path(ours, theirs, f"{ours_cls.__name__} float32", rtol=1e-4)


# ---- state_dict: resume exactly --------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.02, momentum=0.9, nesterov=True),
                                  lambda ps: Adam(ps, lr=0.02, amsgrad=True),
                                  lambda ps: AdamW(ps, lr=0.02, weight_decay=0.1)],
                         ids=["SGD", "Adam", "AdamW"])
def test_state_dict_resumes_exactly(make):
    straight, _, _ = run_ours(make, start(), steps=40)
    half, opt, params = run_ours(make, start(), steps=20)
    saved = opt.state_dict()
    weights = [p.data.copy() for p in params]
    for p in params:  # keep training the first optimizer: the saved copy must not change
        p.grad = Tensor(np.ones_like(p.data))
        opt.step()
    fresh = ours_params(weights)
    resumed = make(fresh)
    resumed.load_state_dict(saved)
    for k in range(20, 40):
        resumed.zero_grad()
        for p in fresh:
            p.grad = Tensor(gradient(p.data, k))
        resumed.step()
    for a, b in zip(fresh, straight[-1]):
        assert np.array_equal(a.data, b), "a run resumed from state_dict() must continue exactly"


def test_state_dict_has_pytorchs_layout(torch):
    for ours_cls, torch_cls, kwargs in [(SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
                                        (Adam, torch.optim.Adam, dict(lr=0.1, amsgrad=True))]:
        _, opt, _ = run_ours(functools.partial(ours_cls, **kwargs), start(), steps=2)
        params = [torch.tensor(a, requires_grad=True) for a in start()]
        theirs = torch_cls(params, **kwargs)
        for p in params:
            p.grad = torch.ones_like(p)
        theirs.step()
        ours_sd, theirs_sd = opt.state_dict(), theirs.state_dict()
        assert sorted(ours_sd["state"]) == sorted(theirs_sd["state"])
        assert set(ours_sd["state"][0]) == set(theirs_sd["state"][0]), (ours_sd["state"][0].keys(),
                                                                       theirs_sd["state"][0].keys())
        for ours_group, theirs_group in zip(ours_sd["param_groups"], theirs_sd["param_groups"]):
            assert ours_group["params"] == theirs_group["params"]
            for key in ours_group:
                assert key in theirs_group and (key == "params" or ours_group[key] == theirs_group[key]), key


# ---- schedulers ------------------------------------------------------------------------------

def lr_sequence(scheduler, optimizer, epochs):
    seen = []
    for _ in range(epochs):
        seen.append([g["lr"] for g in optimizer.param_groups])
        assert seen[-1] == scheduler.get_last_lr()
        optimizer.step()
        scheduler.step()
    return seen


SCHEDULES = [
    (
        "StepLR(3, 0.5)",
        lambda o: StepLR(o, step_size=3, gamma=0.5),
        lambda t, o: t.optim.lr_scheduler.StepLR(o, 3, 0.5),
    ),
    ("StepLR(10)", lambda o: StepLR(o, step_size=10), lambda t, o: t.optim.lr_scheduler.StepLR(o, 10)),
    (
        "Cosine(10)",
        lambda o: CosineAnnealingLR(o, T_max=10),
        lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10),
    ),
    (
        "Cosine(7, 0.01)",
        lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.01),
        lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    ),
    (
        "Lambda(0.9^t)",
        lambda o: LambdaLR(o, lambda e: 0.9**e),
        lambda t, o: t.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9**e),
    ),
    (
        "Lambda per group",
        lambda o: LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: min(1.0, (e + 1) / 5)]),
        lambda t, o: t.optim.lr_scheduler.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: min(1.0, (e + 1) / 5)]),
    ),
]


@pytest.mark.parametrize("name, ours_make, torch_make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_scheduler_learning_rates_match_pytorch(torch, name, ours_make, torch_make):
    arrays = start()
    ours_opt = SGD([{"params": [Tensor(arrays[0])], "lr": 0.5}, {"params": [Tensor(arrays[1])]}], lr=0.1)
    torch_opt = torch.optim.SGD([{"params": [torch.tensor(arrays[0])], "lr": 0.5},
                                 {"params": [torch.tensor(arrays[1])]}], lr=0.1)
    ours = lr_sequence(ours_make(ours_opt), ours_opt, 30)
    theirs = lr_sequence(torch_make(torch, torch_opt), torch_opt, 30)
    assert np.allclose(ours, theirs, rtol=1e-12, atol=1e-15), f"{name}:\nyours   {ours[:12]}\nPyTorch {theirs[:12]}"


def test_schedules_by_hand():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([p], lr=1.0)
    assert [r[0] for r in lr_sequence(StepLR(opt, 2, gamma=0.1), opt, 5)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    opt = SGD([p], lr=1.0)
    cos = [r[0] for r in lr_sequence(CosineAnnealingLR(opt, T_max=2, eta_min=0.5), opt, 5)]
    assert cos == pytest.approx([1.0, 0.75, 0.5, 0.75, 1.0]), "the cosine goes back up after T_max"
    opt = SGD([p], lr=2.0)
    assert [r[0] for r in lr_sequence(LambdaLR(opt, lambda e: e + 1), opt, 3)] == pytest.approx([2, 4, 6])
    q = Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([{"params": [p]}, {"params": [q], "lr": 3.0}], lr=2.0)
    per_group = lr_sequence(LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: e + 1]), opt, 3)
    assert np.allclose(per_group, [[2, 3], [1, 6], [0.5, 9]]), f"each group has its own function: {per_group}"


def test_the_scheduled_lr_is_the_one_the_step_uses():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([p], lr=1.0)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        before = p.data.copy()
        p.grad = Tensor(np.ones(1))
        opt.step()
        scheduler.step()
        moves.append((before - p.data).item())
    assert moves == pytest.approx([1.0, 0.5, 0.25])


def test_scheduler_state_dict_resumes():
    def make():
        opt = SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
        return opt, CosineAnnealingLR(opt, T_max=8, eta_min=0.1)

    opt, scheduler = make()
    straight = lr_sequence(scheduler, opt, 12)
    opt, scheduler = make()
    lr_sequence(scheduler, opt, 5)
    saved, opt_saved = scheduler.state_dict(), opt.state_dict()
    opt2, scheduler2 = make()
    opt2.load_state_dict(opt_saved)
    scheduler2.load_state_dict(saved)
    assert lr_sequence(scheduler2, opt2, 7) == straight[5:]


# ---- clip_grad_norm_ ---------------------------------------------------------------------------

def test_clip_by_hand():
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    a.grad, b.grad = Tensor(np.array([3.0, 0.0])), Tensor(np.array([4.0]))
    total = clip_grad_norm_([a, b], max_norm=10.0)
    assert isinstance(total, Tensor) and total.item() == pytest.approx(5.0)
    assert np.array_equal(a.grad.data, [3.0, 0.0]), "below max_norm nothing changes"
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0), "the norm before clipping is returned"
    assert np.allclose(np.hypot(a.grad.data[0], b.grad.data[0]), 1.0, rtol=1e-5)
    assert np.allclose(a.grad.data[0] / b.grad.data[0], 0.75), "one factor for all: the direction is kept"


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_matches_pytorch(torch, norm_type, max_norm):
    rng = np.random.default_rng(3)
    grads = [rng.normal(0, 2, s) for s in [(4, 3), (3,), (2, 2, 2)]]
    ours = [Tensor(np.zeros(g.shape), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = Tensor(g.copy()), torch.tensor(g)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for o, t in zip(ours, theirs):
        assert np.allclose(o.grad.data, t.grad.numpy(), rtol=1e-12, atol=0)


def test_clip_with_a_nan_gradient_makes_every_gradient_nan_as_pytorch():
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    a.grad, b.grad = Tensor(np.array([np.nan, 1.0])), Tensor(np.array([2.0]))
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert np.isnan(total.item())
    assert np.isnan(a.grad.data).all() and np.isnan(b.grad.data).all(), \
        "a nan total makes the factor nan, and every gradient with it (a diverged step shows)"


def test_clip_nonfinite():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = Tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    q = Tensor(np.zeros(2), requires_grad=True)
    q.grad = Tensor(np.array([3.0, 4.0]))
    assert clip_grad_norm_(q, 1.0, error_if_nonfinite=True).item() == pytest.approx(5.0)
