"""The three cells: values against a NumPy reference written gate by gate, gradients by
central differences, init and names; then every output and gradient against PyTorch in float64."""
import math

import numpy as np
import pytest
import rnn_reference as ref

import tinytorch
from tinytorch.core.autograd import gradcheck
from tinytorch.core.rnn import GRUCell, LSTMCell, RNNCell, gru_cell, lstm_cell, rnn_cell
from tinytorch.core.tensor import Tensor

TOL = 1e-12
MODES = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def close(what, got, want, tol=TOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    error = np.max(np.abs(got - want), initial=0) / max(np.max(np.abs(want), initial=0), 1e-300)
    assert error <= tol, f"{what}: relative error {error:.3g} (allowed {tol:g})"


def weights(mode, inputs, hidden, seed, bias=True, scale=0.6):
    rng = np.random.default_rng(seed)
    rows = ref.GATES[mode] * hidden
    w = [rng.uniform(-scale, scale, (rows, inputs)), rng.uniform(-scale, scale, (rows, hidden))]
    return w + ([rng.uniform(-scale, scale, rows), rng.uniform(-scale, scale, rows)] if bias else [])


def step(mode, x, h, c, ws):
    """Your cell function on float64 Tensors: (h', c') (c' is None without a memory cell)."""
    ts = [Tensor(w) for w in ws]
    if mode == "lstm":
        h_next, c_next = lstm_cell(Tensor(x), (Tensor(h), Tensor(c)), *ts)
        return h_next, c_next
    if mode == "gru":
        return gru_cell(Tensor(x), Tensor(h), *ts), None
    return rnn_cell(Tensor(x), Tensor(h), *ts, nonlinearity=mode[4:]), None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(4,), ()], ids=["batched", "unbatched"])
def test_one_step_against_the_gate_by_gate_equations(mode, bias, batch):
    rng = np.random.default_rng(1)
    x, h, c = rng.normal(size=batch + (3,)), rng.normal(size=batch + (5,)), rng.normal(size=batch + (5,))
    ws = weights(mode, 3, 5, seed=2, bias=bias)
    h_next, c_next = step(mode, x, h, c, ws)
    want_h, want_c = ref.cell(mode, x, h, c, *ws)
    if mode == "lstm":
        assert isinstance(c_next, Tensor), "lstm_cell returns the pair (h', c')"
        close(f"{mode}: c' (the second of the pair)", c_next.data, want_c)
    close(f"{mode}: h'", h_next.data, want_h)
    assert h_next.dtype == np.float64


