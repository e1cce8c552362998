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
# # Module 08: Training
#
# Everything is in place: tensors that record their operations (03), layers (04),
# losses (05), optimizers (06) and data loaders (07). Training is the loop that joins
# them, the same in every framework:
#
# ```python
# for epoch in range(epochs):
#     for xb, yb in train_loader:
#         optimizer.zero_grad()          # forget the last batch's gradients
#         loss = loss_fn(model(xb), yb)  # forward
#         loss.backward()                # gradients of the loss for every parameter
#         optimizer.step()               # one step downhill
#     scheduler.step()
#     evaluate(model, test_loader)       # no gradients, eval mode, data never trained on
# ```
#
# Short as it is, each line hides a classic bug: gradients that pile up because
# `zero_grad` was forgotten, a model evaluated with Dropout still on, a test accuracy
# measured on the training data, a loss that turned into `nan` hundreds of steps before
# anyone noticed. This chapter writes the loop carefully, measures it (accuracy, the
# confusion matrix, curves), and makes it **resumable**: a checkpoint holds the model, the
# optimizer's and the scheduler's state and the random generators, so a run stopped and
# resumed gives exactly the numbers of a run that never stopped.
#
# ```bash
# tito test training   # the tests, one training run next to PyTorch's in float64
# tito milestone       # then the three historical milestones, on your own code
# ```

# %%
#| default_exp core.training

# %%
#| export
import numpy as np

from tinytorch.core import autograd as _autograd  # installs the engine: backward() works
from tinytorch.core.tensor import Tensor
from tinytorch.serialization import load, save

no_grad = _autograd.no_grad

# %% [markdown]
# ## Step 1: metrics
#
# The loss is what the optimizer minimises; **accuracy** is what a person reads: the
# fraction of examples whose predicted class is the true one. From a model's output:
#
# - class scores (logits) of shape `(N, C)`: the prediction is the class with the
#   largest score (`argmax` along axis 1);
# - one logit per example, shape `(N,)` or `(N, 1)`, for a yes/no problem: the
#   prediction is 1 where the logit is positive (probability above 1/2), else 0.
#
# The **confusion matrix** shows *which* mistakes: entry `[i, j]` counts the examples of
# true class `i` predicted as `j`. The diagonal is what went right; a bright
# off-diagonal cell (4s read as 9s) is where to look.
#
# Targets are **class indices**. They may arrive as floats: a yes/no problem trained
# with `BCEWithLogitsLoss` has targets `0.0` and `1.0`, as PyTorch wants them. A float
# that is a whole number is that class; `0.7` is no class at all, and rounding it to 1
# would report an accuracy for labels that do not exist. `class_indices` (given) turns
# targets into int64 indices and refuses anything else with a `ValueError` naming the
# first bad value; use it for every target you count.
#
# What the tests hold these functions to, beyond the values:
#
# - **dtypes**: predictions and counts are int64 arrays whatever the platform
#   (`astype(int)` is int32 on Windows with NumPy 1: say `np.int64`), and `accuracy` is
#   a Python `float` (`float(...)`), so a history of epochs prints and saves as numbers;
# - **no NumPy warnings**: every test fails on a NumPy `RuntimeWarning`. Here it bites in
#   `check_finite` below: test a value with `np.isfinite`, which never warns, not with
#   arithmetic on it (`inf - inf` warns and gives nan).

# %%
#| export
def class_indices(targets, num_classes: int | None = None, what: str = "target") -> np.ndarray:
    """Targets as an int64 array of class indices: integers, or floats that are whole numbers
    (0.0/1.0 targets of a yes/no problem). A ValueError names the first value that is no
    class (0.7, nan, -1, or num_classes and above when it is given)."""
    values = np.asarray(targets)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"{what}s must be class indices (numbers), got an array of {values.dtype}")
    flat = values.reshape(-1)
    whole = flat == np.round(flat) if values.dtype.kind == "f" else np.ones(flat.shape, dtype=bool)
    valid = whole & (flat >= 0) & (flat < (num_classes if num_classes is not None else np.inf))
    if not valid.all():
        first = int(np.argmin(valid))
        allowed = f"0 to {num_classes - 1}" if num_classes is not None else "0, 1, 2, ..."
        raise ValueError(f"{what} {flat[first].item()!r} (example {first}) is not a class index: the classes "
                         f"are whole numbers {allowed}")
    return values.astype(np.int64)


