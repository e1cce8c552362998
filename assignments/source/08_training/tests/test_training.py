"""Module 08 training: metrics, train_epoch, evaluate, the nan stop, checkpoints.

References: counts by plain Python loops; PyTorch training the same network from the
same weights on the same batches in float64 (the weights must agree to 1e-8); an
unbroken run for the resumed one (bitwise).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytorch
from tinytorch.core import autograd
from tinytorch.core.data import DataLoader, TensorDataset
from tinytorch.core.optim import SGD, Adam, StepLR
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import (
    NonFiniteLossError,
    accuracy,
    check_finite,
    confusion_matrix,
    evaluate,
    fit,
    predict_labels,
    train_epoch,
)
from tinytorch.nn import Dropout, Linear, Module


def cross_entropy(output, target):
    """Mean cross-entropy from logits, written with autograd's operations (independent of module 05)."""
    rows = np.arange(len(target.data))
    return -(autograd.log_softmax(output, dim=1)[rows, target.data]).mean()


class MLP(Module):
    """in -> hidden (tanh) -> classes, optionally with dropout after the hidden layer."""

    def __init__(self, sizes=(6, 8, 3), p=0.0):
        super().__init__()
        self.fc1 = Linear(sizes[0], sizes[1])
        self.fc2 = Linear(sizes[1], sizes[2])
        self.drop = Dropout(p)
        self.grad_modes = []

    def forward(self, x):
        self.grad_modes.append(autograd.is_grad_enabled())
        return self.fc2(self.drop(autograd.tanh(self.fc1(x))))


def problem(n=40, features=6, classes=3, seed=0, dtype=np.float64, nan_at=None):
    """A small classification dataset; `nan_at`: (example, feature) made nan before the tensors are
    made (the dataset's own arrays are never changed afterwards: under tito grade they live elsewhere)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features)).astype(dtype)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5).astype(np.int64)
    if nan_at is not None:
        X[nan_at] = np.nan
    return TensorDataset(Tensor(X), Tensor(np.minimum(y, classes - 1)))


def make_model(seed=0, p=0.0, dtype=np.float64):
    tinytorch.manual_seed(seed)
    model = MLP(p=p)
    if dtype == np.float64:
        model.double()
    return model


# ---- metrics ---------------------------------------------------------------------------------

def test_accuracy_and_predictions_by_hand():
    scores = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    assert predict_labels(scores).tolist() == [1, 0, 2, 2], \
        f"predict_labels of the (4, 3) scores {scores.tolist()}: the column of each row's largest score"
    assert predict_labels(scores).dtype == np.int64, f"predict_labels gives {predict_labels(scores).dtype}, not int64"
    assert accuracy(scores, np.array([1, 0, 0, 2])) == 0.75, "accuracy(scores, [1, 0, 0, 2]): 3 of 4 right"
    kind = type(accuracy(scores, np.array([1, 0, 0, 2])))
    assert kind is float, f"accuracy gives a {kind.__name__}, not a Python float: a printed history would show " \
        "np.float64(0.75)"
    assert accuracy(Tensor(scores), Tensor(np.array([1, 0, 0, 2]))) == 0.75
    logits = np.array([[2.0], [-1.0], [0.5], [-0.1]])
    assert predict_labels(logits).tolist() == [1, 0, 1, 0], "one logit per example: class 1 where it is > 0"
    assert accuracy(logits, np.array([[1.0], [0.0], [0.0], [0.0]])) == 0.75
    assert accuracy(np.array([2.0, -1.0]), np.array([1, 1])) == 0.5


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=60))
def test_confusion_matrix_counts_every_pair(pairs):
    true, predicted = np.array([t for t, _ in pairs]), np.array([p for _, p in pairs])
    matrix = confusion_matrix(predicted, true, 5)
    assert matrix.shape == (5, 5) and matrix.dtype == np.int64
    for i in range(5):
        for j in range(5):
            assert matrix[i, j] == sum(1 for t, p in pairs if t == i and p == j), \
                f"counts[{i}, {j}] (true {i}, predicted {j}) of the pairs (true, predicted) {pairs}"
    assert np.trace(matrix) / len(pairs) == accuracy(np.eye(5)[predicted], true)


def test_confusion_rows_are_the_true_class():
    assert confusion_matrix([2, 2, 0], [0, 0, 0], 3).tolist() == [[1, 0, 2], [0, 0, 0], [0, 0, 0]], \
        "confusion_matrix(predictions=[2, 2, 0], targets=[0, 0, 0], 3): row = true class, column = predicted"



def test_float_targets_count_as_their_class_and_other_numbers_are_refused():
    """PyTorch's BCE targets are floats 0.0/1.0: whole-number floats are classes; 0.7 or -1 is a ValueError."""
    floats = np.array([0.0, 2.0, 2.0, 1.0], dtype=np.float32)
    assert confusion_matrix([0, 2, 1, 1], floats, 3).tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]], \
        "confusion_matrix(predictions=[0, 2, 1, 1], targets=[0., 2., 2., 1.] (float32), 3)"
    assert accuracy(np.array([[1.5], [-0.3]]), np.array([[1.0], [1.0]])) == 0.5
    calls = {f"confusion_matrix([0, 1], targets={t}, 3)": (lambda t=t: confusion_matrix([0, 1], np.array(t), 3))
             for t in ([0.0, 0.7], [0, -1], [0, 3])}
    calls["accuracy(logits [[1.5], [-0.3]], targets [0.7, 0.0])"] = \
        lambda: accuracy(np.array([[1.5], [-0.3]]), np.array([0.7, 0.0]))
    for call, run in calls.items():
        try:
            run()
        except ValueError:
            continue
        pytest.fail(f"{call} raised no ValueError: a target that is no class (0.7, -1, 3 of 3 classes) is "
                    "refused (class_indices), never counted")

