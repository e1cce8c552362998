# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 06: Optimizers
#
# Autograd tells each parameter `p` which way is uphill: its gradient `p.grad`. An
# **optimizer** decides how far to step the other way. The simplest rule,
# `p -= lr * p.grad`, works, but slowly: on a long narrow valley it zig-zags from wall
# to wall and crawls along the floor. The optimizers every network is trained with
# fix that with a little memory:
#
# | optimizer | idea | remembers |
# |---|---|---|
# | `SGD` | step against the gradient | nothing |
# | `SGD(momentum=0.9)` | a heavy ball: keep going the way you went | a velocity per parameter |
# | `SGD(nesterov=True)` | look ahead along the velocity before correcting | a velocity |
# | `Adam` | per-parameter step sizes from running averages of g and g^2 | two averages and a step count |
# | `AdamW` | Adam, with weight decay applied to the weights directly | the same |
#
# Around them: **learning-rate schedules** (`StepLR`, `CosineAnnealingLR`, `LambdaLR`)
# that change `lr` as training goes, and **gradient clipping** (`clip_grad_norm_`) that
# keeps one bad batch from throwing the weights away.
#
# Everything here follows `torch.optim` exactly: the tests run 100 steps of each
# optimizer, with every option, next to PyTorch's in float64 and require the same
# weights to 1e-10. An optimizer only reads `p.grad` and writes `p.data`, so the
# gradients can come from anywhere; in this chapter they are written by hand.
#
# ```bash
# tito test optim     # the full tests, PyTorch side by side
# tito plot optim     # every optimizer on two 2-D loss surfaces
# tito sync           # put your code into tinytorch/core/optim.py
# ```

# %%
#| default_exp core.optim

# %%
#| export
import math

import numpy as np

from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Why plain gradient descent is not enough
#
# Take the valley `f(x, y) = x^2 / 100 + y^2`: gentle along x, steep along y. A step
# `lr` small enough not to blow up along y (lr < 1) is tiny along x, where the slope is
# 100 times smaller. The cell below runs plain gradient descent with NumPy: it bounces
# across the valley and after 40 steps is still far from the minimum at (0, 0).

# %%
def valley_grad(p):
    return np.array([p[0] / 50, 2 * p[1]])


point = np.array([-9.0, 2.0])
path = [point.copy()]
for _ in range(40):
    point -= 0.9 * valley_grad(point)
    path.append(point.copy())
path = np.array(path)
print("after 40 steps of plain gradient descent:", path[-1].round(3), " (the minimum is (0, 0))")
print("y bounces:", path[:6, 1].round(2))

# %% [markdown]
# ## Step 1: the optimizer's bookkeeping
#
# An optimizer holds its parameters in **parameter groups**: a list of dicts, each with
# the key `"params"` (a list of tensors) and the group's hyperparameters (`lr`,
# `momentum`, ...). `SGD(model.parameters(), lr=0.1)` makes one group; a list of dicts
# makes several, so that, say, the biases get no weight decay:
#
# ```python
# SGD([{"params": weights, "weight_decay": 1e-4}, {"params": biases}], lr=0.1)
# ```
#
# A hyperparameter that a group does not set takes the optimizer's default. Per
# parameter, `self.state[p]` is a dict for what the optimizer remembers (a momentum
# buffer, Adam's averages); tensors compare elementwise, so the state is keyed by the
# parameter's identity.
#
# `step()` visits every parameter that has a gradient and calls the optimizer's own
# update with its gradient as a NumPy array. `zero_grad()` forgets the gradients before
# the next backward pass (autograd **adds** into `.grad`; without it, each step would use
# the sum of all the gradients so far). `state_dict()` / `load_state_dict()` save and
# restore everything, so that training can resume exactly (module 08).
#
# The bookkeeping is given, except `zero_grad`.

