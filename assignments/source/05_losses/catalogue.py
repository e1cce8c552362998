"""Module 05's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function as a learner writes it (tito/catalogue.py says how they
run: `tito catalogue losses`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 25

# mse_loss and l1_loss as the reference writes them, with holes for what the entries change
REGRESSION = """
@differentiable(inputs=2)
def {name}(input, target, reduction="mean"):
    x, y = _floats("{name}", input, target)
    _check_reduction(reduction)
    d = x - y
    value = _reduce({value}, reduction)

    def backward(grad):
        g = {slope} * _spread(grad, reduction, d.shape)
        return g, {target}
    return Tensor(value), backward
"""


def mse(value="d * d", slope="2 * d", target="-g"):
    return REGRESSION.format(name="mse_loss", value=value, slope=slope, target=target)


def l1(slope="np.sign(d)"):
    return REGRESSION.format(name="l1_loss", value="np.abs(d)", slope=slope, target="-g")


NLL = """
@differentiable(inputs=2)
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    c = _class_rows("nll_loss", input, target, weight, ignore_index)
    _check_reduction(reduction)
    index = np.arange(len(c.rows))
    value = _weighted_reduce({losses}, c.row_weight, reduction)

    def backward(grad):
        g = np.zeros_like(c.rows)
        g[index, c.target] = -c.row_weight * _class_scale(grad, reduction, c)
        return c.to_input(g), None
    return Tensor(c.to_target(value) if reduction == "none" else value), backward
"""
CROSS_ENTROPY = """
@differentiable(inputs=2)
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {{label_smoothing}}")
    c = _class_rows("cross_entropy", input, target, weight, ignore_index, probabilities=True)
    _check_reduction(reduction)
    logp = {logp}
    count = c.rows.shape[1]
    A = {weights}
    value = _weighted_reduce(-(A * logp).sum(axis={axis}), c.row_weight, reduction)

    def backward(grad):
        s = _class_scale(grad, reduction, c)[:, None]
        g = {grad}
        soft = {soft}
        return c.to_input(g), soft
    return Tensor(c.to_target(value) if reduction == "none" else value), backward
"""
WEIGHTS = "((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight"
SOFT = "c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)"


def cross_entropy(logp="_activations.log_softmax(Tensor(c.rows), dim=1).data", weights=WEIGHTS, axis=1,
                  grad="(np.exp(logp) * A.sum(axis=1, keepdims=True) - A) * s",
                  soft=f"None if c.target is not None else {SOFT}"):
    return CROSS_ENTROPY.format(logp=logp, weights=weights, axis=axis, grad=grad, soft=soft)


BCE = """
@differentiable(inputs=2)
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    p, y = _floats("binary_cross_entropy", input, target)
    _check_reduction(reduction)
    if p.size and not (p.min() >= 0 and p.max() <= 1):
        raise ValueError("binary_cross_entropy: every input must be a probability between 0 and 1")
    w = _broadcast_weight("binary_cross_entropy", weight, p.shape, p.dtype)
    with np.errstate(divide="ignore"):
        log_p, log_q = {logs}
    value = _reduce({losses}, reduction)

    def backward(grad):
        g = _spread(grad, reduction, p.shape)
        with np.errstate(invalid="ignore"):
            return w * (p - y) / {denominator} * g, w * (log_q - log_p) * g
    return Tensor(value), backward
"""


def bce(logs="np.log(p), np.log1p(-p)",
        losses="-w * (y * np.maximum(log_p, -100) + (1 - y) * np.maximum(log_q, -100))",
        denominator="np.maximum(p * (1 - p), EPSILON)"):
    return BCE.format(logs=logs, losses=losses, denominator=denominator)


BCE_LOGITS = """
@differentiable(inputs=2)
def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    z, y = _floats("binary_cross_entropy_with_logits", input, target)
    _check_reduction(reduction)
    w = _broadcast_weight("binary_cross_entropy_with_logits", weight, z.shape, z.dtype)
    q = _broadcast_weight("binary_cross_entropy_with_logits", pos_weight, z.shape, z.dtype, "pos_weight")
    sp = {softplus}
    value = _reduce(w * ((1 - y) * z + {positive} * sp), reduction)

    def backward(grad):
        g = _spread(grad, reduction, z.shape)
        s = _activations.sigmoid(Tensor(z)).data
        return w * {slope} * g, w * ((q - 1) * sp - z) * g
    return Tensor(value), backward
"""


def bce_logits(softplus="np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))", positive="(1 + (q - 1) * y)",
               slope="(s * (1 + (q - 1) * y) - q * y)"):
    return BCE_LOGITS.format(softplus=softplus, positive=positive, slope=slope)


REDUCE = """
def _reduce(losses, reduction):
    _check_reduction(reduction)
    if reduction == "none":
        return losses
    {mean}
"""
WEIGHTED_REDUCE = """
def _weighted_reduce(row_losses, row_weight, reduction):
    _check_reduction(reduction)
    if reduction == "none":
        return row_losses
    total = row_losses.sum()
    if reduction == "sum":
        return total
    {mean}