# ---- one epoch ------------------------------------------------------------------------------

LAST_GRADIENTS = ("after train_epoch, .grad is None: zero_grad() ran after the last step. Clear the gradients "
                  "first in each step (the chapter's order): then the last batch's gradients stay to look at, "
                  "and gradients left from before never reach a step")


def test_gradients_do_not_pile_up_between_batches():
    model = make_model()
    batches = list(DataLoader(problem(), batch_size=10))
    train_epoch(model, batches[:1], cross_entropy, SGD(model.parameters(), lr=0.0))
    assert model.fc1.weight.grad is not None, LAST_GRADIENTS
    first = model.fc1.weight.grad.data.copy()
    train_epoch(model, batches[:1] * 3, cross_entropy, SGD(model.parameters(), lr=0.0))
    assert np.allclose(model.fc1.weight.grad.data, first, rtol=1e-12), \
        "after three steps on the same batch (lr 0) the gradient is that batch's, not three times it"


def test_gradients_from_before_the_epoch_do_not_reach_its_first_step():
    batches = list(DataLoader(problem(), batch_size=10))[:1]
    clean, stale = make_model(), make_model()
    for p in stale.parameters():  # a backward() of something else, before training starts
        p.grad = Tensor(np.full(p.shape, 100.0))
    for model in (clean, stale):
        train_epoch(model, batches, cross_entropy, SGD(model.parameters(), lr=0.1))
    for (name, a), (_, b) in zip(clean.named_parameters(), stale.named_parameters()):
        np.testing.assert_array_equal(b.data, a.data, err_msg=f"{name}: the first step used gradients from before "
                                      "the epoch; clear them first in each step (the chapter's order)")


def test_the_epoch_means_weigh_each_example_once():
    model = make_model()
    loader = DataLoader(problem(n=23), batch_size=10)  # batches of 10, 10, 3
    result = train_epoch(model, loader, cross_entropy, SGD(model.parameters(), lr=0.0))
    full = evaluate(model, DataLoader(problem(n=23), batch_size=23), cross_entropy)
    weighs = "23 examples in batches of 10, 10 and 3 (lr 0): the epoch's {} is the mean over examples, " \
        "each batch weighing by its size"
    assert result["loss"] == pytest.approx(full["loss"], rel=1e-12), weighs.format("loss")
    assert result["accuracy"] == pytest.approx(full["accuracy"], rel=1e-12), weighs.format("accuracy")