# %%
#| export
class ParamState:
    """Per-parameter state, `state[p]` -> dict (created empty on first use), keyed by identity."""

    def __init__(self):
        self._states = {}

    def __getitem__(self, p):
        return self._states.setdefault(id(p), {})

    def __contains__(self, p):
        return id(p) in self._states

    def __len__(self):
        return len(self._states)

    def clear(self) -> None:
        self._states.clear()


def _grad_array(p):
    """The gradient of `p` as a NumPy array (a Tensor or an array in `.grad`)."""
    return np.asarray(p.grad.data if isinstance(p.grad, Tensor) else p.grad)


class Optimizer:
    """Base class of the optimizers: parameter groups, state, step, zero_grad, state_dict.

    A subclass sets its defaults and defines `update(p, grad, state, group)`, which
    changes `p.data` in place from `grad` (a NumPy array) and the group's hyperparameters.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = ParamState()
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group: a dict with "params" and any hyperparameters (else the defaults)."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]) or len({id(p) for p in group["params"]}) < len(group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: None (the default), or zeros."""
        # TODO: for every parameter of every group with a gradient: set p.grad to None,
        #       or (set_to_none=False) fill the gradient array with zeros, in place.
        ### BEGIN SOLUTION
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    _grad_array(p).fill(0)
        ### END SOLUTION

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() when given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, _grad_array(p), self.state[p], group)
        return loss

    def update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update(p, grad, state, group)")

    # ---- saving and restoring ---------------------------------------------------------

    def state_dict(self) -> dict:
        """{"state": {index: {name: array or number}}, "param_groups": [{..., "params": [indices]}]}.

        Parameters are numbered in the order of the groups, as PyTorch does; the arrays are copies.
        """
        index, groups, state = 0, [], {}
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(index, index + len(group["params"])))
            for i, p in zip(saved["params"], group["params"]):
                if p in self.state and self.state[p]:
                    state[i] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.state[p].items()}
            index += len(group["params"])
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by state_dict() (same groups, same sizes)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 f"the size of optimizer's group ({len(saved['params'])} vs {len(group['params'])})")
        self.state.clear()
        state = {int(k): v for k, v in state_dict["state"].items()}
        for saved, group in zip(groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
            for i, p in zip(saved["params"], group["params"]):
                if int(i) in state:
                    self.state[p].update({k: (np.array(v, dtype=p.data.dtype) if isinstance(v, np.ndarray) else v)
                                          for k, v in state[int(i)].items()})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


# %% [markdown]
# ## Step 2: SGD, with momentum, dampening, weight decay and Nesterov
#
# For each parameter `p` with gradient `g`, in this order (PyTorch's):
#
# 1. **weight decay** (L2 regularisation): `g = g + weight_decay * p`. It pulls every
#    weight a little towards 0.
# 2. **momentum**: a buffer `b` per parameter, the velocity. The first step sets
#    `b = g`; every later step `b = momentum * b + (1 - dampening) * g`. The buffer must
#    **survive between steps** (it lives in `state["momentum_buffer"]`): a buffer made
#    fresh each step is plain SGD again.
#    Then `d = b`, or with **Nesterov** `d = g + momentum * b` (the step looks ahead
#    along the velocity).
# 3. **the step**: `p = p - lr * d`.
#
# With `momentum = 0` the update is just `p -= lr * g`. Nesterov needs momentum > 0 and
# dampening = 0; the constructor refuses other combinations, as PyTorch does.
#
# Write into `p.data` in place (`p.data -= ...`) or assign a new array: both are fine,
# as long as the dtype stays the parameter's.

# %%
#| export
class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's torch.optim.SGD).

    SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)

    g <- g + weight_decay * p;  b <- g (first step) or momentum * b + (1 - dampening) * g;
    d <- g + momentum * b (nesterov) or b;  p <- p - lr * d   (b = g, d = g without momentum)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        # TODO: one SGD step of p.data, in the order of the formula above.
        # APPROACH:
        #   1. weight decay into the gradient (a new array: never change `grad` in place).
        #   2. momentum != 0: the buffer from state["momentum_buffer"] (a copy of the
        #      gradient on the first step), updated, stored back; d = buffer, or Nesterov's.
        #   3. p.data -= lr * d.
        # HINTS: the first step copies g: the buffer must not be the same array as the gradient.
        ### BEGIN SOLUTION
        g = grad + weight_decay * p.data if weight_decay != 0 else grad
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, dtype=p.data.dtype, copy=True)
            else:
                buf = momentum * buf + (1 - dampening) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if nesterov else buf
        p.data -= lr * g
        ### END SOLUTION


