"""Module 06's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function or method as a learner writes it (tito/catalogue.py says
how they run: `tito catalogue optim`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 20

SGD_UPDATE = """
class SGD:
    def update(self, p, grad, state, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
{body}
"""
SGD_BODY = """        g = grad + weight_decay * p.data if weight_decay != 0 else grad
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = {first}
            else:
                buf = {next}
            {keep}
            g = {direction}
        p.data {sign}= lr * g"""


def sgd(first="np.array(g, dtype=p.data.dtype, copy=True)", next="momentum * buf + (1 - dampening) * g",
        keep='state["momentum_buffer"] = buf', direction="g + momentum * buf if nesterov else buf", sign="-"):
    return SGD_UPDATE.format(body=SGD_BODY.format(first=first, next=next, keep=keep, direction=direction,
                                                  sign=sign))


ADAM_UPDATE = """
class Adam:
    def update(self, p, grad, state, group):
        lr, ({beta1}, {beta2}), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        grad = self._weight_decay(p, grad, lr, weight_decay)
{count}
{averages}
        if amsgrad:
            {amsgrad}
{step}
"""
COUNT = '        state["step"] += 1\n        t = state["step"]'
AVERAGES = ('        state["exp_avg"] = m = beta1 * state["exp_avg"] + (1 - beta1) * grad\n'
            '        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad')
STEP = ("        denom = np.sqrt(v / (1 - beta2 ** t)) + eps\n"
        "        p.data -= lr * (m / (1 - beta1 ** t)) / denom")


def adam(betas=("beta1", "beta2"), count=COUNT, averages=AVERAGES,
         amsgrad='state["max_exp_avg_sq"] = v = np.maximum(state["max_exp_avg_sq"], v)', step=STEP):
    return ADAM_UPDATE.format(beta1=betas[0], beta2=betas[1], count=count, averages=averages, amsgrad=amsgrad,
                              step=step)


CLIP = """
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad.data if isinstance(p.grad, Tensor) else p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    total = {total}
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {{norm_type}} for gradients is non-finite")
{scale}
    return Tensor(np.asarray({returned}, dtype=grads[0].dtype))
"""
SCALE = "    coef = np.minimum(1.0, max_norm / (total + 1e-6))\n    for g in grads:\n        g *= coef"


def clip(total="_total_norm(grads, float(norm_type))", scale=SCALE, returned="total"):
    return CLIP.format(total=total, scale=scale, returned=returned)


def scheduler(name, body):
    return f"\nclass {name}:\n    def get_lr(self):\n{body}\n"


MISTAKES = [
    Mistake("momentum_buffer_not_kept", "the momentum buffer made fresh every step (never stored)", sgd(keep="")),
    Mistake("momentum_first_step_zero", "the first buffer starts at zero: b = momentum * 0 + (1 - dampening) g",
            sgd(first="(1 - dampening) * g")),
    Mistake("dampening_ignored", "dampening left out of the buffer update", sgd(next="momentum * buf + g")),
    Mistake("weight_decay_after_momentum", "weight decay added to the step after the momentum, not to the gradient",
            SGD_UPDATE.format(body="""        g = grad
        if momentum != 0:
            buf = state.get("momentum_buffer")
            buf = np.array(g, copy=True) if buf is None else momentum * buf + (1 - dampening) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if nesterov else buf
        p.data -= lr * (g + weight_decay * p.data)""")),
    Mistake("nesterov_ignored", "nesterov=True steps as plain momentum", sgd(direction="buf")),
    Mistake("nesterov_with_buffer_only", "Nesterov as buffer + momentum * buffer (the gradient left out)",
            sgd(direction="buf + momentum * buf if nesterov else buf")),
    Mistake("sgd_plus_sign", "p += lr * g: uphill", sgd(sign="+")),
    Mistake("adam_no_bias_correction", "Adam without the bias corrections",
            adam(step="        p.data -= lr * m / (np.sqrt(v) + eps)")),
    Mistake("adam_only_first_correction", "Adam corrects m but not v",
            adam(step="        p.data -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v) + eps)")),
    Mistake("adam_step_counted_late", "the step counted after the update: t = 0 on the first step",
            adam(count='        t = state["step"]\n        state["step"] += 1')),
    Mistake("adam_eps_inside_sqrt", "eps inside the square root: sqrt(v_hat + eps)",
            adam(step="        p.data -= lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps)")),
    Mistake("adam_state_not_kept", "m and v computed but not stored back", adam(
        averages='        m = beta1 * state["exp_avg"] + (1 - beta1) * grad\n'
                 '        v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad')),
    Mistake("adam_betas_swapped", "beta2 used for m and beta1 for v", adam(betas=("beta2", "beta1"))),
    Mistake("amsgrad_ignored", "amsgrad=True steps as plain Adam",
            adam(amsgrad='state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)')),
    Mistake("adamw_decay_after_step", "AdamW's weight decay applied after the Adam step, to the new weights", """
class AdamW:
    def update(self, p, grad, state, group):
        Adam.update(self, p, grad, state, {**group, "weight_decay": 0})
        p.data *= 1 - group["lr"] * group["weight_decay"]
"""),
    Mistake("adamw_coupled", "AdamW adds the decay to the gradient, as Adam does", """
class AdamW:
    decoupled = False
"""),
    Mistake("adamw_decay_without_lr", "AdamW decays by (1 - weight_decay), forgetting lr", """
class Adam:
    def _weight_decay(self, p, grad, lr, weight_decay):
        if weight_decay != 0:
            if self.decoupled:
                p.data *= 1 - weight_decay
            else:
                grad = grad + weight_decay * p.data
        return grad
"""),
    Mistake("zero_grad_does_nothing", "zero_grad leaves the gradients", """
class Optimizer:
    def zero_grad(self, set_to_none=True):
        pass
"""),
    Mistake("steplr_off_by_one", "StepLR decays one epoch early: (t + 1) // step_size", scheduler("StepLR", """
        return [base * self.gamma ** ((self.last_epoch + 1) // self.step_size) for base in self.base_lrs]""")),
    Mistake("cosine_without_eta_min", "the cosine ends at 0 whatever eta_min", scheduler("CosineAnnealingLR", """
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [base * cosine for base in self.base_lrs]""")),
    Mistake("cosine_clamped", "the cosine stays at eta_min after T_max (PyTorch's goes back up)",
            scheduler("CosineAnnealingLR", """
        cosine = (1 + math.cos(math.pi * min(self.last_epoch, self.T_max) / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]""")),
    Mistake("lambda_one_for_all", "LambdaLR applies the first group's function to every group",
            scheduler("LambdaLR", """
        return [base * self.lr_lambdas[0](self.last_epoch) for base in self.base_lrs]""")),
    Mistake("clip_each_parameter", "each gradient clipped to max_norm on its own (the direction changes)", clip(
        scale="    for g in grads:\n"
              "        g *= np.minimum(1.0, max_norm / (_total_norm([g], float(norm_type)) + 1e-6))")),
    Mistake("clip_returns_clipped_norm", "clip_grad_norm_ returns the norm after clipping",
            clip(returned="min(total, max_norm)")),
    Mistake("clip_copies", "clipping scales copies of the gradients, not the gradients",
            clip(scale="    coef = np.minimum(1.0, max_norm / (total + 1e-6))\n    grads = [g * coef for g in grads]")),
    Mistake("clip_min_hides_nan", "the factor as Python's min(1, ...): a nan total leaves the gradients alone",
            clip(scale="    coef = min(1.0, max_norm / (total + 1e-6))\n    for g in grads:\n        g *= coef")),
    Mistake("clip_only_above_max_norm", "scaled only `if total > max_norm`: a nan total passes unclipped",
            clip(scale="    if total > max_norm:\n"
                       "        for g in grads:\n            g *= max_norm / (total + 1e-6)")),
]

VARIANTS = [
    Variant("sgd_new_arrays", "SGD written with new arrays (p.data = ...) and an explicit zero-start buffer",
            SGD_UPDATE.format(body="""        d = grad
        if weight_decay:
            d = d + weight_decay * p.data
        if momentum:
            if "momentum_buffer" in state:
                state["momentum_buffer"] = momentum * state["momentum_buffer"] + (1 - dampening) * d
            else:
                state["momentum_buffer"] = d.copy()
            d = d + momentum * state["momentum_buffer"] if nesterov else state["momentum_buffer"]
        p.data = (p.data - lr * d).astype(p.data.dtype)""")),
    Variant("adam_torch_order", "Adam as PyTorch writes it: step_size and sqrt(v)/sqrt(bc2)", adam(step="""\
        step_size = lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps
        p.data -= step_size * m / denom""")),
    Variant("adam_in_place_state", "Adam updating m and v in place", adam(averages="""\
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad ** 2""")),
    Variant("steplr_with_floor", "StepLR with math.floor of a division", scheduler("StepLR", """
        return [base * self.gamma ** math.floor(self.last_epoch / self.step_size) for base in self.base_lrs]""")),
    Variant("clip_with_linalg", "the total 2-norm from np.linalg.norm of the concatenated gradients", clip(
        total="np.linalg.norm(np.concatenate([g.ravel() for g in grads])) if float(norm_type) == 2.0 "
              "else _total_norm(grads, float(norm_type))")),
]