def test_progress_is_told_every_batch():
    model = make_model()
    seen = []
    train_epoch(model, DataLoader(problem(n=25), batch_size=10), cross_entropy,
                SGD(model.parameters(), lr=0.1), progress=lambda loss, acc: seen.append((loss, acc)))
    assert len(seen) == 3, (
        f"25 examples in batches of 10: progress(loss, accuracy) once per batch, 3 calls, not {len(seen)}"
    )
    assert all(np.isfinite(loss) and 0 <= acc <= 1 for loss, acc in seen), f"progress was told {seen}"


def test_training_switches_the_model_to_train_mode():
    model = make_model(p=0.5)
    model.eval()
    train_epoch(model, DataLoader(problem(), batch_size=20), cross_entropy, SGD(model.parameters(), lr=0.1))
    assert model.training and model.drop.training, \
        "train_epoch on a model in eval mode left it there: call model.train() first (Dropout on)"


# ---- evaluation ------------------------------------------------------------------------------

def test_evaluate_uses_eval_mode_and_no_grad():
    model = make_model(p=0.5)
    loader = DataLoader(problem(), batch_size=16)
    first = evaluate(model, loader, cross_entropy)
    second = evaluate(model, loader, cross_entropy)
    assert first["loss"] == second["loss"], "evaluation must be deterministic: Dropout off (model.eval())"
    model.eval()
    X, y = problem().tensors
    with autograd.no_grad():
        expected = cross_entropy(model(X), y).item()
    assert first["loss"] == pytest.approx(expected, rel=1e-12)
    model.grad_modes.clear()
    model.train()
    evaluate(model, loader, cross_entropy)
    assert model.grad_modes and not any(model.grad_modes), "evaluate must run the model under no_grad()"
    assert all(p.grad is None for p in model.parameters()), "evaluation must leave no gradients"


@pytest.mark.parametrize("mode", [True, False])
def test_evaluate_restores_the_mode(mode):
    model = make_model(p=0.3)
    model.train(mode)
    evaluate(model, DataLoader(problem(), batch_size=16), cross_entropy)
    assert model.training is mode and model.drop.training is mode, \
        f"a model in {'train' if mode else 'eval'} mode came back from evaluate in another: put back the mode it had"


def test_evaluate_returns_labels_for_the_confusion_matrix():
    model = make_model()
    result = evaluate(model, DataLoader(problem(n=30), batch_size=8), cross_entropy)
    X, y = problem(n=30).tensors
    with autograd.no_grad():
        expected = predict_labels(model(X))
    where = "30 examples in batches of 8"
    assert result["predictions"].tolist() == expected.tolist(), f"{where}: 'predictions' of every example, in order"
    assert result["targets"].tolist() == y.data.tolist(), f"{where}: 'targets' of every example, in order"
    assert result["accuracy"] == accuracy(np.eye(3)[expected], y.data), f"{where}: 'accuracy' of all 30"


# ---- a loss that goes non-finite -------------------------------------------------------------

def test_a_nan_stops_training_naming_the_step_and_the_parameter():
    data = problem(n=40, nan_at=(25, 2))  # in the third batch of 10
    model = make_model()
    with pytest.raises(NonFiniteLossError) as caught:
        train_epoch(model, DataLoader(data, batch_size=10), cross_entropy, SGD(model.parameters(), lr=0.1),
                    start_step=100)
    message = str(caught.value)
    assert "step 103" in message, message
    assert "fc1.weight" in message, message
    assert all(np.isfinite(p.data).all() for p in model.parameters()), "no step may be taken with a nan gradient"


def test_check_finite_names_the_first_bad_gradient():
    model = make_model()
    for p in model.parameters():
        p.grad = Tensor(np.zeros_like(p.data))
    check_finite(Tensor(1.5), model, 1)  # finite: nothing happens
    bad = np.zeros(model.fc2.weight.shape)
    bad[0, 0] = np.inf
    model.fc2.weight.grad = Tensor(bad)  # a new gradient, not a change inside one (tito grade lends copies)
    with pytest.raises(NonFiniteLossError, match=r"(?s)inf.*step 7.*fc2\.weight"):
        check_finite(Tensor(np.inf), model, 7)
    model.fc2.weight.grad = Tensor(np.zeros(model.fc2.weight.shape))
    with pytest.raises(NonFiniteLossError, match="step 8"):
        check_finite(Tensor(np.nan), model, 8)


