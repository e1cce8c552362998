"""Learner mistakes the rnn tests must catch (with PyTorch absent too) and correct
variants, written differently, that they must pass."""
from tito.catalogue import Mistake, Variant

AT_LEAST = 18

_LSTM_HEAD = '''
def lstm_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h, c = hx
    H = weight_hh.shape[1]
    gates = linear(input, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)
'''

_GRU_HEAD = '''
def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    H = weight_hh.shape[1]
    gi = linear(input, weight_ih, bias_ih)
    gh = linear(hx, weight_hh, bias_hh)
'''

MISTAKES = [
    Mistake("lstm_gates_i_f_o_g", "the gates read in the order i, f, o, g (PyTorch's is i, f, g, o)", _LSTM_HEAD + '''
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    o = sigmoid(gates[..., 2 * H:3 * H])
    g = tanh(gates[..., 3 * H:])
    c_next = f * c + i * g
    return o * tanh(c_next), c_next
'''),
    Mistake("lstm_forget_on_input", "the forget gate multiplies the new candidate, the input gate the old cell",
            _LSTM_HEAD + '''
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = tanh(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = i * c + f * g
    return o * tanh(c_next), c_next
'''),
    Mistake("lstm_returns_c_then_h", "the pair returned as (c', h')", _LSTM_HEAD + '''
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = tanh(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = f * c + i * g
    return c_next, o * tanh(c_next)
'''),
    Mistake("lstm_h_without_tanh", "h' = o * c', the cell not squashed", _LSTM_HEAD + '''
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = tanh(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = f * c + i * g
    return o * c_next, c_next
'''),
    Mistake("lstm_candidate_sigmoid", "the candidate g through sigmoid, like the gates", _LSTM_HEAD + '''
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = sigmoid(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = f * c + i * g
    return o * tanh(c_next), c_next
'''),
    Mistake("lstm_state_ignored", "the gates computed from the input only: the old h never enters", '''
def lstm_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h, c = hx
    H = weight_hh.shape[1]
    gates = linear(input, weight_ih, bias_ih)
    if bias_hh is not None:
        gates = gates + bias_hh
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = tanh(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = f * c + i * g
    return o * tanh(c_next), c_next
'''),
    Mistake("lstm_cell_in_numpy", "c' computed on the arrays (.data): right values, no gradient through c",
            _LSTM_HEAD + '''
    i = sigmoid(gates[..., :H])
    f = sigmoid(gates[..., H:2 * H])
    g = tanh(gates[..., 2 * H:3 * H])
    o = sigmoid(gates[..., 3 * H:])
    c_next = Tensor(f.data * c.data + i.data * g.data)
    return o * tanh(c_next), c_next
'''),
    Mistake("rnn_always_tanh", "nonlinearity='relu' ignored", '''
def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return tanh(linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh))
'''),
    Mistake("rnn_one_bias", "only bias_ih added: bias_hh forgotten", '''
def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    pre = linear(input, weight_ih, bias_ih) + hx @ weight_hh.T
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)
'''),
    Mistake("rnn_state_product_untransposed",
            "h @ weight_hh instead of h @ weight_hh.T (square, so no shape error)", '''
def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    pre = linear(input, weight_ih, bias_ih) + hx @ weight_hh
    if bias_hh is not None:
        pre = pre + bias_hh
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)
'''),
    Mistake("gru_update_swapped", "h' = z * n + (1 - z) * h: the update gate read the other way", _GRU_HEAD + '''
    r = sigmoid(gi[..., :H] + gh[..., :H])
    z = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return z * n + (1 - z) * hx
'''),
    Mistake("gru_gates_z_r_n", "the gates read in the order z, r, n (PyTorch's is r, z, n)", _GRU_HEAD + '''
    z = sigmoid(gi[..., :H] + gh[..., :H])
    r = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return (1 - z) * n + z * hx
'''),
    Mistake("gru_reset_outside_the_bias", "n = tanh(gi_n + r * (h W_hn^T) + b_hn): the bias kept out of the reset",
            '''
def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    H = weight_hh.shape[1]
    gi = linear(input, weight_ih, bias_ih)
    gh = linear(hx, weight_hh)
    if bias_hh is not None:
        gh_rz = gh[..., :2 * H] + bias_hh[:2 * H]
        b_hn = bias_hh[2 * H:]
    else:
        gh_rz, b_hn = gh[..., :2 * H], 0.0
    r = sigmoid(gi[..., :H] + gh_rz[..., :H])
    z = sigmoid(gi[..., H:2 * H] + gh_rz[..., H:2 * H])
    n = tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:] + b_hn)
    return (1 - z) * n + z * hx
'''),
    Mistake("gru_reset_before_the_product", "n = tanh(gi_n + (r * h) W_hn^T + b_hn), the other GRU's form", '''
def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    H = weight_hh.shape[1]
    gi = linear(input, weight_ih, bias_ih)
    gh = linear(hx, weight_hh, bias_hh)
    r = sigmoid(gi[..., :H] + gh[..., :H])
    z = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    b_hn = None if bias_hh is None else bias_hh[2 * H:]
    n = tanh(gi[..., 2 * H:] + linear(r * hx, weight_hh[2 * H:], b_hn))
    return (1 - z) * n + z * hx
'''),
    Mistake("init_bound_from_input_size", "bound 1/sqrt(input_size), as Linear's", '''
def reset_recurrent_parameters(module):
    bound = 1.0 / math.sqrt(module.input_size)
    for param in module.parameters():
        uniform_(param, -bound, bound)
'''),
    Mistake("init_weights_only", "the biases left as they were allocated (zeros)", '''
def reset_recurrent_parameters(module):
    bound = 1.0 / math.sqrt(module.hidden_size)
    for name, param in module.named_parameters():
        if name.startswith("weight"):
            uniform_(param, -bound, bound)
        else:
            param.data[...] = 0.0
'''),
    Mistake("init_normal", "N(0, 1/hidden_size) instead of the uniform", '''
def reset_recurrent_parameters(module):
    from tinytorch.core.nn import normal_
    for param in module.parameters():
        normal_(param, 0.0, 1.0 / math.sqrt(module.hidden_size))
'''),
    Mistake("sequence_state_not_carried", "the loop over time restarts every step from the initial state", '''
def _sequence_rule(x, h0, c0, *weights, cell, options, reverse, record):
    with set_grad_enabled(record):
        leaves = [Tensor(t.data, requires_grad=t.requires_grad) for t in (x, h0, c0, *weights)]
        xs, h, c, ws = leaves[0], leaves[1], leaves[2], leaves[3:]
        steps = [Tensor(xs.data[t], requires_grad=xs.requires_grad) for t in range(len(xs.data))]
        outs = [None] * len(steps)
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        for t in order:
            if cell is lstm_cell:
                h, c = cell(steps[t], (leaves[1], leaves[2]), *ws, **options)
            else:
                h = cell(steps[t], leaves[1], *ws, **options)
            outs[t] = h
        packed = stack(outs + [h, c])

    def backward(grad):
        for leaf in leaves + steps:
            leaf.grad = None
        packed.backward(grad, retain_graph=True)
        grads = [None if leaf.grad is None else leaf.grad.data for leaf in leaves]
        if xs.requires_grad:
            grads[0] = np.stack([s.grad.data if s.grad is not None else np.zeros_like(s.data) for s in steps])
        return tuple(grads)
    return Tensor(packed.data), backward
'''),
]

