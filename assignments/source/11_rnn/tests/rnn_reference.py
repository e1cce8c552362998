"""A NumPy reference for the rnn tests, written gate by gate from the published equations
(PyTorch's documentation of RNN, LSTM and GRU): the witness that needs no PyTorch."""
from __future__ import annotations

import numpy as np

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # exact enough in float64 for the moderate values used here


def blocks(weight, count):
    """The gate blocks of a stacked weight (or bias): rows k*H .. (k+1)*H."""
    return np.split(weight, count, axis=0)


def cell(mode, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step in float64: (h', c') (c' is c for the cells without a memory cell)."""
    count = GATES[mode]
    b_ih = np.zeros(w_ih.shape[0]) if b_ih is None else b_ih
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh
    wi, wh, bi, bh = blocks(w_ih, count), blocks(w_hh, count), blocks(b_ih, count), blocks(b_hh, count)

    def part(k):  # (input's part, state's part) of gate k
        return x @ wi[k].T + bi[k], h @ wh[k].T + bh[k]

    if mode.startswith("rnn"):
        a, b = part(0)
        return (np.tanh(a + b) if mode == "rnn_tanh" else np.maximum(a + b, 0)), c
    if mode == "lstm":
        i, f = sigmoid(sum(part(0))), sigmoid(sum(part(1)))
        g, o = np.tanh(sum(part(2))), sigmoid(sum(part(3)))
        c_next = f * c + i * g
        return o * np.tanh(c_next), c_next
    r, z = sigmoid(sum(part(0))), sigmoid(sum(part(1)))
    n_in, n_h = part(2)
    n = np.tanh(n_in + r * n_h)
    return (1 - z) * n + z * h, c


def layers(mode, x, h0, c0, weights, num_layers, bidirectional):
    """A stacked (and maybe bidirectional) layer over x (T, N, I), written as plain loops.

    weights: per layer and direction, [w_ih, w_hh, b_ih, b_hh] (biases may be missing).
    Returns (output (T, N, D*H), h_n (L*D, N, H), c_n)."""
    directions = 2 if bidirectional else 1
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            h, c = h0[k], c0[k]
            out = [None] * len(x)
            for t in (reversed(range(len(x))) if d else range(len(x))):
                h, c = cell(mode, x[t], h, c, *weights[k])
                out[t] = h
            outs.append(np.stack(out))
            h_n.append(h)
            c_n.append(c)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(h_n), np.stack(c_n)