def predict_labels(output) -> np.ndarray:
    """Predicted classes from a model's output: argmax of (N, C) scores, or logit > 0 for (N,) or (N, 1)."""
    scores = np.asarray(output)
    # TODO: the predicted class of every example, as an int64 array of shape (N,).
    # HINTS: a (N, 1) output is one logit per example, like (N,), not one class.
    ### BEGIN SOLUTION
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1).astype(np.int64)
    return (scores.reshape(len(scores)) > 0).astype(np.int64)
    ### END SOLUTION


def accuracy(output, target) -> float:
    """Fraction of examples whose predicted class (predict_labels) equals the target, in [0, 1]."""
    # TODO: compare the predictions with the targets (class indices, or 0/1 floats for
    #       one-logit outputs, possibly shaped (N, 1)) and return the fraction right.
    # HINTS: class_indices(target) gives int64 indices (and refuses 0.7); flatten them to
    #        (N,) as the predictions are. A Python float: float(...).
    ### BEGIN SOLUTION
    predicted = predict_labels(output)
    truth = class_indices(target).reshape(len(predicted))
    return float(np.mean(predicted == truth))
    ### END SOLUTION


def confusion_matrix(predictions, targets, num_classes: int) -> np.ndarray:
    """counts[i, j] = number of examples of true class i predicted as class j (int64)."""
    # TODO: a (num_classes, num_classes) int64 matrix of counts.
    # HINTS: class_indices(values, num_classes) for both the targets and the predictions
    #        (a float 1.0 counts as class 1; -1 or 0.7 is a ValueError, never a wrong cell).
    #        A pair (true, predicted) that occurs several times must count several times.
    ### BEGIN SOLUTION
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    true = class_indices(targets, num_classes)
    np.add.at(counts, (true, class_indices(predictions, num_classes, what="prediction")), 1)
    return counts
    ### END SOLUTION


# %% [markdown]
# ### Check step 1

# %%
scores = np.array([[2.0, 0.1, -1.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9], [1.0, 0.0, 0.0]])
labels = np.array([0, 1, 1, 0])
assert predict_labels(scores).tolist() == [0, 1, 2, 0] and accuracy(scores, labels) == 0.75
assert accuracy(np.array([[1.5], [-0.3], [0.2]]), np.array([[1.0], [0.0], [0.0]])) == 2 / 3
assert confusion_matrix([0, 1, 2, 0], labels, 3).tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]
assert confusion_matrix([0, 1, 2, 0], labels.astype(np.float32), 3).tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]
assert isinstance(accuracy(scores, labels), float) and predict_labels(scores).dtype == np.int64
print("Step 1 passed: accuracy and confusion matrix")

# %% [markdown]
# ## Step 2: one epoch of training
#
# `train_epoch` runs the loop over one pass of the loader and returns the mean loss and
# accuracy of the epoch (means over **examples**: a short last batch counts less).
#
# Order matters. `zero_grad()` comes before `backward()`, because autograd **adds** into
# `.grad`; forgetting it sums every gradient since the start. `model.train()` switches
# Dropout on. And after `backward()`, before the step, `check_finite` looks at the loss:
# a loss that became `nan` or `inf` stops the run at once with a message naming the
# step and the first parameter whose gradient went non-finite, instead of silently
# training on garbage (every weight is `nan` one step later).
#
# The `progress` argument is given: when it is not None, call `progress(loss, accuracy)`
# after every batch (the progress bar of `fit` below uses it).

# %%
#| export
class NonFiniteLossError(RuntimeError):
    """Training stopped: the loss became nan or inf."""