VARIANTS = [
    Variant("lstm_weights_sliced_per_gate", "one product per gate, the weights cut into blocks", '''
def lstm_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h, c = hx
    H = weight_hh.shape[1]

    def gate(k):
        rows = slice(k * H, (k + 1) * H)
        out = input @ weight_ih[rows].T + h @ weight_hh[rows].T
        if bias_ih is not None:
            out = out + bias_ih[rows] + bias_hh[rows]
        return out
    i, f, g, o = sigmoid(gate(0)), sigmoid(gate(1)), tanh(gate(2)), sigmoid(gate(3))
    c = f * c + i * g
    h = o * tanh(c)
    return h, c
'''),
    Variant("lstm_gates_reshaped", "the gates reshaped to (..., 4, H) and indexed", _LSTM_HEAD + '''
    four = gates.reshape(*gates.shape[:-1], 4, H)
    i, f, o = sigmoid(four[..., 0, :]), sigmoid(four[..., 1, :]), sigmoid(four[..., 3, :])
    c_next = f * c + i * tanh(four[..., 2, :])
    return o * tanh(c_next), c_next
'''),
    Variant("gru_interpolation_form", "h' = n + z * (h - n)", _GRU_HEAD + '''
    rz = sigmoid(gi[..., :2 * H] + gh[..., :2 * H])
    r, z = rz[..., :H], rz[..., H:]
    n = tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return n + z * (hx - n)
'''),
    Variant("rnn_biases_summed_first", "the two biases added together, products separately", '''
def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    pre = input @ weight_ih.T + hx @ weight_hh.T
    if bias_ih is not None:
        pre = pre + (bias_ih + bias_hh)
    return relu(pre) if nonlinearity == "relu" else tanh(pre)
'''),
    Variant("init_named_power", "hidden_size ** -0.5, parameter by parameter by name", '''
def reset_recurrent_parameters(module):
    k = module.hidden_size ** -0.5
    for _, param in module.named_parameters():
        uniform_(param, -k, k)
'''),
    Variant("lstm_sigmoid_everywhere_then_g", "sigmoid over all four blocks, the candidate taken apart with tanh",
            _LSTM_HEAD + '''
    s = sigmoid(gates)
    i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
    g = tanh(gates[..., 2 * H:3 * H])
    c_next = f * c + i * g
    return o * tanh(c_next), c_next
'''),
    Variant("gru_products_per_gate", "one product per gate and side, the weights cut into blocks", '''
def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    H = weight_hh.shape[1]

    def part(x, weight, bias, k):
        rows = slice(k * H, (k + 1) * H)
        out = x @ weight[rows].T
        return out if bias is None else out + bias[rows]
    r = sigmoid(part(input, weight_ih, bias_ih, 0) + part(hx, weight_hh, bias_hh, 0))
    z = sigmoid(part(input, weight_ih, bias_ih, 1) + part(hx, weight_hh, bias_hh, 1))
    n = tanh(part(input, weight_ih, bias_ih, 2) + r * part(hx, weight_hh, bias_hh, 2))
    return (1 - z) * n + z * hx
'''),
    Variant("rnn_relu_by_clamp", "ReLU as clamp(min=0)", '''
def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    from tinytorch.core.autograd import clamp
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    pre = linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh)
    return clamp(pre, min=0.0) if nonlinearity == "relu" else tanh(pre)
'''),
]
