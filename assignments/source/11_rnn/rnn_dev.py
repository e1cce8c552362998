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
# # Module 11: RNNs, networks that carry a state through time
#
# A sentence is read one token at a time, and what a token means depends on those before
# it. A **recurrent** network keeps a **hidden state** `h`, a vector it updates at every
# step from the new input and the old state, with the same weights at every step:
#
# `h_t = cell(x_t, h_(t-1))`
#
# This module builds the three cells PyTorch has and the layers that run them over a
# whole sequence, with PyTorch's names, gate order, parameter names and init, so weights
# move both ways:
#
# | piece | what it is |
# |---|---|
# | `rnn_cell`, `nn.RNNCell` | Elman's cell (1990): `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` |
# | `lstm_cell`, `nn.LSTMCell` | Hochreiter and Schmidhuber's LSTM (1997): a memory `c` behind input, forget and output gates |
# | `gru_cell`, `nn.GRUCell` | Cho et al.'s GRU (2014): two gates, no separate memory |
# | `nn.RNN`, `nn.LSTM`, `nn.GRU` | the cells over time and over layers: `(output, h_n)`, for the LSTM `(output, (h_n, c_n))` |
#
# You write the three cells, a few lines each, and the init. **Backpropagation through
# time** needs no code of yours: a sequence is a chain of cells, and module 03's engine
# already sends gradients back through any chain. The chapter then shows what those
# gradients do over many steps: they vanish in a plain RNN and survive in an LSTM.
#
# ```bash
# tito test rnn       # the full tests: every cell and layer against PyTorch in float64, central differences
# tito plot rnn       # vanishing gradients through time, RNN against LSTM, and clipping
# tito bench rnn      # an LSTM layer forward and backward against PyTorch on one thread
# tito sync           # put your code into tinytorch/core/rnn.py (tinytorch.nn)
# ```

# %%
#| default_exp core.rnn

# %%
#| export
import math

import numpy as np

from tinytorch.core import activations as _activations
from tinytorch.core.autograd import differentiable, is_grad_enabled, relu, set_grad_enabled, sigmoid, tanh
from tinytorch.core.nn import Dropout, Module, Parameter, linear, uniform_
from tinytorch.core.tensor import Tensor, cat, stack

# %% [markdown]
# ## The weights, PyTorch's way
#
# Every cell has two weight matrices and two bias vectors: `weight_ih` multiplies the
# input, `weight_hh` the previous hidden state. A cell with several **gates** (the LSTM
# has four, the GRU three) keeps the gates' weights stacked in one matrix, `G` blocks of
# `hidden_size` rows each, in a fixed order:
#
# | cell | weight_ih | weight_hh | gates, in order |
# |---|---|---|---|
# | RNN | (H, I) | (H, H) | one |
# | LSTM | (4H, I) | (4H, H) | input `i`, forget `f`, cell `g`, output `o` |
# | GRU | (3H, I) | (3H, H) | reset `r`, update `z`, new `n` |
#
# (I = input_size, H = hidden_size.) One product `x @ weight_ih.T` then computes all the
# gates at once, and the gate `k` is columns `k*H` to `(k+1)*H` of the result. The order
# is PyTorch's: a PyTorch checkpoint only loads if the gates are where it put them.
#
# `linear(x, weight, bias)` is module 04's `F.linear`: `x @ weight.T + bias`, without
# the bias when it is None. All three cells work on a batch `(N, I)` and on one
# unbatched input `(I,)`: slicing the last axis (`[..., a:b]`) picks the gate columns in
# both.

# %% [markdown]
# ## The Elman RNN cell
#
# `h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)` (or ReLU in place of tanh, with
# `nonlinearity="relu"`). The two biases are redundant (their sum is what counts), but
# PyTorch keeps both, so we do too: the state_dict must match.