def test_each_lstm_gate_is_where_pytorch_puts_it():
    """Weights that open one gate block at a time: i, f, g, o in that order."""
    H = 2
    x, h, c = np.ones((1, 1)), np.zeros((1, H)), np.full((1, H), 0.5)
    for k, name in enumerate("ifgo"):
        w_ih = np.zeros((4 * H, 1))
        w_ih[k * H:(k + 1) * H] = 20.0  # this gate saturates (sigmoid 1, tanh 1); the others stay at 0
        h_next, c_next = step("lstm", x, h, c, [w_ih, np.zeros((4 * H, H))])
        want_h, want_c = ref.cell("lstm", x, h, c, w_ih, np.zeros((4 * H, H)))
        close(f"LSTM with only the {name} block of weight_ih set: c'", c_next.data, want_c, 1e-9)
        close(f"LSTM with only the {name} block of weight_ih set: h'", h_next.data, want_h, 1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_central_differences(mode):
    rng = np.random.default_rng(3)
    x, h, c = (Tensor(rng.normal(size=shape), requires_grad=True) for shape in ((2, 3), (2, 4), (2, 4)))
    ws = [Tensor(w, requires_grad=True) for w in weights(mode, 3, 4, seed=4)]

    def run(x, h, c, *ws):
        if mode == "lstm":
            return lstm_cell(x, (h, c), *ws)
        if mode == "gru":
            return gru_cell(x, h, *ws)
        return rnn_cell(x, h, *ws, nonlinearity=mode[4:])

    inputs = (x, h, c, *ws) if mode == "lstm" else (x, h, *ws)
    function = run if mode == "lstm" else (lambda x, h, *ws: run(x, h, None, *ws))
    assert gradcheck(function, inputs)


CELLS = {"rnn_tanh": (RNNCell, {}), "rnn_relu": (RNNCell, {"nonlinearity": "relu"}), "lstm": (LSTMCell, {}),
         "gru": (GRUCell, {})}


@pytest.mark.parametrize("mode", MODES)
def test_cell_layers_hold_pytorchs_parameters(mode):
    cls, options = CELLS[mode]
    layer = cls(3, 5, **options)
    rows = ref.GATES[mode] * 5
    assert list(layer.state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert layer.weight_ih.shape == (rows, 3) and layer.weight_hh.shape == (rows, 5) and layer.bias_hh.shape == (rows,)
    assert layer.weight_ih.dtype == np.float32 and layer.weight_ih.requires_grad
    assert list(cls(3, 5, bias=False, **options).state_dict()) == ["weight_ih", "weight_hh"]


@pytest.mark.parametrize("mode", MODES)
def test_cell_layers_call_the_cell_with_a_zero_state_by_default(mode):
    cls, options = CELLS[mode]
    layer = cls(3, 5, **options).double()
    x = np.random.default_rng(5).normal(size=(4, 3))
    ws = [p.data for p in layer.parameters()]
    got = layer(Tensor(x))
    got_h = got[0] if mode == "lstm" else got
    close(f"{cls.__name__}(x) with no state", got_h.data, ref.cell(mode, x, np.zeros((4, 5)), np.zeros((4, 5)), *ws)[0])
    assert layer(Tensor(x[0]))[0].shape == (5,) if mode == "lstm" else layer(Tensor(x[0])).shape == (5,)


def test_init_is_uniform_within_one_over_sqrt_hidden_size():
    tinytorch.manual_seed(0)
    layer = LSTMCell(400, 25)  # the bound comes from hidden_size (0.2), not input_size (0.05)
    bound = 1 / math.sqrt(25)
    for name, p in layer.named_parameters():
        values = p.data.ravel()
        assert np.abs(values).max() <= bound, f"{name}: beyond 1/sqrt(hidden_size) = {bound}"
        assert np.abs(values).max() > 0.9 * bound, f"{name}: spread {np.abs(values).max():.3g}, expected up to {bound}"
        assert abs(values.std() - bound / math.sqrt(3)) < 0.15 * bound, f"{name}: not uniform on (-{bound}, {bound})"
    tinytorch.manual_seed(0)
    assert np.array_equal(LSTMCell(400, 25).weight_hh.data, layer.weight_hh.data), "manual_seed repeats the init"


def test_cell_errors_are_clear():
    cell = GRUCell(3, 4)
    assert cell(Tensor(np.ones((2, 3), np.float32))).shape == (2, 4)
    with pytest.raises(ValueError, match="3"):
        cell(Tensor(np.ones((2, 5), np.float32)))
    with pytest.raises(ValueError, match="hidden state"):
        cell(Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones((2, 5), np.float32)))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNNCell(3, 4, nonlinearity="sigmoid")


# ---- against PyTorch, float64 ---------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch", [(3,), ()], ids=["batched", "unbatched"])
def test_cells_match_pytorch(torch, mode, batch):
    cls, options = CELLS[mode]
    tinytorch.manual_seed(7)
    ours = cls(4, 6, **options).double()
    theirs = getattr(torch.nn, cls.__name__)(4, 6, **options).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(8)
    x, h, c = rng.normal(size=batch + (4,)), rng.normal(size=batch + (6,)), rng.normal(size=batch + (6,))
    up_h, up_c = rng.normal(size=batch + (6,)), rng.normal(size=batch + (6,))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    X, Hx, C = (Tensor(a, requires_grad=True) for a in (x, h, c))
    if mode == "lstm":
        h_next, c_next = ours(X, (Hx, C))
        (h_next * Tensor(up_h) + c_next * Tensor(up_c)).sum().backward()
        th_next, tc_next = theirs(tx, (th, tc))
        (th_next * torch.from_numpy(up_h) + tc_next * torch.from_numpy(up_c)).sum().backward()
        close("LSTMCell: c'", c_next.data, tc_next.detach().numpy())
        close("LSTMCell: c.grad", C.grad.data, tc.grad.numpy())
    else:
        h_next = ours(X, Hx)
        (h_next * Tensor(up_h)).sum().backward()
        th_next = theirs(tx, th)
        (th_next * torch.from_numpy(up_h)).sum().backward()
    close(f"{cls.__name__}: h'", h_next.data, th_next.detach().numpy())
    close(f"{cls.__name__}: input.grad", X.grad.data, tx.grad.numpy())
    close(f"{cls.__name__}: hx.grad", Hx.grad.data, th.grad.numpy())
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        close(f"{cls.__name__}: {name}.grad", p.grad.data, q.grad.numpy())


def test_pytorch_cell_weights_load_into_tinytorch(torch):
    torch.manual_seed(0)
    theirs = torch.nn.LSTMCell(5, 7).double()
    ours = LSTMCell(5, 7).double()
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(9).normal(size=(2, 5))
    close(
        "LSTMCell with PyTorch's weights: h'", ours(Tensor(x))[0].data, theirs(torch.from_numpy(x))[0].detach().numpy()
    )