"""

MISTAKES = [
    Mistake("mse_gradient_without_2", "MSE gradient d instead of 2 d", mse(slope="d")),
    Mistake("mse_target_gradient_sign", "the target's gradient has the input's sign", mse(target="g")),
    Mistake("l1_gradient_one", "L1 gradient 1 everywhere (forgot the sign)", l1(slope="np.ones_like(d)")),
    Mistake("l1_gradient_at_zero", "L1 gradient +1 at d = 0 (d >= 0), PyTorch's is 0",
            l1(slope="np.where(d >= 0, 1.0, -1.0)")),
    Mistake("mean_as_sum", "'mean' reduces with a sum",
            REDUCE.format(mean="return np.asarray(losses.sum(), losses.dtype)")),
    Mistake("mean_of_empty_warns", "'mean' with np.mean: nan for no losses, but with NumPy's warning",
            REDUCE.format(mean='return np.asarray(losses.mean() if reduction == "mean" else losses.sum(),\n'
                               '                      losses.dtype)')),
    Mistake("weighted_mean_over_n", "the class-loss mean divides by N, not by the weights' sum",
            WEIGHTED_REDUCE.format(mean="return np.asarray(total / len(row_losses), row_losses.dtype)")),
    Mistake("weighted_mean_warns", "the weighted mean 0 / 0 when every row is ignored, with NumPy's warning",
            WEIGHTED_REDUCE.format(mean="return np.asarray(total / row_weight.sum(), row_losses.dtype)")),
    Mistake("nll_sign", "NLL without the minus sign", NLL.format(losses="c.row_weight * c.rows[index, c.target]")),
    Mistake("nll_ignores_weight", "NLL value without the class weights",
            NLL.format(losses="-c.kept * c.rows[index, c.target]")),
    Mistake("softmax_then_log", "cross-entropy as log(softmax(z)): -inf and warnings for large logits",
            cross_entropy(logp="np.log(_activations.softmax(Tensor(c.rows), dim=1).data)")),
    Mistake("log_softmax_over_samples", "log_softmax over axis 0 (the samples)",
            cross_entropy(logp="_activations.log_softmax(Tensor(c.rows), dim=0).data")),
    Mistake("ce_sum_over_samples", "the row losses summed over axis 0", cross_entropy(axis=0)),
    Mistake("smoothing_not_mixed", "label smoothing adds eps/C but keeps the full target weight",
            cross_entropy(weights="(c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight")),
    Mistake("smoothing_without_class_weight", "the smoothing term ignores the class weights", cross_entropy(
        weights="(1 - label_smoothing) * c.probs * c.class_weight + (label_smoothing / count) * c.kept[:, None]")),
    Mistake("smoothing_on_ignored_rows", "ignored rows still get the smoothing term",
            cross_entropy(weights="((1 - label_smoothing) * c.probs + (label_smoothing / count)) * c.class_weight")),
    Mistake("probabilities_unweighted", "class probabilities without the class weights", cross_entropy(
        weights="((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None])\n"
                "    if c.target is not None:\n        A = A * c.class_weight")),
    Mistake("soft_target_gradient_missing", "class probabilities get no gradient", cross_entropy(soft="None")),
    Mistake("soft_target_gradient_sign", "the probabilities' gradient +w log p", cross_entropy(
        soft="None if c.target is not None else c.to_input((1 - label_smoothing) * c.class_weight * logp * s)")),
    Mistake("soft_target_gradient_unsmoothed", "the probabilities' gradient without the (1 - eps) factor",
            cross_entropy(soft="None if c.target is not None else c.to_input(-c.class_weight * logp * s)")),
    Mistake("ce_gradient_softmax_minus_target", "gradient softmax - A, without the row sum of A",
            cross_entropy(grad="(np.exp(logp) - A) * s")),
    Mistake("bce_without_clamp", "BCE with plain logs: inf and nan at p = 0 or 1",
            bce(losses="-w * (y * log_p + (1 - y) * log_q)")),
    Mistake("bce_clamp_probabilities", "BCE clipping p to [1e-7, 1 - 1e-7] (the loss tops out at 16)",
            bce(logs="np.log(np.clip(p, 1e-7, 1 - 1e-7)), np.log(1 - np.clip(p, 1e-7, 1 - 1e-7))")),
    Mistake("bce_gradient_without_floor", "BCE gradient divides by p (1 - p) unguarded",
            bce(denominator="(p * (1 - p))")),
    Mistake("bce_logits_naive_softplus", "softplus(-z) as log1p(exp(-z)): overflow for very negative z",
            bce_logits(softplus="np.log1p(np.exp(-z))")),
    Mistake("bce_logits_ignores_pos_weight", "pos_weight forgotten in the value", bce_logits(positive="1")),
    Mistake("bce_logits_gradient_sign", "the logits gradient y - sigmoid(z)",
            bce_logits(slope="(q * y - s * (1 + (q - 1) * y))")),
    Mistake("spread_ignores_mean", "the gradient of a mean is not divided by the count", """
def _spread(grad, reduction, shape):
    if reduction == "none":
        return grad
    return np.broadcast_to(grad, shape)
"""),
]

VARIANTS = [
    Variant("mse_with_square", "np.square(d) for d * d", mse(value="np.square(d)")),
    Variant("mean_with_empty_case", "np.mean, with the empty case answered first",
            REDUCE.format(mean='''if reduction == "sum":
        return np.asarray(losses.sum(), losses.dtype)
    if losses.size == 0:
        return np.asarray(np.nan, losses.dtype)
    return np.asarray(np.mean(losses), losses.dtype)''')),
    Variant("l1_sign_by_comparisons", "sign(d) as (d > 0) - (d < 0)",
            l1(slope="((d > 0).astype(d.dtype) - (d < 0))")),
    Variant("softplus_with_logaddexp", "softplus(-z) as np.logaddexp(0, -z)",
            bce_logits(softplus="np.logaddexp(0, -z)")),
    Variant("ce_weights_term_by_term", "A as the weighted target plus the weighted smoothing", cross_entropy(
        weights="((1 - label_smoothing) * c.probs * c.class_weight\n"
                "         + (label_smoothing / count) * c.class_weight * c.kept[:, None])")),
    Variant("soft_gradient_when_required", "the probabilities' gradient only when the target requires one",
            cross_entropy(soft=f"{SOFT} if c.target is None and target.requires_grad else None")),
]
