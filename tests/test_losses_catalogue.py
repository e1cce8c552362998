"""The test of the losses tests: realistic learner mistakes must all be caught, correct variants all pass.

Each entry patches the package code exported from the reference dev file of module 05
(tinytorch/core/losses.py) and runs the module's tests on it in a subprocess.
"""
from __future__ import annotations

from catalogue import Entry as Mistake
from catalogue import catalogue_tests


MISTAKES = [
    Mistake("mse_gradient_without_2", "MSE gradient d instead of 2 d", replace=(
        "g = 2 * d * _spread(grad, reduction, d.shape)", "g = d * _spread(grad, reduction, d.shape)")),
    Mistake("mse_target_gradient_sign", "the target's gradient has the input's sign", replace=(
        "        g = 2 * d * _spread(grad, reduction, d.shape)\n        return g, -g",
        "        g = 2 * d * _spread(grad, reduction, d.shape)\n        return g, g")),
    Mistake("l1_gradient_one", "L1 gradient 1 everywhere (forgot the sign)", replace=(
        "g = np.sign(d) * _spread(grad, reduction, d.shape)", "g = np.ones_like(d) * _spread(grad, reduction, d.shape)")),
    Mistake("l1_gradient_at_zero", "L1 gradient +1 at d = 0 (d >= 0), PyTorch's is 0", replace=(
        "g = np.sign(d) * _spread(grad, reduction, d.shape)",
        "g = np.where(d >= 0, 1.0, -1.0) * _spread(grad, reduction, d.shape)")),
    Mistake("mean_as_sum", "'mean' reduces with a sum", replace=(
        'return np.asarray(losses.mean() if reduction == "mean" else losses.sum(), losses.dtype)',
        "return np.asarray(losses.sum(), losses.dtype)")),
    Mistake("weighted_mean_over_n", "the class-loss mean divides by N, not by the weights' sum", replace=(
        "return np.asarray(total / row_weight.sum(), row_losses.dtype)",
        "return np.asarray(total / len(row_losses), row_losses.dtype)")),
    Mistake("nll_sign", "NLL without the minus sign", replace=(
        "value = _weighted_reduce(-c.row_weight * c.rows[index, c.target], c.row_weight, reduction)",
        "value = _weighted_reduce(c.row_weight * c.rows[index, c.target], c.row_weight, reduction)")),
    Mistake("nll_ignores_weight", "NLL value without the class weights", replace=(
        "value = _weighted_reduce(-c.row_weight * c.rows[index, c.target], c.row_weight, reduction)",
        "value = _weighted_reduce(-c.kept * c.rows[index, c.target], c.row_weight, reduction)")),
    Mistake("softmax_then_log", "cross-entropy as log(softmax(z)): -inf and warnings for large logits", replace=(
        "logp = _activations.log_softmax(Tensor(c.rows), dim=1).data",
        "logp = np.log(_activations.softmax(Tensor(c.rows), dim=1).data)")),
    Mistake("log_softmax_over_samples", "log_softmax over axis 0 (the samples)", replace=(
        "logp = _activations.log_softmax(Tensor(c.rows), dim=1).data",
        "logp = _activations.log_softmax(Tensor(c.rows), dim=0).data")),
    Mistake("ce_sum_over_samples", "the row losses summed over axis 0", replace=(
        "value = _weighted_reduce(-(A * logp).sum(axis=1), c.row_weight, reduction)",
        "value = _weighted_reduce(-(A * logp).sum(axis=0), c.row_weight, reduction)")),
    Mistake("smoothing_not_mixed", "label smoothing adds eps/C but keeps the full target weight", replace=(
        "A = ((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight",
        "A = (c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight")),
    Mistake("smoothing_without_class_weight", "the smoothing term ignores the class weights", replace=(
        "A = ((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight",
        "A = (1 - label_smoothing) * c.probs * c.class_weight + (label_smoothing / count) * c.kept[:, None]")),
    Mistake("smoothing_on_ignored_rows", "ignored rows still get the smoothing term", replace=(
        "(label_smoothing / count) * c.kept[:, None]", "(label_smoothing / count)")),
    Mistake("probabilities_unweighted", "class probabilities without the class weights", replace=(
        "A = ((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight",
        "A = ((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None])\n"
        "    if c.target is not None:\n        A = A * c.class_weight")),
    Mistake("soft_target_gradient_missing", "class probabilities get no gradient", replace=(
        "soft = None if c.target is not None else c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)",
        "soft = None")),
    Mistake("soft_target_gradient_sign", "the probabilities' gradient +w log p", replace=(
        "c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)",
        "c.to_input((1 - label_smoothing) * c.class_weight * logp * s)")),
    Mistake("soft_target_gradient_unsmoothed", "the probabilities' gradient without the (1 - eps) factor", replace=(
        "c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)", "c.to_input(-c.class_weight * logp * s)")),
    Mistake("ce_gradient_softmax_minus_target", "gradient softmax - A, without the row sum of A", replace=(
        "g = (np.exp(logp) * A.sum(axis=1, keepdims=True) - A) * s", "g = (np.exp(logp) - A) * s")),
    Mistake("bce_without_clamp", "BCE with plain logs: inf and nan at p = 0 or 1", replace=(
        "value = _reduce(-w * (y * np.maximum(log_p, -100) + (1 - y) * np.maximum(log_q, -100)), reduction)",
        "value = _reduce(-w * (y * log_p + (1 - y) * log_q), reduction)")),
    Mistake("bce_clamp_probabilities", "BCE clipping p to [1e-7, 1 - 1e-7] (the loss tops out at 16)", replace=(
        "        log_p, log_q = np.log(p), np.log1p(-p)",
        "        log_p, log_q = np.log(np.clip(p, 1e-7, 1 - 1e-7)), np.log(1 - np.clip(p, 1e-7, 1 - 1e-7))")),
    Mistake("bce_gradient_without_floor", "BCE gradient divides by p (1 - p) unguarded", replace=(
        "w * (p - y) / np.maximum(p * (1 - p), EPSILON) * g", "w * (p - y) / (p * (1 - p)) * g")),
    Mistake("bce_logits_naive_softplus", "softplus(-z) as log1p(exp(-z)): overflow for very negative z", replace=(
        "sp = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))", "sp = np.log1p(np.exp(-z))")),
    Mistake("bce_logits_ignores_pos_weight", "pos_weight forgotten in the value", replace=(
        "value = _reduce(w * ((1 - y) * z + (1 + (q - 1) * y) * sp), reduction)",
        "value = _reduce(w * ((1 - y) * z + sp), reduction)")),
    Mistake("bce_logits_gradient_sign", "the logits gradient y - sigmoid(z)", replace=(
        "return w * (s * (1 + (q - 1) * y) - q * y) * g,", "return w * (q * y - s * (1 + (q - 1) * y)) * g,")),
    Mistake("spread_ignores_mean", "the gradient of a mean is not divided by the count", replace=(
        'return np.broadcast_to(grad / count if reduction == "mean" else grad, shape)',
        "return np.broadcast_to(grad, shape)")),
]

