"""The test of the optim tests: learner mistakes in module 06 are all caught, correct
variants written differently all pass (see tests/catalogue.py for how they are run)."""
from __future__ import annotations

from catalogue import Entry, catalogue_tests

SGD_BODY = """        g = grad + weight_decay * p.data if weight_decay != 0 else grad
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, dtype=p.data.dtype, copy=True)
            else:
                buf = momentum * buf + (1 - dampening) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if nesterov else buf
        p.data -= lr * g
"""


def sgd(body: str) -> str:
    """The SGD update replaced by `body` (same indentation, same names)."""
    return ("\n".join("        " + line if line else "" for line in body.strip("\n").splitlines()) + "\n")


MISTAKES = [
    Entry("momentum_buffer_not_kept", "the momentum buffer made fresh every step (never stored)",
          replace=('            state["momentum_buffer"] = buf\n', "")),
    Entry("momentum_first_step_zero", "the first buffer starts at zero: b = momentum * 0 + (1 - dampening) g",
          replace=("                buf = np.array(g, dtype=p.data.dtype, copy=True)",
                   "                buf = (1 - dampening) * g")),
    Entry("dampening_ignored", "dampening left out of the buffer update",
          replace=("                buf = momentum * buf + (1 - dampening) * g", "                buf = momentum * buf + g")),
    Entry("weight_decay_after_momentum", "weight decay added to the step after the momentum, not to the gradient",
          replace=(SGD_BODY, sgd("""
g = grad
if momentum != 0:
    buf = state.get("momentum_buffer")
    buf = np.array(g, copy=True) if buf is None else momentum * buf + (1 - dampening) * g
    state["momentum_buffer"] = buf
    g = g + momentum * buf if nesterov else buf
p.data -= lr * (g + weight_decay * p.data)
"""))),
    Entry("nesterov_ignored", "nesterov=True steps as plain momentum",
          replace=("            g = g + momentum * buf if nesterov else buf", "            g = buf")),
    Entry("nesterov_with_buffer_only", "Nesterov as buffer + momentum * buffer (the gradient left out)",
          replace=("            g = g + momentum * buf if nesterov else buf",
                   "            g = buf + momentum * buf if nesterov else buf")),
    Entry("sgd_plus_sign", "p += lr * g: uphill", replace=("        p.data -= lr * g\n", "        p.data += lr * g\n")),
    Entry("adam_no_bias_correction", "Adam without the bias corrections",
          replace=("        denom = np.sqrt(v / (1 - beta2 ** t)) + eps\n        p.data -= lr * (m / (1 - beta1 ** t)) / denom",
                   "        denom = np.sqrt(v) + eps\n        p.data -= lr * m / denom")),
    Entry("adam_only_first_correction", "Adam corrects m but not v",
          replace=("        denom = np.sqrt(v / (1 - beta2 ** t)) + eps", "        denom = np.sqrt(v) + eps")),
    Entry("adam_step_counted_late", "the step counted after the update: t = 0 on the first step",
          replace=('        state["step"] += 1\n        t = state["step"]\n',
                   '        t = state["step"]\n        state["step"] += 1\n')),
    Entry("adam_eps_inside_sqrt", "eps inside the square root: sqrt(v_hat + eps)",
          replace=("        denom = np.sqrt(v / (1 - beta2 ** t)) + eps", "        denom = np.sqrt(v / (1 - beta2 ** t) + eps)")),
    Entry("adam_state_not_kept", "m and v computed but not stored back",
          replace=('        state["exp_avg"] = m = beta1 * state["exp_avg"] + (1 - beta1) * grad\n'
                   '        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad\n',
                   '        m = beta1 * state["exp_avg"] + (1 - beta1) * grad\n'
                   '        v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad\n')),
    Entry("adam_betas_swapped", "beta2 used for m and beta1 for v",
          replace=("        lr, (beta1, beta2), eps = group[\"lr\"], group[\"betas\"], group[\"eps\"]",
                   "        lr, (beta2, beta1), eps = group[\"lr\"], group[\"betas\"], group[\"eps\"]")),
    Entry("amsgrad_ignored", "amsgrad=True steps as plain Adam",
          replace=('            state["max_exp_avg_sq"] = v = np.maximum(state["max_exp_avg_sq"], v)\n',
                   '            state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)\n')),
    Entry("adamw_decay_after_step", "AdamW's weight decay applied after the Adam step, to the new weights",
          append="""
def _decay_after(self, p, grad, state, group):
    Adam.update(self, p, grad, state, {**group, "weight_decay": 0})
    p.data *= 1 - group["lr"] * group["weight_decay"]
AdamW.update = _decay_after
"""),
    Entry("adamw_coupled", "AdamW adds the decay to the gradient, as Adam does", append="AdamW.decoupled = False\n"),
    Entry("adamw_decay_without_lr", "AdamW decays by (1 - weight_decay), forgetting lr",
          replace=("                p.data *= 1 - lr * weight_decay", "                p.data *= 1 - weight_decay")),
    Entry("zero_grad_does_nothing", "zero_grad leaves the gradients", replace=(
        "                if set_to_none:\n                    p.grad = None\n                else:\n"
        "                    _grad_array(p).fill(0)\n", "                pass\n")),
    Entry("steplr_off_by_one", "StepLR decays one epoch early: (t + 1) // step_size",
          replace=("self.gamma ** (self.last_epoch // self.step_size)", "self.gamma ** ((self.last_epoch + 1) // self.step_size)")),
    Entry("cosine_without_eta_min", "the cosine ends at 0 whatever eta_min",
          replace=("        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]",
                   "        return [base * cosine for base in self.base_lrs]")),
    Entry("cosine_clamped", "the cosine stays at eta_min after T_max (PyTorch's goes back up)",
          replace=("        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2",
                   "        cosine = (1 + math.cos(math.pi * min(self.last_epoch, self.T_max) / self.T_max)) / 2")),
    Entry("lambda_one_for_all", "LambdaLR applies the first group's function to every group",
          replace=("        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]",
                   "        return [base * self.lr_lambdas[0](self.last_epoch) for base in self.base_lrs]")),
    Entry("clip_each_parameter", "each gradient clipped to max_norm on its own (the direction changes)", append="""
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad.data for p in parameters if p.grad is not None]
    norms = [np.sum(np.abs(g) ** norm_type) ** (1 / norm_type) if norm_type != math.inf else np.abs(g).max() for g in grads]
    for g, n in zip(grads, norms):
        g *= min(1.0, max_norm / (n + 1e-6))
    total = max(norms) if norm_type == math.inf else np.sum(np.array(norms) ** norm_type) ** (1 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError("non-finite")
    return Tensor(np.asarray(total))
"""),
    Entry("clip_returns_clipped_norm", "clip_grad_norm_ returns the norm after clipping",
          replace=("    return Tensor(np.asarray(total, dtype=grads[0].dtype))",
                   "    return Tensor(np.asarray(min(total, max_norm), dtype=grads[0].dtype))")),
    Entry("clip_copies", "clipping scales copies of the gradients, not the gradients",
          replace=("    for g in grads:\n        g *= coef\n", "    grads = [g * coef for g in grads]\n")),
]