# %%
#| export
def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One step of an Elman RNN: the new hidden state from the input and the old one.

    input (N, I) or (I,); hx (N, H) or (H,); weight_ih (H, I); weight_hh (H, H); biases (H,).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    # TODO: return the new hidden state.
    # APPROACH: the input's part plus the state's part (each with its bias, linear),
    #           through tanh, or relu when nonlinearity == "relu".
    # HINTS: tanh, relu and sigmoid here are module 03's (imported at the top), so that
    #        backward() reaches the weights.
    ### BEGIN SOLUTION
    pre = linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh)
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)
    ### END SOLUTION

# %% [markdown]
# ## The LSTM cell
#
# A plain RNN rewrites its whole state at every step through a `tanh`, and (as the
# figure at the end shows) the gradient that flows back through many such steps fades
# away. The LSTM adds a second state, the **cell** `c`, that is changed only by
# addition, and three **gates**, numbers between 0 and 1 that decide how much passes:
#
# ```
# i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)     input gate: how much new to write
# f = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf)     forget gate: how much of c to keep
# g = tanh(   x W_ig^T + b_ig + h W_hg^T + b_hg)     the candidate to write
# o = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho)     output gate: how much of c to show
# c' = f * c + i * g
# h' = o * tanh(c')
# ```
#
# The four pre-activations are one product each for the input and the state, cut into
# four blocks of H columns in the order i, f, g, o. Where `f` is near 1, `c'` is
# nearly `c` and its gradient passes back almost unchanged: that path is why LSTMs learn
# over long spans. The forget gate multiplies the **old cell** `c`, not the input.
#
# Use module 03's `sigmoid` and `tanh` (imported above) for the gates: they are written
# not to overflow. `1 / (1 + (-x).exp())` overflows for a pre-activation below about
# -88.7 in float32 (`e^88.7` is float32's largest number), and the tests, like those of
# every module, fail on any NumPy `RuntimeWarning` (overflow, division by zero, an
# invalid value).

# %%
#| export
def lstm_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step: (h', c') from the input and the state hx = (h, c).

    input (N, I) or (I,); h, c (N, H) or (H,); weight_ih (4H, I); weight_hh (4H, H);
    biases (4H,). The gates are stacked in PyTorch's order: input, forget, cell, output.
    """
    h, c = hx
    H = weight_hh.shape[1]
    # TODO: the gates, then the new cell and hidden state; return (h', c').
    # APPROACH:
    #   1. gates = the input's part + the state's part (linear twice), shape (N, 4H).
    #   2. i, f, g, o = the four blocks of H columns ([..., 0:H], [..., H:2*H], ...),
    #      through sigmoid, sigmoid, tanh, sigmoid.
    #   3. c' = f * c + i * g;  h' = o * tanh(c').
    # HINTS: the order is i, f, g, o (PyTorch's), not i, f, o, g. Return the pair as
    #        (h', c'): hidden state first, as PyTorch does.
    ### BEGIN SOLUTION
    gates = linear(input, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = tanh(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = f * c + i * g
    return o * tanh(c_next), c_next
    ### END SOLUTION


# %% [markdown]
# ## The GRU cell
#
# The GRU merges the LSTM's cell into the hidden state and uses two gates:
#
# ```
# r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)       reset gate
# z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)       update gate
# n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))     the new candidate
# h' = (1 - z) * n + z * h
# ```
#
# Mind the third line: the reset gate multiplies the state's part **with its bias**,
# `r * (h W_hn^T + b_hn)` (PyTorch's form, and cuDNN's). So the input's part and the
# state's part must be kept apart, not summed as in the LSTM. And `z` near 1 **keeps**
# the old state.

# %%
#| export
def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step: the new hidden state from the input and the old one.

    input (N, I) or (I,); hx (N, H) or (H,); weight_ih (3H, I); weight_hh (3H, H);
    biases (3H,). The gates are stacked in PyTorch's order: reset, update, new.
    """
    H = weight_hh.shape[1]
    # TODO: return h'.
    # APPROACH: gi = the input's part, gh = the state's part (each with its bias); r and z
    #           from the first two blocks of gi + gh; n = tanh(gi's third block + r * gh's
    #           third block); h' = (1 - z) * n + z * hx.
    ### BEGIN SOLUTION
    gi = linear(input, weight_ih, bias_ih)
    gh = linear(hx, weight_hh, bias_hh)
    r = sigmoid(gi[..., :H] + gh[..., :H])
    z = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return (1 - z) * n + z * hx
    ### END SOLUTION