# %% [markdown]
# ### Check step 2
#
# Three steps by hand: with momentum 0.9 and a constant gradient of 1, the buffer is
# 1, then 1.9, then 2.71, so p goes 1 -> 0.9 -> 0.71 -> 0.439 with lr = 0.1.

# %%
p = Tensor(np.array([1.0]), requires_grad=True)
opt = SGD([p], lr=0.1, momentum=0.9)
for _ in range(3):
    p.grad = Tensor(np.array([1.0]))
    opt.step()
assert np.allclose(p.data, [0.439]), p.data
assert np.allclose(opt.state[p]["momentum_buffer"], [2.71])
opt.zero_grad()
assert p.grad is None
print("Step 2 passed: SGD with momentum; p =", p.data)

# %% [markdown]
# ## Step 3: Adam and AdamW
#
# Adam keeps two running averages per parameter: `m` of the gradient (a momentum) and
# `v` of its square (how large the gradient usually is), and divides one by the square
# root of the other: each parameter gets a step of about `lr`, whatever the scale of
# its gradient.
#
# With step count `t` (1 on the first step), `beta1, beta2 = betas`:
#
# ```
# m = beta1 * m + (1 - beta1) * g
# v = beta2 * v + (1 - beta2) * g * g
# m_hat = m / (1 - beta1 ** t)          bias correction: m and v start at 0,
# v_hat = v / (1 - beta2 ** t)          so early averages are too small
# p = p - lr * m_hat / (sqrt(v_hat) + eps)
# ```
#
# Without the **bias correction** the first steps have the wrong size: after one step
# `m = 0.1 g` and `v = 0.001 g^2`, so the step is `0.1 / sqrt(0.001)`, about 3.2 lr
# instead of lr. Both averages start too small, and `v` sits under a square root.
#
# `amsgrad=True` divides by the largest `v` seen so far (`v_max = max(v_max, v)`, then
# `v_hat = v_max / (1 - beta2 ** t)`), so the step size never grows back.
#
# **Weight decay**, two ways. `Adam(weight_decay=...)` adds `weight_decay * p` to the
# gradient (as SGD does), so the decay too is divided by `sqrt(v_hat)`: weights with large
# gradients are barely decayed. `AdamW` (Loshchilov and Hutter, 2019) **decouples** it:
# first `p = p * (1 - lr * weight_decay)`, then the Adam step on the plain gradient. The
# decay comes **before** the step, from the old weights. AdamW's default weight decay
# is 0.01; Adam's is 0.
#
# PyTorch's `eps` (1e-8) is added after the square root.

