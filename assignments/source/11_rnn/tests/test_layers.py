"""nn.RNN, nn.LSTM and nn.GRU over time, layers and directions: against loops over the
NumPy reference cell and central differences (no PyTorch), then against PyTorch in float64
(outputs, final states, gradients of the input, the initial states and every parameter)."""
import numpy as np
import pytest
import rnn_reference as ref

import tinytorch
from tinytorch.core.autograd import gradcheck, no_grad
from tinytorch.core.rnn import GRU, LSTM, RNN
from tinytorch.core.tensor import Tensor

TOL = 1e-12
LAYERS = {"rnn_tanh": (RNN, {}), "rnn_relu": (RNN, {"nonlinearity": "relu"}), "lstm": (LSTM, {}), "gru": (GRU, {})}
MODES = list(LAYERS)


def close(what, got, want, tol=TOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    error = np.max(np.abs(got - want), initial=0) / max(np.max(np.abs(want), initial=0), 1e-300)
    assert error <= tol, f"{what}: relative error {error:.3g} (allowed {tol:g})"


def layer(mode, inputs=3, hidden=4, seed=0, **options):
    cls, extra = LAYERS[mode]
    tinytorch.manual_seed(seed)
    return cls(inputs, hidden, **extra, **options).double()


def run(model, x, h0=None, c0=None):
    """(output, h_n, c_n or None) of the model on float64 arrays."""
    if isinstance(model, LSTM):
        state = None if h0 is None else (Tensor(h0), Tensor(c0))
        out, (h_n, c_n) = model(Tensor(x), state)
        return out.data, h_n.data, c_n.data
    out, h_n = model(Tensor(x), None if h0 is None else Tensor(h0))
    return out.data, h_n.data, None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, False), (2, True)])
def test_layer_is_the_cell_looped_over_time(mode, num_layers, bidirectional):
    model = layer(mode, num_layers=num_layers, bidirectional=bidirectional)
    directions = 2 if bidirectional else 1
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 2, 3))
    h0, c0 = rng.normal(size=(num_layers * directions, 2, 4)), rng.normal(size=(num_layers * directions, 2, 4))
    if mode != "lstm":
        c0 = np.zeros_like(c0)
    out, h_n, c_n = run(model, x, h0, c0)
    want_out, want_h, want_c = ref.layers(mode, x, h0, c0, [[p.data for p in ws] for ws in model.all_weights],
                                          num_layers, bidirectional)
    close(f"{type(model).__name__}: output (every step of the last layer)", out, want_out)
    close(f"{type(model).__name__}: h_n (every layer's last step)", h_n, want_h)
    if mode == "lstm":
        close("LSTM: c_n", c_n, want_c)


@pytest.mark.parametrize("mode", MODES)
def test_batch_first_and_unbatched_give_the_same_numbers(mode):
    model = layer(mode, num_layers=2)
    x = np.random.default_rng(2).normal(size=(6, 3, 3))  # (T, N, I)
    out, h_n, _ = run(model, x)
    model.batch_first = True
    out_bf, h_n_bf, _ = run(model, x.transpose(1, 0, 2))
    close("batch_first=True: output (N, T, H)", out_bf, out.transpose(1, 0, 2))
    close("batch_first=True: h_n stays (layers, N, H)", h_n_bf, h_n)
    model.batch_first = False
    out_one, h_one, _ = run(model, x[:, 1])
    close("unbatched (T, I): output (T, H)", out_one, out[:, 1])
    close("unbatched (T, I): h_n (layers, H)", h_one, h_n[:, 1])


@pytest.mark.parametrize("mode", MODES)
def test_central_differences_through_time(mode):
    """Two layers over three steps: every input, initial state and weight by central differences."""
    model = layer(mode, inputs=2, hidden=2, num_layers=2)
    names = model._flat_weights_names
    saved = {name: getattr(model, name) for name in names}
    rng = np.random.default_rng(3)
    x, h0, c0 = (Tensor(rng.normal(size=shape), requires_grad=True) for shape in ((3, 2, 2), (2, 2, 2), (2, 2, 2)))
    ws = [Tensor(saved[name].data.copy(), requires_grad=True) for name in names]

    def use(ws):  # the layer computes with these tensors in place of its parameters
        for name, w in zip(names, ws):
            object.__setattr__(model, name, w)

    def lstm(x, h0, c0, *ws):
        use(ws)
        out, (h_n, c_n) = model(x, (h0, c0))
        return out, h_n, c_n

    def other(x, h0, *ws):
        use(ws)
        return model(x, h0)

    try:
        assert gradcheck(lstm, (x, h0, c0, *ws)) if mode == "lstm" else gradcheck(other, (x, h0, *ws))
    finally:
        for name, p in saved.items():
            object.__setattr__(model, name, p)