# %% [markdown]
# ### Check: one step of each, by hand
#
# With all weights zero, every gate is sigmoid(0) = 1/2 and every candidate tanh(0) = 0:
# the RNN's state becomes 0, the LSTM's cell is halved, and the GRU's state is halved.

# %%
x, state, cell = Tensor(np.ones((2, 3))), Tensor(np.full((2, 4), 0.8)), Tensor(np.full((2, 4), 0.6))
zeros = {k: Tensor(np.zeros(shape)) for k, shape in
         {"r_ih": (4, 3), "r_hh": (4, 4), "l_ih": (16, 3), "l_hh": (16, 4), "g_ih": (12, 3), "g_hh": (12, 4)}.items()}
print("RNN: ", rnn_cell(x, state, zeros["r_ih"], zeros["r_hh"]).data[0])
h_new, c_new = lstm_cell(x, (state, cell), zeros["l_ih"], zeros["l_hh"])
print("LSTM:", h_new.data[0], c_new.data[0], " (c = 0.6 / 2, h = tanh(0.3) / 2)")
print("GRU: ", gru_cell(x, state, zeros["g_ih"], zeros["g_hh"]).data[0])
assert np.allclose(c_new.data, 0.3) and np.allclose(h_new.data, 0.5 * np.tanh(0.3))
assert np.allclose(gru_cell(x, state, zeros["g_ih"], zeros["g_hh"]).data, 0.4)

# %% [markdown]
# ## The cells as layers: init
#
# `nn.RNNCell`, `nn.LSTMCell` and `nn.GRUCell` (given below) hold the four parameters
# under PyTorch's names, `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, and call your
# functions. **Init** (PyTorch's, for every recurrent layer): every parameter, weights and
# biases alike, from U(-k, k) with k = 1/sqrt(hidden_size), drawn in the order of
# `parameters()`. The bound comes from the **hidden** size, not the input size as in
# `Linear`: `weight_hh` multiplies the state at every step, and its scale decides what
# repeated steps do to it.

# %%
#| export
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def reset_recurrent_parameters(module):
    """Every parameter of a recurrent layer from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)),
    in the order of module.parameters() (PyTorch's init for RNN, LSTM, GRU and their cells)."""
    # TODO: fill each parameter in place.
    # HINTS: uniform_ from module 04; module.hidden_size is H. Every parameter, biases too.
    ### BEGIN SOLUTION
    bound = 1.0 / math.sqrt(module.hidden_size)
    for param in module.parameters():
        uniform_(param, -bound, bound)
    ### END SOLUTION