# %%
#| export
class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), as torch.optim.Adam.

    Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)
    """

    decoupled = False  # AdamW: weight decay on the weights, not in the gradient

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid beta parameters: {betas}")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        grad = self._weight_decay(p, grad, lr, weight_decay)
        # TODO: one Adam step, with the averages in state["exp_avg"] and
        #       state["exp_avg_sq"] and the count in state["step"].
        # HINTS:
        #   - Count first: t = 1 on the first step, or the correction 1 - beta ** t is 0.
        #   - Store m and v back in the state: the next step starts from them.
        #   - amsgrad divides by the largest v seen so far (kept in the state too).
        #   - eps goes outside the square root, after the bias correction (as PyTorch).
        ### BEGIN SOLUTION
        state["step"] += 1
        t = state["step"]
        state["exp_avg"] = m = beta1 * state["exp_avg"] + (1 - beta1) * grad
        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        if amsgrad:
            state["max_exp_avg_sq"] = v = np.maximum(state["max_exp_avg_sq"], v)
        denom = np.sqrt(v / (1 - beta2 ** t)) + eps
        p.data -= lr * (m / (1 - beta1 ** t)) / denom
        ### END SOLUTION

    def _weight_decay(self, p, grad, lr, weight_decay):
        """Apply weight decay; returns the gradient the Adam step then uses."""
        # TODO: Adam adds weight_decay * p to the gradient; AdamW (self.decoupled)
        #       shrinks the weights themselves by the factor (1 - lr * weight_decay)
        #       and leaves the gradient alone.
        # HINTS: shrink p.data in place: the optimizer's parameters are those arrays.
        ### BEGIN SOLUTION
        if weight_decay != 0:
            if self.decoupled:
                p.data *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * p.data
        return grad
        ### END SOLUTION


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as torch.optim.AdamW.

    AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


# %% [markdown]
# ### Check step 3
#
# Adam's first step moves every parameter by about `lr`, whatever the size of its
# gradient: the bias correction makes `m_hat / sqrt(v_hat)` equal to `g / |g|`.

# %%
p = Tensor(np.array([1.0, 1.0, 1.0]), requires_grad=True)
opt = Adam([p], lr=0.01)
p.grad = Tensor(np.array([1e-3, 1.0, -1e3]))
opt.step()
assert np.allclose(p.data, [0.99, 0.99, 1.01], rtol=1e-6), p.data
q = Tensor(np.array([2.0]), requires_grad=True)
decayed = AdamW([q], lr=0.1, weight_decay=0.5)
q.grad = Tensor(np.array([0.0]))
decayed.step()
assert np.allclose(q.data, [2.0 * (1 - 0.1 * 0.5)]), "AdamW: only the decay acts when g = 0"
print("Step 3 passed: Adam's first step", p.data, "AdamW's decay", q.data)

# %% [markdown]
# ## The optimizers on two loss surfaces
#
# Each optimizer starts from the same point, with the same number of steps, on the
# valley from the top of this chapter and on Rosenbrock's banana `(1 - x)^2 +
# 100 (y - x^2)^2` (minimum at (1, 1), 1000 steps). The gradients are computed by hand and written
# into `p.grad`; your optimizers do the rest. Plain SGD zig-zags; momentum overshoots
# and settles; Adam walks at a steady pace set by `lr`.

# %%
from tito.offers import feedback_module  # noqa: E402

plot_trajectories = feedback_module("optim").plot_trajectories  # this module's feedback.py

plot_trajectories({"SGD": SGD, "Adam": Adam, "AdamW": AdamW})

# %% [markdown]
# ## Step 4: learning-rate schedules
#
# A large learning rate early moves fast; a small one late settles into a minimum. A
# **scheduler** sets each group's `lr` from the epoch count: call `scheduler.step()`
# once per epoch, **after** `optimizer.step()`. On creation it remembers each group's
# starting `lr` (`base_lrs`) and sets the lr of epoch 0.
#
# | scheduler | lr at epoch t |
# |---|---|
# | `StepLR(opt, step_size, gamma=0.1)` | `base_lr * gamma ** (t // step_size)` |
# | `CosineAnnealingLR(opt, T_max, eta_min=0)` | `eta_min + (base_lr - eta_min) * (1 + cos(pi t / T_max)) / 2` |
# | `LambdaLR(opt, lr_lambda)` | `base_lr * lr_lambda(t)` (one function, or one per group) |
#
# The cosine goes from `base_lr` down to `eta_min` at `t = T_max`, and back up after that
# (PyTorch's does too). The machinery (counting, `get_last_lr`, state_dict) is given;
# you write `get_lr` of each, the learning rates for `self.last_epoch`.

# %%
#| export
class LRScheduler:
    """Base class: sets each group's lr to get_lr() at every step(); last_epoch counts the steps."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in optimizer.param_groups):
            raise KeyError("param 'initial_lr' is not specified in param_groups when resuming an optimizer")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Count one epoch and set every group's lr for it."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (and LambdaLR's functions): numbers and lists."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Decay each group's lr by gamma every step_size epochs: base_lr * gamma ** (t // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # TODO: the lr of every group at epoch self.last_epoch (one per base_lr).
        ### BEGIN SOLUTION
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]
        ### END SOLUTION