@pytest.mark.parametrize("mode", MODES)
def test_parameter_names_and_order_are_pytorchs(mode):
    model = layer(mode, num_layers=2, bidirectional=True)
    names = list(model.state_dict())
    per = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    want = [f"{n}_l{k}{s}" for k in range(2) for s in ("", "_reverse") for n in per]
    assert names == want, f"{names} != {want}"
    rows = ref.GATES[mode] * 4
    assert model.weight_ih_l0.shape == (rows, 3) and model.weight_ih_l1.shape == (rows, 8)
    assert list(layer(mode, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]


def test_every_parameter_starts_within_one_over_sqrt_hidden_size():
    tinytorch.manual_seed(1)
    model = LSTM(300, 16, num_layers=2)
    for name, p in model.named_parameters():
        assert np.abs(p.data).max() <= 0.25 and np.abs(p.data).max() > 0.2, f"{name}: not U(-1/4, 1/4)"


def test_lstm_fused_layer_gives_your_cells_numbers():
    model = layer("lstm", num_layers=2, bidirectional=True)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 3, 3))
    up = rng.normal(size=(7, 3, 8))
    results = []
    for fused in (True, False):
        model.fused = fused
        model.zero_grad()
        X = Tensor(x, requires_grad=True)
        out, (h_n, c_n) = model(X)
        ((out * Tensor(up)).sum() + (h_n * h_n).sum() + c_n.sum()).backward()
        results.append([out.data, h_n.data, c_n.data, X.grad.data] + [p.grad.data for p in model.parameters()])
    for k, (a, b) in enumerate(zip(*results)):
        close(f"nn.LSTM's fused layer against your lstm_cell step by step (result {k})", a, b)


def test_dropout_between_layers_and_no_grad():
    model = layer("gru", num_layers=3, dropout=0.5)
    x = Tensor(np.random.default_rng(5).normal(size=(4, 2, 3)))
    model.eval()
    first = model(x)[0].data
    assert np.array_equal(model(x)[0].data, first), "eval(): no dropout, the same output every call"
    model.train()
    assert not np.array_equal(model(x)[0].data, first), "train(): dropout between the layers"
    with no_grad():
        assert not model(x)[0].requires_grad


def test_layer_errors_are_clear():
    model = LSTM(3, 4)
    assert model(Tensor(np.ones((2, 1, 3), np.float32)))[0].shape == (2, 1, 4)
    with pytest.raises(ValueError, match="3"):
        model(Tensor(np.ones((2, 1, 5), np.float32)))
    with pytest.raises(RuntimeError, match="h_0"):
        model(Tensor(np.ones((2, 1, 3), np.float32)), (Tensor(np.zeros((1, 2, 4))), Tensor(np.zeros((1, 1, 4)))))
    with pytest.raises(TypeError, match="tuple"):
        model(Tensor(np.ones((2, 1, 3), np.float32)), Tensor(np.zeros((1, 1, 4))))
    with pytest.raises(NotImplementedError, match="proj_size"):
        LSTM(3, 4, proj_size=2)


# ---- against PyTorch, float64 ---------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers, bidirectional, batch_first",
                         [(1, False, False), (2, False, True), (2, True, False)])
def test_layers_match_pytorch(torch, mode, num_layers, bidirectional, batch_first):
    ours = layer(mode, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    cls, extra = LAYERS[mode]
    theirs = getattr(torch.nn, cls.__name__)(3, 4, num_layers=num_layers, bidirectional=bidirectional,
                                             batch_first=batch_first, **extra).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    directions = 2 if bidirectional else 1
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 5, 3) if batch_first else (5, 2, 3))
    h0, c0 = rng.normal(size=(num_layers * directions, 2, 4)), rng.normal(size=(num_layers * directions, 2, 4))
    up = rng.normal(size=x.shape[:2] + (4 * directions,))
    up_h, up_c = rng.normal(size=h0.shape), rng.normal(size=c0.shape)
    X, H0, C0 = (Tensor(a, requires_grad=True) for a in (x, h0, c0))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    if mode == "lstm":
        out, (h_n, c_n) = ours(X, (H0, C0))
        ((out * Tensor(up)).sum() + (h_n * Tensor(up_h)).sum() + (c_n * Tensor(up_c)).sum()).backward()
        t_out, (t_h, t_c) = theirs(tx, (th, tc))
        ((t_out * torch.from_numpy(up)).sum() + (t_h * torch.from_numpy(up_h)).sum()
         + (t_c * torch.from_numpy(up_c)).sum()).backward()
        close("LSTM: c_n", c_n.data, t_c.detach().numpy())
        close("LSTM: c_0.grad", C0.grad.data, tc.grad.numpy())
    else:
        out, h_n = ours(X, H0)
        ((out * Tensor(up)).sum() + (h_n * Tensor(up_h)).sum()).backward()
        t_out, t_h = theirs(tx, th)
        ((t_out * torch.from_numpy(up)).sum() + (t_h * torch.from_numpy(up_h)).sum()).backward()
    name = type(ours).__name__
    close(f"{name}: output", out.data, t_out.detach().numpy())
    close(f"{name}: h_n", h_n.data, t_h.detach().numpy())
    close(f"{name}: input.grad", X.grad.data, tx.grad.numpy())
    close(f"{name}: h_0.grad", H0.grad.data, th.grad.numpy())
    for (pname, p), q in zip(ours.named_parameters(), theirs.parameters()):
        close(f"{name}: {pname}.grad", p.grad.data, q.grad.numpy())


@pytest.mark.parametrize("mode", MODES)
def test_weights_move_both_ways(torch, mode):
    cls, extra = LAYERS[mode]
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls.__name__)(3, 4, num_layers=2, **extra).double()
    ours = layer(mode, num_layers=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(7).normal(size=(4, 2, 3))
    close(f"{cls.__name__} with PyTorch's weights", run(ours, x)[0], theirs(torch.from_numpy(x))[0].detach().numpy())
    back = getattr(torch.nn, cls.__name__)(3, 4, num_layers=2, **extra).double()
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert all(torch.equal(a, b) for a, b in zip(theirs.state_dict().values(), back.state_dict().values()))
    assert repr(ours) == repr(theirs), f"{ours!r} != {theirs!r}"