VARIANTS = [
    Entry("sgd_new_arrays", "SGD written with new arrays (p.data = ...) and an explicit zero-start buffer", replace=(
        SGD_BODY, sgd("""
d = grad
if weight_decay:
    d = d + weight_decay * p.data
if momentum:
    if "momentum_buffer" in state:
        state["momentum_buffer"] = momentum * state["momentum_buffer"] + (1 - dampening) * d
    else:
        state["momentum_buffer"] = d.copy()
    d = d + momentum * state["momentum_buffer"] if nesterov else state["momentum_buffer"]
p.data = (p.data - lr * d).astype(p.data.dtype)
"""))),
    Entry("adam_torch_order", "Adam as PyTorch writes it: step_size and sqrt(v)/sqrt(bc2)", replace=(
        "        denom = np.sqrt(v / (1 - beta2 ** t)) + eps\n        p.data -= lr * (m / (1 - beta1 ** t)) / denom",
        "        step_size = lr / (1 - beta1 ** t)\n"
        "        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps\n"
        "        p.data -= step_size * m / denom")),
    Entry("adam_in_place_state", "Adam updating m and v in place", replace=(
        '        state["exp_avg"] = m = beta1 * state["exp_avg"] + (1 - beta1) * grad\n'
        '        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad\n',
        '        m, v = state["exp_avg"], state["exp_avg_sq"]\n'
        '        m *= beta1\n        m += (1 - beta1) * grad\n'
        '        v *= beta2\n        v += (1 - beta2) * grad ** 2\n')),
    Entry("steplr_with_floor", "StepLR with math.floor of a division", replace=(
        "self.gamma ** (self.last_epoch // self.step_size)", "self.gamma ** math.floor(self.last_epoch / self.step_size)")),
    Entry("clip_with_linalg", "the total 2-norm from np.linalg.norm of the concatenated gradients", append="""
_clip_reference = clip_grad_norm_
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if float(norm_type) != 2.0:
        return _clip_reference(parameters, max_norm, norm_type, error_if_nonfinite)
    grads = [p.grad.data for p in parameters if p.grad is not None]
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError("The total norm for gradients is non-finite")
    if total > max_norm:
        for g in grads:
            g *= max_norm / (total + 1e-6)
    return Tensor(np.asarray(total, dtype=grads[0].dtype))
"""),
]


globals().update(catalogue_tests("optim", MISTAKES, VARIANTS, at_least=20))