class _CellBase(Module):
    """What the three cells share: the parameters, the init, checking the input."""

    def __init__(self, mode, input_size, hidden_size, bias, device, dtype):
        super().__init__()
        if device not in (None, "cpu"):
            raise RuntimeError(f"{type(self).__name__}: TinyTorch runs on the CPU only, not on device {device!r}")
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.bias = bool(bias)
        dtype = np.dtype(dtype or np.float32)
        rows = _GATES[mode] * self.hidden_size
        self.weight_ih = Parameter(np.empty((rows, self.input_size), dtype))
        self.weight_hh = Parameter(np.empty((rows, self.hidden_size), dtype))
        self.bias_ih = Parameter(np.empty(rows, dtype)) if bias else None
        self.bias_hh = Parameter(np.empty(rows, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        reset_recurrent_parameters(self)

    def _state(self, input, hx):
        """(hx, batched): a zero state when hx is None; the shapes checked against the input."""
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {input.shape}")
        want = input.shape[:-1] + (self.hidden_size,)
        if hx is None:
            return Tensor(np.zeros(want, self.weight_ih.dtype))
        if hx.shape != want:
            raise ValueError(f"{type(self).__name__}: expected a hidden state of shape {want} for an input of "
                             f"shape {input.shape}, got {hx.shape}")
        return hx

    def extra_repr(self):
        extra = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            extra += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            extra += f", nonlinearity={self.nonlinearity}"
        return extra


class RNNCell(_CellBase):
    """An Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).

    RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None)
    forward(input (N, I) or (I,), hx=None (zeros)) -> h' (N, H) or (H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        hx = self._state(input, hx)
        return rnn_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)


class LSTMCell(_CellBase):
    """An LSTM cell. LSTMCell(input_size, hidden_size, bias=True, device=None, dtype=None)

    forward(input (N, I) or (I,), hx=None or (h, c)) -> (h', c'), each (N, H) or (H,).
    Gates stacked as input, forget, cell, output (PyTorch's order).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            h = c = self._state(input, None)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTMCell: hx must be a tuple (h, c)")
            h, c = self._state(input, hx[0]), self._state(input, hx[1])
        return lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(_CellBase):
    """A GRU cell. GRUCell(input_size, hidden_size, bias=True, device=None, dtype=None)

    forward(input (N, I) or (I,), hx=None (zeros)) -> h' (N, H) or (H,).
    Gates stacked as reset, update, new (PyTorch's order).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        hx = self._state(input, hx)
        return gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


# %% [markdown]
# ### Check: PyTorch's names, shapes and init range

# %%
import tinytorch

tinytorch.manual_seed(0)
lstm_step = LSTMCell(10, 20)
print(lstm_step, {name: p.shape for name, p in lstm_step.named_parameters()})
assert list(lstm_step.state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
assert lstm_step.weight_ih.shape == (80, 10) and lstm_step.weight_hh.shape == (80, 20)
assert all(np.abs(p.data).max() <= 1 / math.sqrt(20) for p in lstm_step.parameters())
h1, c1 = lstm_step(Tensor(np.ones((3, 10), np.float32)))
assert h1.shape == c1.shape == (3, 20) and h1.dtype == np.float32

# %% [markdown]
# ## Over time: backpropagation through time
#
# A layer runs its cell once per step, the state of one step feeding the next:
#
# ```
# h_0 -> cell(x_1) -> h_1 -> cell(x_2) -> h_2 -> ... -> h_T
# ```
#
# Written with tensors, that loop is a chain of operations, and `backward()` follows the
# chain back from `h_T` to `h_0`, adding up at each shared weight the gradient of every
# step that used it. That is all **backpropagation through time** (BPTT) is: the chain
# rule on the unrolled loop. Module 03's engine does it as it is.
#
# **The layers** `nn.RNN`, `nn.LSTM` and `nn.GRU` (given) add what PyTorch's have:
#
# - `num_layers`: layers stacked, the outputs of one the inputs of the next (with
#   `dropout` between them in training);
# - `bidirectional=True`: a second cell reads the sequence backwards; the outputs of
#   both directions are concatenated;
# - `batch_first`: input `(N, T, I)` instead of PyTorch's default `(T, N, I)`;
# - an initial state `h_0` (and `c_0`) of shape `(num_layers * num_directions, N, H)`,
#   zeros when not given; an unbatched input `(T, I)` is accepted too;
# - the parameters `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then
#   `..._l1`, and `..._l0_reverse` for the second direction, PyTorch's names and order;
# - the result `(output, h_n)`, or `(output, (h_n, c_n))` for the LSTM: `output` holds
#   the last layer's `h` at every step, `h_n` every layer's `h` at the last step.
#
# **Speed.** Each step of a layer is a dozen small operations. The loop over time runs
# inside one recorded operation, `_sequence` (given): it runs your cell step by step on
# inputs of its own, records those steps with module 03's engine, and when `backward`
# reaches it, runs that engine's backward over the steps. The engine then never sees the
# long sequence cut into T pieces (cutting costs a copy of the whole sequence per step).
# `stack` and `cat` join tensors along a new or an existing axis (`torch.stack`,
# `torch.cat`), differentiably.

# %%
#| export
@differentiable
def _rows(x, start, stop):
    """x[start:stop] along the first axis; its backward writes the gradient into those rows
    of zeros (an index of module 03 would add it, slowly, with np.add.at)."""
    def backward(grad):
        full = np.zeros(x.shape, np.result_type(grad))
        full[start:stop] = grad
        return (full,)
    return Tensor(x.data[start:stop]), backward


def _sequence_rule(x, h0, c0, *weights, cell, options, reverse, record):
    """The cell over every step of x (T, N, I) from the state (h0, c0): one recorded operation.

    Returns one tensor (T + 2, N, H): the hidden state of every step, in the input's
    order, then h_T and c_T (c0 and c_T are zeros for the cells without a memory cell).
    Its backward runs module 03's engine over the steps recorded here.
    """
    with set_grad_enabled(record):
        leaves = [Tensor(t.data, requires_grad=t.requires_grad) for t in (x, h0, c0, *weights)]
        xs, h, c, ws = leaves[0], leaves[1], leaves[2], leaves[3:]
        steps = [Tensor(xs.data[t], requires_grad=xs.requires_grad) for t in range(len(xs.data))]
        outs = [None] * len(steps)
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        for t in order:
            if cell is lstm_cell:
                h, c = cell(steps[t], (h, c), *ws, **options)
            else:
                h = cell(steps[t], h, *ws, **options)
            outs[t] = h
        packed = stack(outs + [h, c])

    def backward(grad):
        for leaf in leaves + steps:  # a backward again (retain_graph=True) starts from zero
            leaf.grad = None
        packed.backward(grad, retain_graph=True)  # the steps are freed with this closure
        grads = [None if leaf.grad is None else leaf.grad.data for leaf in leaves]
        if xs.requires_grad:
            grads[0] = np.stack([s.grad.data if s.grad is not None else np.zeros_like(s.data) for s in steps])
        return tuple(grads)
    return Tensor(packed.data), backward


def _sequence(cell, x, h0, c0, weights, options, reverse=False):
    record = is_grad_enabled() and any(t.requires_grad for t in (x, h0, c0, *weights))
    run = differentiable(_sequence_rule, inputs=3 + len(weights))
    return run(x, h0, c0, *weights, cell=cell, options=options, reverse=reverse, record=record)


# %% [markdown]
# ### The LSTM layer, fused
#
# `nn.LSTM` is the layer the milestone trains and `tito bench rnn` times, so it gets one
# more step (given, optional reading): `_lstm_sequence` computes the same numbers as your
# `lstm_cell` run by `_sequence`, in NumPy, with its backward written out by hand. What
# it saves is what PyTorch's own CPU kernel saves:
#
# - the input's part of every gate, for **all** steps, is one matrix product before the
#   loop (`(T N, I) @ (I, 4H)`): it does not depend on the state;
# - a step is then one product with `weight_hh` and a few passes over `(N, 4H)`;
# - backward runs the steps in reverse, carrying `dh` and `dc`, and leaves the weights'
#   gradients to two products over all steps at the end.
#
# The backward of each step is the chain rule on the six lines of the cell, with module
# 02's `sigmoid_backward` and `tanh_backward`:
#
# ```
# dh += (gradient of the output at t)
# do = dh * tanh(c');   dc += tanh_backward(dh * o, tanh(c'))
# di = dc * g;   dg = dc * i;   df = dc * c
# d gates = [sigmoid_backward(di, i), sigmoid_backward(df, f), tanh_backward(dg, g), sigmoid_backward(do, o)]
# dc = dc * f;   dh = d gates @ weight_hh
# ```
#
# The tests hold it to your cell (and to PyTorch) to 1e-12 in float64: if your
# `lstm_cell` is wrong, they say that the two disagree.

# %%
#| export
def _lstm_sequence_rule(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, *, reverse):
    """An LSTM layer over x (T, N, I) from (h0, c0): the same result as _sequence with
    lstm_cell, (T + 2, N, H), computed in NumPy with a hand-written backward."""
    X = x.data[::-1] if reverse else x.data
    w_ih, w_hh = weight_ih.data, weight_hh.data
    T, N, H = X.shape[0], X.shape[1], w_hh.shape[1]
    pre = (X.reshape(T * N, -1) @ w_ih.T).reshape(T, N, 4 * H)  # the input's part, every step at once
    if bias_ih is not None:
        pre += bias_ih.data + bias_hh.data
    hs = np.empty((T + 1, N, H), X.dtype)
    cs = np.empty((T + 1, N, H), X.dtype)
    tanh_cs = np.empty((T, N, H), X.dtype)
    hs[0], cs[0] = h0.data, c0.data
    for t in range(T):
        a = pre[t]
        a += hs[t] @ w_hh.T
        a[:, :2 * H] = _activations.sigmoid(a[:, :2 * H]).data      # i, f
        a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])                # g
        a[:, 3 * H:] = _activations.sigmoid(a[:, 3 * H:]).data       # o
        cs[t + 1] = a[:, H:2 * H] * cs[t] + a[:, :H] * a[:, 2 * H:3 * H]
        tanh_cs[t] = np.tanh(cs[t + 1])
        hs[t + 1] = a[:, 3 * H:] * tanh_cs[t]
    out = hs[1:][::-1] if reverse else hs[1:]
    packed = np.concatenate([out, hs[-1:], cs[-1:]])

    def backward(grad):
        d_out = grad[:T][::-1] if reverse else grad[:T]
        dh, dc = grad[T].copy(), grad[T + 1].copy()
        d_pre = np.empty_like(pre)
        for t in range(T - 1, -1, -1):
            i, f, g, o = (pre[t][:, k * H:(k + 1) * H] for k in range(4))
            dh += d_out[t]
            dc += _activations.tanh_backward(dh * o, tanh_cs[t])
            d = d_pre[t]
            d[:, :H] = _activations.sigmoid_backward(dc * g, i)
            d[:, H:2 * H] = _activations.sigmoid_backward(dc * cs[t], f)
            d[:, 2 * H:3 * H] = _activations.tanh_backward(dc * i, g)
            d[:, 3 * H:] = _activations.sigmoid_backward(dh * tanh_cs[t], o)
            dc = dc * f
            dh = d @ w_hh
        flat = d_pre.reshape(T * N, 4 * H)
        dx = (flat @ w_ih).reshape(X.shape)
        grads = [dx[::-1] if reverse else dx, dh, dc, flat.T @ X.reshape(T * N, -1),
                 flat.T @ hs[:-1].reshape(T * N, H)]
        if bias_ih is not None:
            grads += [flat.sum(axis=0)] * 2
        return tuple(grads)
    return Tensor(packed), backward


def _lstm_sequence(x, h0, c0, weights, reverse=False):
    return differentiable(_lstm_sequence_rule, inputs=3 + len(weights))(x, h0, c0, *weights, reverse=reverse)


# %% [markdown]
# The layers themselves: one class, `RNNBase`, as in PyTorch, with the three layers
# naming their cell.

# %%
#| export
class RNNBase(Module):
    """The recurrent layers' common code: parameters, init, and the loop over layers,
    directions and time. Use nn.RNN, nn.LSTM or nn.GRU.

    `fused` (a class attribute, True): nn.LSTM runs _lstm_sequence; set it False on an
    instance to run your lstm_cell step by step instead (the same numbers, slower).
    """

    fused = True

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if device not in (None, "cpu"):
            raise RuntimeError(f"{type(self).__name__}: TinyTorch runs on the CPU only, not on device {device!r}")
        if proj_size:
            raise NotImplementedError("LSTM with proj_size > 0 is not supported in TinyTorch")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        self.mode = mode
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.num_layers = _check_size("num_layers", num_layers)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bool(bidirectional), 0
        directions = 2 if self.bidirectional else 1
        dtype = np.dtype(dtype or np.float32)
        rows = _GATES[mode] * self.hidden_size
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (rows, layer_input), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for name, shape in shapes.items():
                    setattr(self, name + suffix, Parameter(np.empty(shape, dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        reset_recurrent_parameters(self)

    @property
    def all_weights(self):
        """The parameters of each layer and direction: [[weight_ih, weight_hh, bias_ih, bias_hh], ...]."""
        per = 4 if self.bias else 2
        flat = [getattr(self, name) for name in self._flat_weights_names]
        return [flat[k:k + per] for k in range(0, len(flat), per)]

    def _cell(self):
        cells = {"RNN_TANH": (rnn_cell, {"nonlinearity": "tanh"}), "RNN_RELU": (rnn_cell, {"nonlinearity": "relu"}),
                 "LSTM": (lstm_cell, {}), "GRU": (gru_cell, {})}
        return cells[self.mode]

    def _states(self, hx, batch, dtype):
        """(h0, c0): each (num_layers * directions, N, H), zeros where not given."""
        directions = 2 if self.bidirectional else 1
        want = (self.num_layers * directions, batch, self.hidden_size)
        zeros = Tensor(np.zeros(want, dtype))
        if hx is None:
            return zeros, zeros
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0, c0 = hx
        else:
            h0, c0 = hx, zeros
        for name, state in (("h_0", h0), ("c_0", c0)):
            if state.shape != want:
                raise RuntimeError(f"{type(self).__name__}: expected {name} of size {want}, got {state.shape}")
        return h0, c0

    def forward(self, input, hx=None):
        batched = input.ndim == 3
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input of shape (T, N, {self.input_size}) "
                             f"(batch_first: (N, T, {self.input_size})) or (T, {self.input_size}), got {input.shape}")
        x = input if batched else input.reshape(input.shape[0], 1, input.shape[1])
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if not batched and hx is not None:  # an unbatched state (L*D, H) gets its batch axis
            hx = tuple(s.reshape(s.shape[0], 1, s.shape[1]) for s in hx) if self.mode == "LSTM" else \
                hx.reshape(hx.shape[0], 1, hx.shape[1])
        h0, c0 = self._states(hx, x.shape[1], x.dtype)
        cell, options = self._cell()
        directions = 2 if self.bidirectional else 1
        weights = self.all_weights
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                if self.mode == "LSTM" and self.fused:
                    packed = _lstm_sequence(x, h0[k], c0[k], weights[k], reverse=bool(direction))
                else:
                    packed = _sequence(cell, x, h0[k], c0[k], weights[k], options, reverse=bool(direction))
                steps = packed.shape[0] - 2
                outputs.append(_rows(packed, 0, steps))
                finals_h.append(_rows(packed, steps, steps + 1))
                finals_c.append(_rows(packed, steps + 1, steps + 2))
            x = outputs[0] if directions == 1 else cat(outputs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = Dropout(self.dropout)(x)
        h_n, c_n = cat(finals_h, dim=0), cat(finals_c, dim=0)
        output = x.transpose(0, 1) if batched and self.batch_first else x
        if not batched:
            output = output.reshape(output.shape[0], output.shape[2])
            h_n, c_n = (s.reshape(s.shape[0], s.shape[2]) for s in (h_n, c_n))
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def extra_repr(self):
        extra = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        if not self.bias:
            extra += ", bias=False"
        if self.batch_first:
            extra += ", batch_first=True"
        if self.dropout:
            extra += f", dropout={self.dropout}"
        if self.bidirectional:
            extra += ", bidirectional=True"
        return extra


class RNN(RNNBase):
    """An Elman RNN over time and layers. RNN(input_size, hidden_size, num_layers=1,
    nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, bidirectional=False,
    device=None, dtype=None). forward(input, h_0=None) -> (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """An LSTM over time and layers. LSTM(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None).
    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)). proj_size > 0 is not supported."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """A GRU over time and layers. GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None).
    forward(input, h_0=None) -> (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)


# %% [markdown]
# ### Check: a layer is your cell, looped
#
# Two layers of `nn.GRU` against your `gru_cell` run by hand, step after step and layer
# after layer; and `nn.LSTM`'s fused path against your `lstm_cell`.

# %%
tinytorch.manual_seed(1)
gru = GRU(3, 5, num_layers=2).double()
x = Tensor(np.random.default_rng(0).normal(size=(6, 2, 3)))
output, h_n = gru(x)
layer_input, finals = x, []
for k in range(2):
    h, outs = Tensor(np.zeros((2, 5))), []
    for t in range(6):
        h = gru_cell(layer_input[t], h, *gru.all_weights[k])
        outs.append(h.data)
    layer_input, finals = Tensor(np.stack(outs)), finals + [h.data]
print(gru, "output", output.shape, "h_n", h_n.shape)
assert np.allclose(output.data, layer_input.data, rtol=1e-12) and np.allclose(h_n.data, np.stack(finals), rtol=1e-12)

lstm = LSTM(3, 5, batch_first=True).double()
sequence = Tensor(np.random.default_rng(1).normal(size=(2, 6, 3)))
fused = lstm(sequence)[0].data
lstm.fused = False
assert np.allclose(lstm(sequence)[0].data, fused, rtol=1e-12), "nn.LSTM's fused path disagrees with your lstm_cell"
print("nn.LSTM (fused) = your lstm_cell over time")

# %% [markdown]
# ## What happens to the gradient over many steps
#
# Backpropagation through time multiplies, at every step back, by the derivative of one
# step: for the plain RNN, `W_hh^T` times the derivative of `tanh` (at most 1). Over
# `k` steps that is a product of `k` such factors, and a product of many numbers below 1
# goes to zero exponentially, one of many numbers above 1 to infinity. The figure runs
# your cells (from the package) over 80 steps, keeps every `h_t`'s gradient
# (`retain_grad`) and plots how much of the gradient of one final loss reaches each step back:
#
# - **plain RNN**: the gradient shrinks by a constant factor per step; after 40 steps
#   nothing is left, so nothing the network saw 40 steps ago can be learned from
#   (Bengio et al. 1994, Hochreiter 1991);
# - **LSTM at PyTorch's init**: no better! Its cell path multiplies by the forget gate
#   `f` at each step, and at init `f = sigmoid(about 0)`, about 1/2;
# - **LSTM with open forget gates** (their bias raised by 1 or 3): `f` near 1, the
#   cell path carries the gradient across all 80 steps. Training opens the gates where
#   memory pays; starting the forget bias at 1 is a common trick (Gers et al. 2000,
#   Jozefowicz et al. 2015). PyTorch leaves it to you: `lstm.bias_ih_l0.data[H:2*H] += 1`.
#
# The other danger is on the right: with larger recurrent weights the factors exceed 1
# and the gradient **explodes**; one update with it throws the weights far away (a loss
# of nan a step later). **Clipping** is the standard remedy: `clip_grad_norm_(params,
# max_norm)` (module 06) measures the norm of the whole gradient, all parameters
# together, and when it exceeds `max_norm` scales every gradient down by the same factor.
# The direction is kept; only the step is bounded. The milestone clips at 1 as a guard.

# %%
from tito.offers import feedback_module

norms = feedback_module("rnn").gradient_norms(RNNCell, LSTMCell)
for label, values in norms.items():
    print(f"{label:45s} 10 steps back: {values[10] / values[0]:9.2e}   60 steps back: {values[60] / values[0]:9.2e}")
feedback_module("rnn").vanishing_figure(norms=norms);

# %% [markdown]
# ## What's next
#
# - **Milestone `05_lstm`** (1997): `tito milestone lstm` trains a character-level LSTM
#   (`Embedding`, `LSTM`, `Linear`) on seven of the shipped plays and measures it on
#   Macbeth, next to the same recipe in PyTorch from the same first weights.
# - **Attention** (module 12) lets every position look at every other at once, with no
#   state to carry and no gradient to lose on the way back.
#
# Run `tito test rnn` for the full tests, `tito bench rnn` for the speed of the LSTM
# layer, and `tito sync` to put your cells into the package.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (an error for an input of the wrong size, a parameter's name) share
# 5% of the score; the tests that need the right values share the other 95%.