# ---- checkpoints -----------------------------------------------------------------------------

def run(tmp_path, epochs, resume=None, checkpoint=None, seed=0):
    model = make_model(seed=seed, p=0.2)
    loader = DataLoader(problem(n=50), batch_size=8, shuffle=True, generator=np.random.default_rng(5))
    optimizer = Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit(model, loader, cross_entropy, optimizer, epochs, test_loader=DataLoader(problem(n=20, seed=1)),
                  scheduler=scheduler, checkpoint=checkpoint, resume=resume, progress=False)
    return model, history


def test_a_resumed_run_equals_an_unbroken_one(tmp_path):
    path = tmp_path / "run.tt"
    straight, straight_history = run(tmp_path, 5)
    run(tmp_path, 2, checkpoint=path)
    resumed, history = run(tmp_path, 5, resume=path, seed=123)  # other initial weights: the checkpoint decides
    assert [r["epoch"] for r in history] == [1, 2, 3, 4, 5]
    for (name, a), b in zip(resumed.named_parameters(), straight.parameters()):
        assert np.array_equal(a.data, b.data), f"{name}: the resumed run differs from the unbroken one"
    for mine, theirs in zip(history, straight_history):
        assert mine == pytest.approx(theirs, rel=0, abs=0)
    assert history[-1]["lr"] == 0.01 * 0.5 ** 2


def test_fit_learns_and_records_each_epoch(tmp_path):
    model, history = run(tmp_path, 6)
    assert len(history) == 6 and history[-1]["loss"] < history[0]["loss"], \
        f"6 epochs of Adam (lr 0.01) on 50 examples: the loss went from {history[0]['loss']} to {history[-1]['loss']}"
    assert set(history[0]) >= {"epoch", "loss", "accuracy", "lr", "test_loss", "test_accuracy", "steps"}
    assert history[0]["steps"] == 7, f"50 examples in batches of 8 are 7 steps, not {history[0]['steps']}"


# ---- one training run next to PyTorch (last: the other tests need no torch import) -----------------------------------


def torch_twin(torch, model):
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(model.fc1.weight.data))
        net[0].bias.copy_(torch.from_numpy(model.fc1.bias.data))
        net[2].weight.copy_(torch.from_numpy(model.fc2.weight.data))
        net[2].bias.copy_(torch.from_numpy(model.fc2.bias.data))
    return net


def assert_same_weights(model, net, tol=1e-8):
    pairs = [("fc1.weight", net[0].weight), ("fc1.bias", net[0].bias), ("fc2.weight", net[2].weight),
             ("fc2.bias", net[2].bias)]
    ours = dict(model.named_parameters())
    for name, theirs in pairs:
        error = np.max(np.abs(ours[name].data - theirs.detach().numpy()))
        assert error <= tol, (f"{name} differs from PyTorch's by up to {error:.3g} (the largest absolute difference "
                              f"of a weight; allowed {tol:g}) after 4 epochs of the same training on the same batches")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_lands_on_pytorchs_weights(torch, optimizer):
    model = make_model()
    net = torch_twin(torch, model)
    loader = DataLoader(problem(), batch_size=7, shuffle=True, generator=np.random.default_rng(0))
    if optimizer == "sgd":
        ours = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        theirs = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    else:
        ours, theirs = Adam(model.parameters(), lr=0.02), torch.optim.Adam(net.parameters(), lr=0.02)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(4):
        batches = list(loader)  # the same batches for both
        result = train_epoch(model, batches, cross_entropy, ours)
        total, count = 0.0, 0
        for xb, yb in batches:
            theirs.zero_grad()
            loss = loss_fn(net(torch.from_numpy(xb.data)), torch.from_numpy(yb.data))
            loss.backward()
            theirs.step()
            total, count = total + loss.item() * len(yb.data), count + len(yb.data)
        assert result["steps"] == len(batches) == 6
        assert result["loss"] == pytest.approx(total / count, rel=1e-9), \
            "the epoch's loss is the mean over examples, as PyTorch's run on the same 40 examples in batches of 7 " \
            "(relative difference at most 1e-9)"
    assert_same_weights(model, net)