def check_finite(loss, model, step: int) -> None:
    """Raise NonFiniteLossError when `loss` is nan or inf, naming `step` and the first
    parameter (in named_parameters order) whose gradient is not finite."""
    value = float(np.asarray(loss))
    # TODO: nothing when value is finite. Otherwise raise NonFiniteLossError with a
    #       message saying the loss value, the step and the first parameter name whose
    #       .grad has a nan or inf (or that every gradient is finite).
    ### BEGIN SOLUTION
    if np.isfinite(value):
        return
    culprit = next((name for name, p in model.named_parameters()
                    if p.grad is not None and not np.all(np.isfinite(np.asarray(p.grad)))), None)
    where = (f"the first non-finite gradient is {culprit}'s" if culprit else
             "every gradient is still finite (the forward pass overflowed)")
    raise NonFiniteLossError(f"the loss became {value} at step {step}; {where}. "
                             "Lower the learning rate, or clip the gradients (clip_grad_norm_)")
    ### END SOLUTION


class _EpochTotals:
    """Running sums of one epoch: each batch weighs by its size, so a short last batch
    counts for what it holds. add() also reports the batch to `progress`, if given."""

    def __init__(self, progress=None):
        self.progress, self.loss, self.right, self.count = progress, 0.0, 0.0, 0

    def add(self, loss, accuracy, n):
        self.loss, self.right, self.count = self.loss + loss * n, self.right + accuracy * n, self.count + n
        if self.progress is not None:
            self.progress(loss, accuracy)

    def summary(self, steps):
        return {"loss": self.loss / self.count, "accuracy": self.right / self.count, "steps": steps}


def train_epoch(model, loader, loss_fn, optimizer, progress=None, start_step: int = 0) -> dict:
    """One pass over `loader`: returns {"loss": mean loss, "accuracy": mean accuracy, "steps": batches}.

    Steps are numbered from start_step + 1 (for the message of check_finite).
    """
    # TODO: the training loop of one epoch; totals.add(loss, accuracy, batch size)
    #       after each step, totals.summary(steps) at the end.
    # HINTS:
    #   - The order inside the loop is the whole lesson: clear the old gradients,
    #     forward, loss, backward, check, step. Clearing after backward wipes them.
    #   - Check the loss before the step: a nan step ruins every weight.
    #   - train mode first (Dropout on): evaluate may have left the model in eval.
    #   - loss.item() is a Python float; len(yb) is the batch size.
    ### BEGIN SOLUTION
    model.train()
    totals, steps = _EpochTotals(progress), 0
    for xb, yb in loader:
        optimizer.zero_grad()
        output = model(xb)
        loss = loss_fn(output, yb)
        loss.backward()
        steps += 1
        check_finite(loss, model, start_step + steps)
        optimizer.step()
        totals.add(loss.item(), accuracy(output, yb), len(yb))
    return totals.summary(steps)
    ### END SOLUTION


# %% [markdown]
# ## Step 3: evaluation
#
# Evaluation measures the model without changing it:
#
# - `model.eval()` first (Dropout off, every unit used), and **back to the mode it was
#   in** afterwards;
# - under `no_grad()`: no graph is recorded, so no memory is spent on it and no
#   gradient can leak into the next training step;
# - on data the model never trained on.
#
# `evaluate` returns the mean loss and the accuracy, and the predicted and true labels
# of every example (for the confusion matrix).

# %%
#| export
def evaluate(model, loader, loss_fn) -> dict:
    """Loss and accuracy of `model` on `loader`, in eval mode and without gradients.

    Returns {"loss", "accuracy", "predictions" (int64 array), "targets" (array)}; the
    model's train/eval mode is restored afterwards.
    """
    # TODO: evaluate as described above; _evaluation(total_loss, outputs, targets) builds
    #       the result from the summed loss (loss * batch size) and the lists of arrays.
    # HINTS: remember the mode before changing it: model.train(was_training) restores
    #        either mode. np.asarray(tensor) gives the array to keep.
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    outputs, targets, total_loss = [], [], 0.0
    with no_grad():
        for xb, yb in loader:
            output = model(xb)
            total_loss += loss_fn(output, yb).item() * len(yb)
            outputs.append(np.asarray(output))
            targets.append(np.asarray(yb))
    model.train(was_training)
    return _evaluation(total_loss, outputs, targets)
    ### END SOLUTION