VARIANTS = [
    Mistake("mse_with_square", "np.square(d) for d * d", replace=(
        "    d = x - y\n    value = _reduce(d * d, reduction)\n", "    d = x - y\n    value = _reduce(np.square(d), reduction)\n")),
    Mistake("mean_as_sum_over_size", "mean as sum / size", replace=(
        'return np.asarray(losses.mean() if reduction == "mean" else losses.sum(), losses.dtype)',
        'return np.asarray(losses.sum() / losses.size if reduction == "mean" else losses.sum(), losses.dtype)')),
    Mistake("l1_sign_by_comparisons", "sign(d) as (d > 0) - (d < 0)", replace=(
        "g = np.sign(d) * _spread(grad, reduction, d.shape)",
        "g = ((d > 0).astype(d.dtype) - (d < 0)) * _spread(grad, reduction, d.shape)")),
    Mistake("softplus_with_logaddexp", "softplus(-z) as np.logaddexp(0, -z)", replace=(
        "sp = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))", "sp = np.logaddexp(0, -z)")),
    Mistake("ce_weights_term_by_term", "A as the weighted target plus the weighted smoothing", replace=(
        "A = ((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight",
        "A = ((1 - label_smoothing) * c.probs * c.class_weight\n"
        "         + (label_smoothing / count) * c.class_weight * c.kept[:, None])")),
    Mistake("soft_gradient_when_required", "the probabilities' gradient only when the target requires one", replace=(
        "soft = None if c.target is not None else c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)",
        "soft = (c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)\n"
        "                if c.target is None and target.requires_grad else None)")),
]


globals().update(catalogue_tests("losses", MISTAKES, VARIANTS))
