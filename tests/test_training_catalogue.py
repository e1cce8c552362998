"""The test of the training tests: learner mistakes in module 08 are all caught, correct
variants written differently all pass (see tests/catalogue.py for how they are run)."""
from __future__ import annotations

from catalogue import Entry, catalogue_tests

MISTAKES = [
    Entry("zero_grad_forgotten", "optimizer.zero_grad() left out: gradients pile up",
          replace=("        optimizer.zero_grad()\n        output = model(xb)\n", "        output = model(xb)\n")),
    Entry("zero_grad_after_backward", "zero_grad between backward and step: every step uses zero gradients",
          replace=("        optimizer.zero_grad()\n        output = model(xb)\n        loss = loss_fn(output, yb)\n"
                   "        loss.backward()\n",
                   "        output = model(xb)\n        loss = loss_fn(output, yb)\n        loss.backward()\n"
                   "        optimizer.zero_grad()\n")),
    Entry("no_train_mode", "train_epoch never calls model.train()", replace=("    model.train()\n    totals", "    totals")),
    Entry("evaluate_in_train_mode", "evaluate without model.eval(): Dropout still on",
          replace=("    was_training = model.training\n    model.eval()\n", "    was_training = model.training\n")),
    Entry("evaluate_with_grad", "evaluate without no_grad(): a graph recorded for every batch",
          replace=("    with no_grad():\n        for xb, yb in loader:\n", "    if True:\n        for xb, yb in loader:\n")),
    Entry("evaluate_leaves_eval_mode", "evaluate leaves the model in eval mode",
          replace=("    model.train(was_training)\n    return _evaluation", "    return _evaluation")),
    Entry("evaluate_forces_train_mode", "evaluate ends with model.train(), whatever the mode was",
          replace=("    model.train(was_training)\n    return _evaluation", "    model.train()\n    return _evaluation")),
    Entry("mean_over_batches", "the epoch's loss and accuracy as means over batches (a short last batch weighs as much)",
          append="""
def train_epoch(model, loader, loss_fn, optimizer, progress=None, start_step=0):
    model.train()
    losses, rights, steps = [], [], 0
    for xb, yb in loader:
        optimizer.zero_grad()
        output = model(xb)
        loss = loss_fn(output, yb)
        loss.backward()
        steps += 1
        check_finite(loss, model, start_step + steps)
        optimizer.step()
        losses.append(loss.item())
        rights.append(accuracy(output, yb))
        if progress is not None:
            progress(losses[-1], rights[-1])
    return {"loss": float(np.mean(losses)), "accuracy": float(np.mean(rights)), "steps": steps}
"""),
    Entry("step_before_check", "optimizer.step() before check_finite: the nan reaches the weights",
          replace=("        check_finite(loss, model, start_step + steps)\n        optimizer.step()\n",
                   "        optimizer.step()\n        check_finite(loss, model, start_step + steps)\n")),
    Entry("step_counted_from_zero", "the step in the message counts from 0, not from start_step + 1",
          replace=("        check_finite(loss, model, start_step + steps)\n", "        check_finite(loss, model, steps - 1)\n")),
    Entry("nan_check_missing", "no check of the loss: training goes on with nan",
          replace=("    if np.isfinite(value):\n        return\n", "    return\n")),
    Entry("culprit_last_parameter", "the message names the last non-finite gradient, not the first",
          replace=("    culprit = next((name for name, p in model.named_parameters()",
                   "    culprit = next((name for name, p in reversed(list(model.named_parameters()))")),
    Entry("accuracy_argmax_axis0", "predictions from argmax over the batch axis",
          replace=("        return scores.argmax(axis=1).astype(np.int64)", "        return scores.argmax(axis=0).astype(np.int64)")),
    Entry("binary_threshold_half", "one-logit outputs thresholded at 0.5 instead of 0 (a logit is not a probability)",
          replace=("    return (scores.reshape(len(scores)) > 0).astype(np.int64)",
                   "    return (scores.reshape(len(scores)) > 0.5).astype(np.int64)")),
    Entry("confusion_transposed", "confusion matrix with rows = predicted",
          replace=("    np.add.at(counts, (np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)",
                   "    np.add.at(counts, (np.asarray(predictions, dtype=np.int64), np.asarray(targets, dtype=np.int64)), 1)")),
    Entry("confusion_fancy_assign", "counts[t, p] += 1 with fancy indexing: repeated pairs count once",
          replace=("    np.add.at(counts, (np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)",
                   "    counts[np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)] += 1")),
]

VARIANTS = [
    Entry("loop_with_lists", "train_epoch keeping lists of losses and sizes, averaged with np.average", append="""
def train_epoch(model, loader, loss_fn, optimizer, progress=None, start_step=0):
    model.train()
    losses, rights, sizes = [], [], []
    for step, (xb, yb) in enumerate(loader, start=start_step + 1):
        optimizer.zero_grad()
        output = model(xb)
        loss = loss_fn(output, yb)
        loss.backward()
        check_finite(loss, model, step)
        optimizer.step()
        losses.append(loss.item()); rights.append(accuracy(output, yb)); sizes.append(len(yb))
        if progress:
            progress(losses[-1], rights[-1])
    return {"loss": float(np.average(losses, weights=sizes)), "accuracy": float(np.average(rights, weights=sizes)),
            "steps": len(sizes)}
"""),
    Entry("confusion_by_bincount", "the confusion matrix from np.bincount of t * k + p", append="""
def confusion_matrix(predictions, targets, num_classes):
    flat = np.asarray(targets, dtype=np.int64) * num_classes + np.asarray(predictions, dtype=np.int64)
    return np.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes).astype(np.int64)
"""),
    Entry("evaluate_try_finally", "evaluate restoring the mode in a finally block, accuracy per batch", append="""
def evaluate(model, loader, loss_fn):
    mode = model.training
    model.eval()
    try:
        with no_grad():
            outs, ys, total, n = [], [], 0.0, 0
            for xb, yb in loader:
                out = model(xb)
                total += loss_fn(out, yb).item() * len(yb)
                n += len(yb)
                outs.append(np.asarray(out)); ys.append(np.asarray(yb))
    finally:
        model.train(mode)
    out, y = np.concatenate(outs), np.concatenate(ys)
    return {"loss": total / n, "accuracy": accuracy(out, y), "predictions": predict_labels(out), "targets": y}
"""),
]


globals().update(catalogue_tests("training", MISTAKES, VARIANTS, at_least=15))