def _evaluation(total_loss, outputs, targets):
    """evaluate's result from the summed loss and the batches' outputs and targets."""
    output, target = np.concatenate(outputs), np.concatenate(targets)
    return {"loss": total_loss / len(target), "accuracy": accuracy(output, target),
            "predictions": predict_labels(output), "targets": target}


# %% [markdown]
# ## Step 4: the whole run, with checkpoints
#
# `fit` (given) runs the epochs: `train_epoch`, then `scheduler.step()` (once per epoch,
# after the optimizer's steps), then `evaluate` on the test loader, with a progress bar
# (loss and accuracy as they come) and a history of every epoch's numbers.
#
# With `checkpoint="run.tt"` it saves after every epoch, with `tinytorch.save`: the
# model's `state_dict()`, the optimizer's (momentum buffers, Adam's averages, step
# counts), the scheduler's, the history, and the **state of the random generators**
# (the loaders' shuffling and `tinytorch.default_generator`, which Dropout draws from).
# `fit(..., resume="run.tt")` loads all of it and continues with the next epoch: the
# same batches, the same dropout masks, the same steps, so the numbers equal those of
# an unbroken run exactly. A checkpoint without the optimizer's state would restart
# Adam's averages from zero and drift away.
#
# `tinytorch.save` writes an `.npz` of plain arrays with a JSON description of the rest;
# `tinytorch.load` never runs code from the file (PyTorch's pickle-based files can).

# %%
#| export
def _generators(*loaders):
    import tinytorch

    found = [tinytorch.default_generator] if hasattr(tinytorch, "default_generator") else []
    for loader in loaders:
        generator = getattr(loader, "generator", None)
        if generator is not None and all(generator is not g for g in found):
            found.append(generator)
    return found


def save_checkpoint(path, model, optimizer, scheduler=None, epoch: int = 0, history=None, generators=()) -> None:
    """Everything needed to resume exactly, in one tinytorch.save file."""
    save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
          "scheduler": scheduler.state_dict() if scheduler is not None else None,
          "history": history or [], "generators": [g.bit_generator.state for g in generators]}, path)


def load_checkpoint(path, model, optimizer, scheduler=None, generators=()) -> tuple[int, list]:
    """Restore what save_checkpoint wrote; returns (epoch, history)."""
    saved = load(path)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    if scheduler is not None and saved["scheduler"] is not None:
        scheduler.load_state_dict(saved["scheduler"])
    if len(saved["generators"]) != len(generators):
        raise ValueError(f"{path} holds {len(saved['generators'])} random generator states, "
                         f"this run has {len(generators)}")
    for generator, state in zip(generators, saved["generators"]):
        generator.bit_generator.state = state
    return saved["epoch"], saved["history"]


class TrainingProgress:
    """A rich progress bar over the batches of an epoch, showing the running loss and accuracy."""

    def __init__(self, total_epochs, enabled=True):
        self.total_epochs, self.enabled = total_epochs, enabled
        self._bar = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[acc]:.1%}"),
                                 TextColumn("{task.fields[extra]}"), TimeElapsedColumn(), transient=False)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def epoch(self, number, batches):
        """A callback for train_epoch: updates this epoch's bar with each batch."""
        if self._bar is None:
            return None
        task = self._bar.add_task(f"epoch {number}/{self.total_epochs}", total=batches, loss=0.0, acc=0.0, extra="")
        totals = {"loss": 0.0, "acc": 0.0, "n": 0}

        def update(loss, acc):
            totals["n"] += 1
            totals["loss"] += (loss - totals["loss"]) / totals["n"]
            totals["acc"] += (acc - totals["acc"]) / totals["n"]
            self._bar.update(task, advance=1, loss=totals["loss"], acc=totals["acc"])

        update.task = task
        return update

    def finish(self, callback, record):
        if self._bar is not None and callback is not None and "test_accuracy" in record:
            self._bar.update(callback.task, extra=f"test loss {record['test_loss']:.4f} "
                                                  f"acc {record['test_accuracy']:.1%}")