class CosineAnnealingLR(LRScheduler):
    """Cosine from base_lr down to eta_min over T_max epochs (SGDR without restarts)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # TODO: eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2 for each group.
        ### BEGIN SOLUTION
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]
        ### END SOLUTION


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch); lr_lambda is one function or a list, one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # TODO: each group's base_lr times its own function of the epoch.
        ### BEGIN SOLUTION
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]
        ### END SOLUTION


# %% [markdown]
# ### Check step 4

# %%
p = Tensor(np.zeros(1), requires_grad=True)
opt = SGD([p], lr=1.0)
steps = StepLR(opt, step_size=3, gamma=0.5)
seen = []
for _ in range(7):
    seen.append(steps.get_last_lr()[0])
    opt.step()
    steps.step()
assert seen == [1, 1, 1, 0.5, 0.5, 0.5, 0.25], seen
cosine = CosineAnnealingLR(SGD([p], lr=1.0), T_max=4)
lrs = []
for _ in range(5):
    lrs.append(cosine.get_last_lr()[0])
    cosine.step()
assert np.allclose(lrs, [1, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 - math.cos(math.pi / 4)) / 2, 0], atol=1e-15)
print("Step 4 passed: StepLR", seen, "cosine", np.round(lrs, 3))

# %% [markdown]
# ## Step 5: clipping the gradient norm
#
# One unlucky batch can give a gradient thousands of times larger than usual, and one
# step with it undoes hours of training. `clip_grad_norm_(parameters, max_norm)` looks at
# the **total** norm of all the gradients together, as if they were one long vector:
#
# ```
# total = (sum over parameters of ||g||^p) ** (1/p)      (p = norm_type, 2 by default;
#                                                          inf: the largest |g|)
# every g is multiplied by  min(1, max_norm / (total + 1e-6))
# ```
#
# All gradients are scaled by the **same** factor, so the direction of the step is kept;
# clipping each parameter on its own would change it. The function changes the
# gradients in place (the trailing underscore says so) and returns the total norm
# before clipping, as a 0-d tensor. A nan total (one nan gradient) makes the factor nan,
# and every gradient nan, as in PyTorch: a diverged run shows instead of stepping on
# quietly. `error_if_nonfinite=True` raises a RuntimeError then instead.

# %%
#| export
def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their total norm is at most max_norm.

    Returns the total norm of the gradients before clipping (a 0-d Tensor).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad.data if isinstance(p.grad, Tensor) else p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    total = _total_norm(grads, float(norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients is non-finite, "
                           "so it cannot be clipped")
    # TODO: scale every gradient by min(1, max_norm / (total + 1e-6)); return Tensor(total),
    #       in the gradients' dtype.
    # HINTS: scale in place (g *= ...): the gradients are the arrays the optimizer will read.
    #        Return the norm before clipping: it tells you how large the gradients were.
    #        A nan factor must stay nan: Python's min(1.0, nan) is 1.0, NumPy's minimum keeps nan.
    ### BEGIN SOLUTION
    coef = np.minimum(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= coef
    return Tensor(np.asarray(total, dtype=grads[0].dtype))
    ### END SOLUTION


def _total_norm(grads, norm_type):
    """The norm of all the gradients together, as if they were one long vector."""
    # TODO: the norm of order norm_type of every element of every gradient.
    # HINTS: the norm of each gradient first, then the norm of those norms gives the
    #        same number without concatenating. norm_type inf: the largest |g|
    #        (an empty gradient contributes 0).
    ### BEGIN SOLUTION
    if norm_type == math.inf:
        return max(np.abs(g).max() if g.size else 0.0 for g in grads)
    norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1 / norm_type) for g in grads])
    return np.sum(norms ** norm_type) ** (1 / norm_type)
    ### END SOLUTION


# %% [markdown]
# ### Check step 5

# %%
a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
a.grad, b.grad = Tensor(np.array([3.0, 0.0])), Tensor(np.array([4.0]))
total = clip_grad_norm_([a, b], max_norm=1.0)
assert np.isclose(total.item(), 5.0)
assert np.allclose(a.grad.data, [0.6, 0.0], atol=1e-6) and np.allclose(b.grad.data, [0.8], atol=1e-6)
print("Step 5 passed: total norm", total.item(), "clipped to", a.grad.data, b.grad.data)

# %% [markdown]
# ## More optimizers and schedules (given)
#
# PyTorch has more than the three you wrote. Each is one `update` on top of your
# `Optimizer` (groups, state, `zero_grad`, `state_dict` all come from it), and each
# schedule one `get_lr` on top of your `LRScheduler`: given here to read, with
# PyTorch's names, defaults and formulas.
#
# | optimizer | the idea |
# |---|---|
# | `RMSprop` | divide by a running root-mean-square of the gradient (Adam without the first moment) |
# | `Adagrad` | divide by the root of the *sum* of squared gradients: steps shrink where gradients were large |
# | `Adadelta` | Adagrad's idea with running averages, and steps measured in the units of the weights |
#
# | schedule | learning rate at epoch t |
# |---|---|
# | `ExponentialLR(gamma)` | base * gamma^t |
# | `MultiStepLR(milestones, gamma)` | base * gamma^(milestones passed) |
# | `LinearLR(start_factor, end_factor, total_iters)` | base * a factor moving linearly from start to end |
# | `OneCycleLR(max_lr, total_steps)` | up to max_lr, then down far below the start (per batch), with momentum moving the other way |
# | `ReduceLROnPlateau(mode, factor, patience)` | times factor when the monitored metric stops improving: `step(val_loss)` |

# %%
#| export
class RMSprop(Optimizer):
    """RMSprop, as torch.optim.RMSprop.

    RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)

    v <- alpha v + (1 - alpha) g^2;  p <- p - lr g / (sqrt(v) + eps)  (centered: v minus the
    square of the running mean of g; momentum: a buffer of those steps)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
        if lr < 0 or eps < 0 or alpha < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid RMSprop hyperparameter: lr={lr}, alpha={alpha}, eps={eps}, "
                             f"momentum={momentum}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros(p.shape, p.dtype)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros(p.shape, p.dtype)
            if group["centered"]:
                state["grad_avg"] = np.zeros(p.shape, p.dtype)
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] != 0 else grad
        state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
            avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps
        else:
            avg = np.sqrt(state["square_avg"]) + eps
        if momentum > 0:
            state["momentum_buffer"] = momentum * state["momentum_buffer"] + g / avg
            p.data -= group["lr"] * state["momentum_buffer"]
        else:
            p.data -= group["lr"] * g / avg


