"""Module 08's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function as a learner writes it (tito/catalogue.py says how they
run: `tito catalogue training`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 19

TRAIN_EPOCH = """
def train_epoch(model, loader, loss_fn, optimizer, progress=None, start_step=0):
{mode}    totals, steps = _EpochTotals(progress), 0
    for xb, yb in loader:
{step}
        totals.add(loss.item(), accuracy(output, yb), len(yb))
    return totals.summary(steps)
"""
STEP = """        optimizer.zero_grad()
        output = model(xb)
        loss = loss_fn(output, yb)
        loss.backward()
        steps += 1
        check_finite(loss, model, start_step + steps)
        optimizer.step()"""


def train_epoch(mode="    model.train()\n", step=STEP):
    return TRAIN_EPOCH.format(mode=mode, step=step)


EVALUATE = """
def evaluate(model, loader, loss_fn):
    was_training = model.training
{mode}    outputs, targets, total_loss = [], [], 0.0
    {recording}
        for xb, yb in loader:
            output = model(xb)
            total_loss += loss_fn(output, yb).item() * len(yb)
            outputs.append(np.asarray(output))
            targets.append(np.asarray(yb))
{restore}    return _evaluation(total_loss, outputs, targets)
"""


def evaluate(mode="    model.eval()\n", recording="with no_grad():", restore="    model.train(was_training)\n"):
    return EVALUATE.format(mode=mode, recording=recording, restore=restore)


CHECK_FINITE = """
def check_finite(loss, model, step):
    value = float(np.asarray(loss))
    {finite}
    culprit = next((name for name, p in {parameters}
                    if p.grad is not None and not np.all(np.isfinite(np.asarray(p.grad)))), None)
    where = (f"the first non-finite gradient is {{culprit}}'s" if culprit else
             "every gradient is still finite (the forward pass overflowed)")
    raise NonFiniteLossError(f"the loss became {{value}} at step {{step}}; {{where}}. "
                             "Lower the learning rate, or clip the gradients (clip_grad_norm_)")
"""


def check_finite(finite="if np.isfinite(value):\n        return", parameters="model.named_parameters()"):
    return CHECK_FINITE.format(finite=finite, parameters=parameters)


PREDICT = """
def predict_labels(output):
    scores = np.asarray(output)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis={axis}).astype(np.int64)
    return (scores.reshape(len(scores)) > {threshold}).astype(np.int64)
"""
CONFUSION = """
def confusion_matrix(predictions, targets, num_classes):
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    t, p = np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)
    {count}
    return counts
"""

MISTAKES = [
    Mistake("zero_grad_forgotten", "optimizer.zero_grad() left out: gradients pile up",
            train_epoch(step=STEP.replace("        optimizer.zero_grad()\n", ""))),
    Mistake("zero_grad_after_backward", "zero_grad between backward and step: every step uses zero gradients",
            train_epoch(step=STEP.replace("        optimizer.zero_grad()\n", "").replace(
                "        loss.backward()\n", "        loss.backward()\n        optimizer.zero_grad()\n"))),
    Mistake("zero_grad_at_the_end", "zero_grad after the step, at the end of the loop: stale gradients reach the "
            "first step, and none are left after the epoch", train_epoch(
                step=STEP.replace("        optimizer.zero_grad()\n", "") + "\n        optimizer.zero_grad()")),
    Mistake("no_train_mode", "train_epoch never calls model.train()", train_epoch(mode="")),
    Mistake("evaluate_in_train_mode", "evaluate without model.eval(): Dropout still on", evaluate(mode="")),
    Mistake("evaluate_with_grad", "evaluate without no_grad(): a graph recorded for every batch",
            evaluate(recording="if True:")),
    Mistake("evaluate_leaves_eval_mode", "evaluate leaves the model in eval mode", evaluate(restore="")),
    Mistake("evaluate_forces_train_mode", "evaluate ends with model.train(), whatever the mode was",
            evaluate(restore="    model.train()\n")),
    Mistake("mean_over_batches", "the epoch's loss and accuracy as means over batches (a short last batch weighs "
            "as much)", """
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
    Mistake("step_before_check", "optimizer.step() before check_finite: the nan reaches the weights",
            train_epoch(step=STEP.replace("        optimizer.step()", "").replace(
                "        check_finite(", "        optimizer.step()\n        check_finite("))),
    Mistake("step_counted_from_zero", "the step in the message counts from 0, not from start_step + 1",
            train_epoch(step=STEP.replace("start_step + steps", "steps - 1"))),
    Mistake("nan_check_missing", "no check of the loss: training goes on with nan", check_finite(finite="return")),
    Mistake("culprit_last_parameter", "the message names the last non-finite gradient, not the first",
            check_finite(parameters="reversed(list(model.named_parameters()))")),
    Mistake("accuracy_argmax_axis0", "predictions from argmax over the batch axis",
            PREDICT.format(axis=0, threshold=0)),
    Mistake("binary_threshold_half", "one-logit outputs thresholded at 0.5, not 0 (a logit is not a probability)",
            PREDICT.format(axis=1, threshold=0.5)),
    Mistake("confusion_transposed", "confusion matrix with rows = predicted",
            CONFUSION.format(count="np.add.at(counts, (p, t), 1)")),
    Mistake("confusion_fancy_assign", "counts[t, p] += 1 with fancy indexing: repeated pairs count once",
            CONFUSION.format(count="counts[t, p] += 1")),
    Mistake("confusion_casts_any_number", "targets cast with astype(int64): 0.7 counts as class 0, -1 as the last",
            CONFUSION.format(count="np.add.at(counts, (t, p), 1)")),
    Mistake("accuracy_rounds_targets", "float targets rounded: 0.7 counts as class 1", """
def accuracy(output, target):
    predicted = predict_labels(output)
    truth = np.round(np.asarray(target, dtype=np.float64)).astype(np.int64).reshape(len(predicted))
    return float(np.mean(predicted == truth))
"""),
    Mistake("accuracy_numpy_scalar", "accuracy returns np.mean's np.float64, not a Python float", """
def accuracy(output, target):
    return np.mean(predict_labels(output) == class_indices(target).reshape(-1))
"""),
]

VARIANTS = [
    Variant("loop_with_lists", "train_epoch keeping lists of losses and sizes, averaged with np.average", """
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
        losses.append(loss.item())
        rights.append(accuracy(output, yb))
        sizes.append(len(yb))
        if progress:
            progress(losses[-1], rights[-1])
    return {"loss": float(np.average(losses, weights=sizes)), "accuracy": float(np.average(rights, weights=sizes)),
            "steps": len(sizes)}
"""),
    Variant("confusion_by_bincount", "the confusion matrix from np.bincount of t * k + p", """
def confusion_matrix(predictions, targets, num_classes):
    flat = class_indices(targets, num_classes) * num_classes + class_indices(predictions, num_classes)
    return np.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes).astype(np.int64)
"""),
    Variant("confusion_loop", "the confusion matrix counted in a Python loop over the pairs", """
def confusion_matrix(predictions, targets, num_classes):
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(class_indices(targets, num_classes), class_indices(predictions, num_classes)):
        counts[t, p] += 1
    return counts
"""),
    Variant("evaluate_try_finally", "evaluate restoring the mode in a finally block, accuracy per batch", """
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
                outs.append(np.asarray(out))
                ys.append(np.asarray(yb))
    finally:
        model.train(mode)
    out, y = np.concatenate(outs), np.concatenate(ys)
    return {"loss": total / n, "accuracy": accuracy(out, y), "predictions": predict_labels(out), "targets": y}
"""),
]