def fit(model, train_loader, loss_fn, optimizer, epochs: int, test_loader=None, scheduler=None,
        checkpoint=None, resume=None, progress: bool = True) -> list[dict]:
    """Train for `epochs` epochs; returns the history, a list of one dict per epoch.

    Each record: epoch, loss, accuracy (training), lr, and test_loss, test_accuracy when
    a test loader is given. checkpoint: a path saved after every epoch; resume: a path to
    continue from (the epochs already done are not repeated).
    """
    generators = _generators(train_loader, test_loader)
    history, done = [], 0
    if resume is not None:
        done, history = load_checkpoint(resume, model, optimizer, scheduler, generators)
    steps = sum(record["steps"] for record in history)
    with TrainingProgress(epochs, enabled=progress) as bar:
        for epoch in range(done + 1, epochs + 1):
            callback = bar.epoch(epoch, len(train_loader))
            lr = optimizer.param_groups[0]["lr"]
            result = train_epoch(model, train_loader, loss_fn, optimizer, progress=callback, start_step=steps)
            steps += result["steps"]
            if scheduler is not None:
                scheduler.step()
            record = {"epoch": epoch, "lr": lr, **result}
            if test_loader is not None:
                tested = evaluate(model, test_loader, loss_fn)
                record.update(test_loss=tested["loss"], test_accuracy=tested["accuracy"])
            history.append(record)
            bar.finish(callback, record)
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, optimizer, scheduler, epoch, history, generators)
    return history


# %% [markdown]
# ## Putting it together: the digits
#
# A 64-32-10 network on the 8x8 digits, with Adam and a cosine schedule, 15 epochs:
# your layers (04), your loss (05), your optimizer and schedule (06), your loaders (07).

# %%
import tinytorch  # noqa: E402
from tinytorch.core.data import DataLoader, TensorDataset, random_split  # noqa: E402
from tinytorch.core.optim import Adam, CosineAnnealingLR  # noqa: E402
from tinytorch.datasets import load_digits  # noqa: E402
from tinytorch.nn import Linear, ReLU, Sequential  # noqa: E402
from tinytorch.nn.functional import cross_entropy  # noqa: E402

tinytorch.manual_seed(0)
X, y = load_digits()
digits = TensorDataset(Tensor(X / 16), Tensor(y))
train_set, test_set = random_split(digits, [0.8, 0.2], generator=np.random.default_rng(0))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=np.random.default_rng(1))
test_loader = DataLoader(test_set, batch_size=256)
model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
optimizer = Adam(model.parameters(), lr=3e-3)
history = fit(model, train_loader, cross_entropy, optimizer, epochs=15, test_loader=test_loader,
              scheduler=CosineAnnealingLR(optimizer, T_max=15), progress=False)
print(f"after 15 epochs: train accuracy {history[-1]['accuracy']:.1%}, "
      f"test accuracy {history[-1]['test_accuracy']:.1%}")

# %%
from tito.offers import feedback_module  # noqa: E402

feedback = feedback_module("training")  # this module's feedback.py: its figures
plot_confusion, plot_history = feedback.plot_confusion, feedback.plot_history

plot_history(history)
result = evaluate(model, test_loader, cross_entropy)
plot_confusion(confusion_matrix(result["predictions"], result["targets"], 10))

# %% [markdown]
# ## What's next
#
# ```bash
# tito test training
# tito sync
# tito milestone          # the perceptron (1957), XOR (1969) and the digits MLP (1986)
# ```

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (a dtype, an error for a non-finite loss) share 5% of the score;
# the tests that need the right values share the other 95%.