class Adagrad(Optimizer):
    """Adagrad, as torch.optim.Adagrad.

    Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)

    s <- s + g^2;  p <- p - lr_t g / (sqrt(s) + eps),  lr_t = lr / (1 + (t - 1) lr_decay)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
        if lr < 0 or lr_decay < 0 or weight_decay < 0 or initial_accumulator_value < 0 or eps < 0:
            raise ValueError(f"Invalid Adagrad hyperparameter: lr={lr}, lr_decay={lr_decay}, "
                             f"weight_decay={weight_decay}, initial_accumulator_value={initial_accumulator_value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value))

    def update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full(p.shape, group["initial_accumulator_value"], p.dtype)
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] != 0 else grad
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + g * g
        p.data -= lr * g / (np.sqrt(state["sum"]) + group["eps"])


class Adadelta(Optimizer):
    """Adadelta, as torch.optim.Adadelta.

    Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0)

    v <- rho v + (1 - rho) g^2;  d = sqrt(u + eps) / sqrt(v + eps) g;  u <- rho u + (1 - rho) d^2;
    p <- p - lr d
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        if lr < 0 or not 0 <= rho <= 1 or eps < 0 or weight_decay < 0:
            raise ValueError(f"Invalid Adadelta hyperparameter: lr={lr}, rho={rho}, eps={eps}, "
                             f"weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros(p.shape, p.dtype)
            state["acc_delta"] = np.zeros(p.shape, p.dtype)
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] != 0 else grad
        state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g
        delta = np.sqrt(state["acc_delta"] + eps) / np.sqrt(state["square_avg"] + eps) * g
        state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * delta * delta
        p.data -= group["lr"] * delta


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (the number of milestones reached): MultiStepLR(opt, [30, 80], 0.1)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        passed = sum(1 for m in self.milestones if m <= self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class LinearLR(LRScheduler):
    """lr = base_lr * a factor moving linearly from start_factor to end_factor over total_iters epochs."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1, "
                             "and the ending one between 0 and 1")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        done = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith, 2018), stepped once per batch, as torch.optim.lr_scheduler.OneCycleLR.

    The lr rises from max_lr / div_factor to max_lr over pct_start of the steps, then falls to
    max_lr / div_factor / final_div_factor (cosine or linear); with cycle_momentum the
    momentum (or Adam's beta1) moves the other way, between max_momentum and base_momentum.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
            total_steps = epochs * steps_per_epoch
        if total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        up = float(pct_start * total_steps) - 1
        down = float(2 * pct_start * total_steps) - 2
        self.phases = ([(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                        (down, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                        (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")] if three_phase else
                       [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                        (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")])
        max_lrs = max_lr if isinstance(max_lr, (list, tuple)) else [max_lr] * len(optimizer.param_groups)
        for group, top in zip(optimizer.param_groups, max_lrs):
            if last_epoch == -1:
                group["initial_lr"] = top / div_factor
                group["max_lr"], group["min_lr"] = top, group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            for group in optimizer.param_groups:
                if last_epoch == -1:
                    self._set_momentum(group, max_momentum)
                group["max_momentum"], group["base_momentum"] = max_momentum, base_momentum
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """lr times factor when the metric passed to step(metric) has not improved for `patience` epochs.

    ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
    threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"mode must be 'min' or 'max' and threshold_mode 'rel' or 'abs', got {mode!r}, "
                             f"{threshold_mode!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = threshold, threshold_mode, cooldown, eps
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(optimizer.param_groups)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = 0, 0, 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _better(self, current):
        if self.mode == "min":
            return current < (self.best * (1 - self.threshold) if self.threshold_mode == "rel"
                              else self.best - self.threshold)
        return current > (self.best * (1 + self.threshold) if self.threshold_mode == "rel"
                          else self.best + self.threshold)

    def step(self, metrics) -> None:
        """One epoch with its metric (a number or a one-element tensor)."""
        current = float(metrics)
        self.last_epoch += 1
        if self._better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, floor)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


# %% [markdown]
# ## What's next
#
# ```bash
# tito test optim
# tito sync
# ```
#
# `from tinytorch.optim import SGD, Adam, AdamW` and
# `from tinytorch.optim.lr_scheduler import StepLR` now work as in PyTorch, and
# `tinytorch.nn.utils.clip_grad_norm_` too. Module 08 (training) runs them on real
# gradients from autograd, batch after batch.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (the parameter groups, an error for a negative learning rate) share
# 5% of the score; the tests that need the right values share the other 95%.
