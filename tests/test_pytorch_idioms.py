"""Everyday PyTorch idioms, family by family, against PyTorch: the same code on both
libraries gives the same values, dtypes and shapes (gradients of the new operations are
checked in module 03's op table, against PyTorch and finite differences).

The last group is the silent differences that once trained or computed wrong without a
word: each now behaves as PyTorch, or raises where PyTorch raises.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

import tinytorch as tt
from tito.testing import torch_fixture  # noqa: F401 (the `torch` fixture: PyTorch, skipped without it)


def same(ours, theirs, rtol=1e-6, atol=1e-7):
    """ours (a TinyTorch tensor) has PyTorch's shape, dtype and values."""
    assert isinstance(ours, tt.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, tuple(theirs.shape))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.detach().numpy().astype(np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


def both(torch, code: str, **values):
    """Run `code` (an expression of `torch` and `values`) in both libraries: (TinyTorch's, PyTorch's)."""
    mine = eval(code, {"torch": tt, "np": np, **{k: (tt.tensor(v) if isinstance(v, np.ndarray) else v)
                                                   for k, v in values.items()}})
    theirs = eval(code, {"torch": torch, "np": np, **{k: (torch.tensor(v) if isinstance(v, np.ndarray) else v)
                                                        for k, v in values.items()}})
    return mine, theirs


def check_all(torch, cases, rtol=1e-6, **values):
    for code in cases:
        mine, theirs = both(torch, code, **values)
        if isinstance(theirs, tuple):
            for m, t in zip(mine, theirs):
                same(m, t, rtol)
        elif isinstance(theirs, (bool, int, float)):
            assert mine == theirs, code
        else:
            try:
                same(mine, theirs, rtol)
            except AssertionError as error:
                raise AssertionError(f"{code}: {error}") from None


M = np.array([[1.5, -2.0, 3.0, 0.5], [4.0, 2.0, -6.0, 2.0], [0.0, 1.0, 1.0, -1.0]], dtype=np.float32)


def test_creating_tensors(torch):
    check_all(torch, [
        "torch.tensor([[1, 2], [3, 4]])", "torch.tensor([1.5, 2])", "torch.tensor(True)", "torch.tensor(3.0)",
        "torch.tensor([1, 2], dtype=torch.float64)", "torch.zeros(2, 3)", "torch.zeros((2, 3), dtype=torch.long)",
        "torch.ones(3)", "torch.full((2, 2), 7)", "torch.full((2,), 2.5)", "torch.full((2,), True)",
        "torch.empty(0)", "torch.zeros_like(m)", "torch.ones_like(m, dtype=torch.int32)", "torch.full_like(m, 3)",
        "torch.arange(5)", "torch.arange(1, 4)", "torch.arange(0, 1, 0.25)", "torch.arange(5, dtype=torch.float64)",
        "torch.linspace(-1, 1, 5)", "torch.eye(3)", "torch.eye(2, 3, dtype=torch.int64)",
        "torch.as_tensor([1, 2])", "torch.from_numpy(np.arange(3.0))",
    ], m=M)
    shared = np.zeros(3)
    t = tt.from_numpy(shared)
    shared[0] = 5
    assert t[0].item() == 5.0, "from_numpy shares memory"
    copied = tt.tensor(shared)
    shared[1] = 7
    assert copied[1].item() == 0.0, "tensor() copies"
    assert tt.is_tensor(t) and tt.numel(t) == 3 and tt.get_default_dtype() == tt.float32


def test_random_numbers(torch):
    for code in ["torch.rand(2, 3)", "torch.randn((4,))", "torch.randint(0, 10, (5,))", "torch.randint(3, (2, 2))",
                 "torch.randperm(6)", "torch.rand(2, dtype=torch.float64)", "torch.normal(0.0, 1.0, size=(3,))",
                 "torch.randn_like(torch.ones(2, 2))",
                 "torch.multinomial(torch.tensor([0.2, 0.8]), 4, replacement=True)"]:
        mine, theirs = both(torch, code)
        assert mine.shape == tuple(theirs.shape) and str(mine.dtype) == str(theirs.dtype).replace("torch.", ""), code
    assert sorted(tt.randperm(10).tolist()) == list(range(10))
    assert 0 <= tt.randint(0, 10, (100,)).min().item() and tt.randint(0, 10, (100,)).max().item() < 10
    tt.manual_seed(3)
    first = tt.randn(4)
    g = tt.Generator().manual_seed(3)
    assert tt.equal(first, tt.randn(4, generator=g)), "a Generator seeded alike gives the default's draws"
    tt.manual_seed(3)
    assert tt.equal(first, tt.randn(4)), "manual_seed repeats the draws"
    assert g.initial_seed() == 3 and tt.manual_seed(0) is tt.default_generator
    assert set(tt.multinomial(tt.tensor([[0.0, 1.0], [1.0, 0.0]]), 1).reshape(-1).tolist()) == {0, 1}
    assert tt.multinomial(tt.tensor([1.0, 1.0, 1.0]), 3).sort().values.tolist() == [0, 1, 2]


def test_dtypes_and_casts(torch):
    names = ["float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int", "int16",
             "short", "int8", "uint8", "bool"]
    for name in names:
        assert str(getattr(tt, name)) == str(getattr(torch, name)).replace("torch.", ""), name
    check_all(torch, ["m.float()", "m.double()", "m.long()", "m.int()", "m.bool()", "m.half()",
                      "m.to(torch.float64)", "m.to(dtype=torch.int32)", "m.type(torch.int64)", "m.to(m.long())",
                      "(m > 0).float()", "(m > 0).type(torch.float)", "torch.tensor([1, 2]).to(torch.float32)"], m=M)
    m = tt.tensor(M)
    assert m.float() is m and m.to("cpu") is m, "a conversion to what it already is gives the tensor itself"
    assert m.type() == "tinytorch.FloatTensor" and tt.tensor([1]).type() == "tinytorch.LongTensor"
    assert m.dtype == tt.float32 and m.is_floating_point() and not m.long().is_floating_point()


def test_devices(torch):
    assert tt.cuda.is_available() is False and tt.cuda.device_count() == 0
    assert tt.accelerator.is_available() is False and tt.accelerator.current_accelerator() is None
    assert tt.backends.mps.is_available() is False
    m = tt.tensor(M)
    assert str(m.device) == str(torch.tensor(M).device) == "cpu" and m.device == tt.device("cpu")
    assert m.to(tt.device("cpu")) is m and m.cpu() is m and not m.is_cuda
    assert tt.zeros(2, device="cpu").shape == (2,)
    model = tt.nn.Linear(2, 2)
    assert model.to("cpu") is model and model.cpu() is model
    for bad in (lambda: tt.device("cuda"), lambda: m.to("cuda"), lambda: m.cuda(), lambda: tt.zeros(2, device="cuda:0"),
                lambda: model.cuda(), lambda: tt.load(io.BytesIO(), map_location="cuda")):
        with pytest.raises(RuntimeError, match="CPU only"):
            bad()


def test_shapes(torch):
    check_all(torch, [
        "m.view(-1)", "m.view(2, 6)", "m.view_as(torch.zeros(6, 2))", "m.reshape(4, 3)", "m.unsqueeze(0)",
        "m.unsqueeze(-1)", "m.unsqueeze(1).squeeze()", "m.unsqueeze(1).squeeze(1)", "m.flatten()",
        "m.reshape(3, 2, 2).flatten(1)", "m.reshape(3, 2, 2).flatten(0, 1)", "m.permute(1, 0)",
        "m.reshape(3, 2, 2).permute(2, 0, 1)", "m.t()", "m.T", "m.transpose(0, 1)", "m[:, :1].expand(3, 5)",
        "m[:1].expand(4, -1)", "m.repeat(2, 1)", "m.repeat(1, 2, 2)", "m.flip(0)", "m.contiguous()",
        "torch.cat([m, m], dim=0)", "torch.cat([m, m], 1)", "torch.stack([m, m])", "torch.stack([m, m], dim=2)",
        "m.split(2, dim=1)", "m.split([1, 3], dim=1)", "m.chunk(2)", "m.chunk(3, dim=1)", "m.unbind(0)",
        "m.narrow(1, 1, 2)", "m.index_select(1, torch.tensor([0, 2]))", "m.unflatten(1, (2, 2))",
        "torch.flatten(m)", "torch.squeeze(m.unsqueeze(0))", "torch.hstack([m, m])", "torch.vstack([m, m])",
    ], m=M)
    m = tt.tensor(M)
    assert m.size() == (3, 4) and m.size(1) == 4 and m.size(-1) == 4 and m.size == 12
    assert m.numel() == m.nelement() == 12 and m.dim() == 2 and m.ndimension() == 2
    with pytest.raises(IndexError):
        m.size(2)


def test_max_min_sort_topk_with_indices(torch):
    ties = np.array([[3.0, 1.0, 3.0], [2.0, 5.0, 5.0], [np.nan, 1.0, 7.0]], np.float32)
    check_all(torch, [
        "m.max(dim=1)", "m.max(1)", "m.max(0, keepdim=True)", "m.min(dim=-1)", "torch.max(m, 1)",
        "torch.min(m, dim=0)", "m.max()", "m.min()", "torch.max(m)", "torch.max(m, torch.zeros(3, 4))",
        "m.argmax()", "m.argmax(1)", "m.argmin(dim=0, keepdim=True)", "torch.argmax(m, dim=1)",
        "m.sort()", "m.sort(dim=0)", "m.sort(descending=True)", "torch.sort(m, 1)", "m.argsort(dim=1)",
        "m.topk(2)", "m.topk(1, dim=0)", "m.topk(2, largest=False)", "torch.topk(m, 3)", "m.sort(stable=True)",
        "m.amax(dim=(0, 1))", "m.amin(1)", "torch.amax(m, 0)",
    ], m=M + np.arange(12, dtype=np.float32).reshape(3, 4) / 100)  # no ties: topk's order among them is open
    check_all(torch, ["m.max(dim=1)", "m.min(dim=1)", "m.sort(dim=1, stable=True)", "m.argmax(dim=1)"], m=ties)
    values, indices = tt.tensor(M).max(dim=1)
    assert values.tolist() == [3.0, 4.0, 1.0] and indices.tolist() == [2, 0, 1]
    result = tt.tensor(M).max(1)
    assert result.values is result[0] and result.indices is result[1] and type(result).__name__ == "max"


def test_statistics(torch):
    check_all(torch, [
        "m.sum()", "m.sum(dim=1)", "m.sum(0, keepdim=True)", "m.mean()", "m.mean(dim=(0, 1))",
        "m.std()", "m.std(dim=1)", "m.std(0, unbiased=False)", "m.var()", "m.var(dim=0, keepdim=True)",
        "m.var(1, correction=0)", "m.norm()", "m.norm(p=1)", "m.norm(dim=1)", "m.norm(p=float('inf'))",
        "m.prod()", "m.prod(dim=1)", "m.cumsum(dim=1)", "m.cumsum(0)", "m.logsumexp(dim=1)",
        "m.all()", "m.any(dim=0)", "(m > 0).all(dim=1)", "m.count_nonzero()", "torch.std(m)", "torch.prod(m, 0)",
        "torch.tensor([1, 2, 3]).prod()", "torch.tensor([1, 2, 3]).cumsum(0)", "torch.tensor([True, False]).sum()",
    ], rtol=1e-5, m=M)


def test_elementwise_maths(torch):
    positive = np.array([[0.5, 1.0, 2.0], [3.0, 0.25, 4.0]], np.float32)
    functions = ["exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos",
                 "tan", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu", "abs", "sign", "floor", "ceil", "round",
                 "trunc", "frac", "erf", "exp2", "neg"]
    check_all(torch, [f"m.{f}()" for f in functions] + [f"torch.{f}(m)" for f in functions]
              + ["m.asin()", "m.acos()"], rtol=2e-6, m=positive / 5)
    check_all(torch, ["m.clamp(0, 1)", "m.clamp(min=0.5)", "m.clamp(max=2)", "m.clip(0.5, 1.5)", "torch.clamp(m, 1, 2)",
                      "m.pow(2)", "m ** 0.5", "torch.pow(m, 3)", "2 ** m", "m.softmax(1)", "m.log_softmax(dim=0)",
                      "torch.softmax(m, 1)", "m.maximum(m.flip(0))", "torch.minimum(m, m * 2)",
                      "torch.where(m > 1, m, 0.0)", "torch.where(m > 1, 1.0, m)", "m.where(m > 1, -m)",
                      "torch.exp(torch.tensor([1, 2]))", "torch.tensor([-2, 3]).abs()", "torch.tensor([1, 2]).sqrt()",
                      "torch.tensor([7, -7]) // 2", "torch.tensor([7, -7]) % 3", "m.div(3, rounding_mode='floor')",
                      "torch.tensor([7, -7]).div(2, rounding_mode='trunc')", "m.add(1, alpha=2)", "m.sub(m, alpha=0.5)",
                      "m.mul(2)", "m.div(2)", "m.matmul(m.t())", "m.mm(m.t())", "torch.matmul(m, m.t())",
                      "m[0].dot(m[1])", "torch.outer(m[0], m[1])", "m.reshape(1, 2, 3).bmm(m.reshape(1, 3, 2))"],
              rtol=2e-6, m=positive)


def test_comparisons_and_masks(torch):
    check_all(torch, ["m.eq(0)", "m.ne(1)", "m.gt(0.5)", "m.lt(m.flip(0))", "m.ge(1)", "m.le(0)",
                      "(m > 0) & (m < 3)", "(m > 2) | (m < 0)", "~(m > 0)", "(m > 0) ^ (m > 1)", "m.isnan()",
                      "torch.isfinite(m / 0)", "m.logical_not()", "m.isclose(m + 1e-9)", "torch.eq(m, m)"], m=M)
    a, b = tt.tensor(M), tt.tensor(M + 1e-9)
    assert tt.equal(a, tt.tensor(M)) and not tt.equal(a, a[:2]) and tt.allclose(a, b) and a.allclose(b)
    assert a.equal(a) and not tt.allclose(a, a + 1)
    assert (3.0 in a) and (9.0 not in a)


def test_indexing_and_item_assignment(torch):
    for code in ["x[x > 1] = 0", "x[:, 1] = -1", "x[0] = torch.tensor([9.0, 8.0, 7.0, 6.0])", "x[[0, 2], 1] = 5",
                 "x[..., -1] = x[..., 0]", "x.masked_fill_(x < 0, 0.5)", "x[1:, ::2] *= 10", "x[x == 2] += 1"]:
        mine, theirs = tt.tensor(M), torch.tensor(M)
        exec(code, {"x": mine, "torch": tt})
        exec(code, {"x": theirs, "torch": torch})
        same(mine, theirs)
    check_all(torch, ["m.gather(1, torch.tensor([[0, 0], [1, 3], [2, 2]]))", "m.masked_fill(m > 1, -1.0)",
                      "m[torch.tensor([2, 0])]", "m[torch.tensor(1)]", "m[m > 0]",
                      "m[:, torch.tensor([True, False, True, False])]", "m.nonzero()", "torch.where(m > 1)",
                      "m[None, :, 1]"], m=M)
    names = ["a", "b", "c"]
    assert names[tt.tensor(2)] == "c" and list(range(tt.tensor(3))) == [0, 1, 2]
    with pytest.raises(TypeError):
        names[tt.tensor([1.0])]


def test_in_place_operations(torch):
    for code in ["x += 1", "x -= x", "x *= 2", "x /= 4", "x **= 2", "x.add_(1)", "x.add_(x, alpha=2)", "x.sub_(0.5)",
                 "x.mul_(torch.tensor(3.0))", "x.div_(2)", "x.zero_()", "x.fill_(2.5)", "x.copy_(torch.ones(4))",
                 "x.clamp_(0, 1)", "x.clamp_(min=0.5)", "x.abs_()", "x.neg_()", "x.relu_()", "x.sigmoid_()",
                 "x.tanh_()", "x.exp_()", "x.pow_(2)", "x.copy_(torch.tensor(7))"]:
        mine, theirs = tt.tensor(M), torch.tensor(M)
        alias_mine, alias_theirs = mine, theirs
        exec(code, {"x": mine, "torch": tt})
        exec(code, {"x": theirs, "torch": torch})
        same(alias_mine, alias_theirs, rtol=2e-6)
    ints = tt.tensor([1, 2])
    ints += 1
    assert ints.dtype == tt.int64 and ints.tolist() == [2, 3]
    for bad in ("ints += 0.5", "ints.mul_(1.5)"):
        with pytest.raises(RuntimeError, match="can't be cast"):
            exec(bad, {"ints": ints})
        with pytest.raises(RuntimeError):
            exec(bad, {"ints": torch.tensor([1, 2])})
    with pytest.raises(RuntimeError, match="broadcast shape"):
        x = tt.zeros(3)
        x += tt.ones(2, 3)
    shared = tt.zeros(3)
    view = shared[1:]
    view += 1
    assert shared.tolist() == [0.0, 1.0, 1.0], "a slice is a view: changing it changes the tensor"
    g = tt.Generator().manual_seed(0)
    w = tt.empty(3, 2).normal_(0, 0.02, generator=g)
    assert w.shape == (3, 2) and w.std().item() < 0.1 and tt.empty(100).uniform_(-1, 1).abs().max().item() <= 1


def test_autograd_rules_of_in_place_changes(torch):
    for lib in (tt, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w.add_(1)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w[0] = 5.0
        with lib.no_grad():
            w -= 0.5
        assert w.tolist() == [0.5, 1.5] and w.requires_grad
        y = w.exp()
        y.add_(1)  # exp keeps its output for its gradient: changed, the gradient would be wrong
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        h = w * 3
        h += w  # recorded: h = 3w + w
        h[0] = 0.0  # and the first element no longer depends on w
        h.sum().backward()
        np.testing.assert_allclose(w.grad.tolist(), [0.0, 4.0])
    mask, x = tt.tensor([1.0, 0.0]), tt.tensor([1.0, 2.0], requires_grad=True)
    out = x * mask
    mask.fill_(3.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    x.grad = None
    p = tt.nn.Parameter(tt.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    p.data -= 0.1 * p.grad  # through .data: autograd does not see it, as in PyTorch
    np.testing.assert_allclose(p.tolist(), [0.8, 1.6])


def test_python_and_numpy_interop(torch):
    loss = tt.tensor(0.123456)
    assert f"{loss:.4f}" == f"{torch.tensor(0.123456):.4f}" == "0.1235" and f"{tt.tensor(3):>3d}" == "  3"
    assert float(loss) == pytest.approx(0.123456) and int(tt.tensor(7)) == 7 and bool(tt.tensor([1]))
    assert tt.tensor(M).tolist() == torch.tensor(M).tolist() and tt.tensor(2.5).tolist() == 2.5
    with pytest.raises(TypeError):
        f"{tt.tensor(M):.2f}"
    array = np.ones(3, np.float32)
    array -= tt.tensor([1.0, 2.0, 3.0])  # `p.data -= lr * p.grad` when .data is an array
    assert array.tolist() == [0.0, -1.0, -2.0]
    assert isinstance(np.array([1.0]) + tt.tensor([2.0]), tt.Tensor)
    t = tt.ones(2)
    n = t.numpy()
    t += 1
    assert n.tolist() == [2.0, 2.0], "numpy() shares memory"


def test_module_conveniences(torch):
    class Net(tt.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = tt.nn.ModuleList([tt.nn.Linear(4, 4) for _ in range(2)])
            self.heads = tt.nn.ModuleDict({"a": tt.nn.Linear(4, 2), "b": tt.nn.Linear(4, 1)})
            self.register_buffer("steps", tt.zeros((), dtype=tt.int64))
            self.register_buffer("scratch", tt.zeros(4), persistent=False)

        def forward(self, x):
            for block in self.blocks:
                x = block(x).relu()
            return self.heads["a"](x)

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(2)])
            self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, 1)})
            self.register_buffer("steps", torch.zeros((), dtype=torch.int64))
            self.register_buffer("scratch", torch.zeros(4), persistent=False)

    ours, theirs = Net(), TorchNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert len(ours.blocks) == 2 and "a" in ours.heads and list(ours.heads.keys()) == ["a", "b"]
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    expected = theirs.heads["a"](torch.relu(theirs.blocks[1](torch.relu(theirs.blocks[0](torch.tensor(x))))))
    same(ours(tt.tensor(x)), expected, rtol=1e-5)
    seen = []
    assert ours.apply(lambda m: seen.append(type(m).__name__)) is ours
    assert seen[-1] == "Net" and seen.count("Linear") == 4
    assert ours.requires_grad_(False) is ours and not any(p.requires_grad for p in ours.parameters())
    assert ours.to(tt.float64) is ours and ours.heads["b"].weight.dtype == tt.float64
    assert ours.get_submodule("blocks.1") is ours.blocks[1]
    tied = tt.nn.Sequential(tt.nn.Linear(3, 3, bias=False), tt.nn.Linear(3, 3, bias=False))
    tied[1].weight = tied[0].weight
    torch_tied = torch.nn.Sequential(torch.nn.Linear(3, 3, bias=False), torch.nn.Linear(3, 3, bias=False))
    torch_tied[1].weight = torch_tied[0].weight
    assert list(tied.state_dict()) == list(torch_tied.state_dict()) and len(list(tied.parameters())) == 1
    tied.load_state_dict(torch_tied.state_dict())


def test_activation_layers_and_functions(torch):
    layers = ["ReLU()", "ReLU(inplace=True)", "Sigmoid()", "Tanh()", "LeakyReLU(0.2)",
              "LeakyReLU(negative_slope=0.1, inplace=True)", "ELU(alpha=0.5)", "GELU()", "GELU(approximate='tanh')",
              "SiLU()", "Softplus(beta=2.0)", "Softmax(dim=1)", "LogSoftmax(dim=0)"]
    for code in layers:
        mine, theirs = both(torch, f"torch.nn.{code}")
        assert repr(mine) == repr(theirs), code
        assert isinstance(mine, tt.nn.Module) and list(mine.parameters()) == []
        check_all(torch, [f"torch.nn.{code}(m.clone())"], rtol=2e-6, m=M)
    for code in ["F.relu(m)", "F.relu(m.clone(), inplace=True)", "F.leaky_relu(m, 0.2)", "F.elu(m, alpha=0.5)",
                 "F.gelu(m, approximate='tanh')", "F.silu(m)", "F.softplus(m, beta=2)", "F.softmax(m, dim=0)",
                 "F.log_softmax(m, 1)", "F.sigmoid(m)", "F.tanh(m)", "F.softmax(m, dim=1, dtype=torch.float64)"]:
        mine = eval(code, {"F": tt.nn.functional, "torch": tt, "m": tt.tensor(M)})
        theirs = eval(code, {"F": torch.nn.functional, "torch": torch, "m": torch.tensor(M)})
        same(mine, theirs, rtol=2e-6)
    for code in ["F.one_hot(torch.tensor([0, 2, 1]))", "F.one_hot(torch.tensor([[1], [0]]), num_classes=4)",
                 "F.linear(m, torch.ones(2, 4), torch.tensor([0.5, -0.5]))", "F.dropout(m, 0.3, training=False)"]:
        mine = eval(code, {"F": tt.nn.functional, "torch": tt, "m": tt.tensor(M)})
        theirs = eval(code, {"F": torch.nn.functional, "torch": torch, "m": torch.tensor(M)})
        same(mine, theirs)
    for lib in (tt, torch):
        with lib.inference_mode():
            assert not (lib.ones(2, requires_grad=True) * 2).requires_grad
        with pytest.warns(UserWarning, match="Implicit dimension"):
            lib.nn.functional.softmax(lib.tensor(M))
    x = tt.tensor(M, requires_grad=True)
    h = x * 1.0
    tt.nn.functional.relu(h, inplace=True).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (M > 0).astype(np.float32))


def test_custom_autograd_function(torch):
    def make(lib):
        class Clip(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, low):
                ctx.save_for_backward(x)
                ctx.low = low
                return x.clamp(min=low) * 2

            @staticmethod
            def backward(ctx, grad_output):
                x, = ctx.saved_tensors
                return grad_output * 2 * (x > ctx.low).float(), None
        return Clip.apply

    results = []
    for lib in (tt, torch):
        x = lib.tensor(M, requires_grad=True)
        y = make(lib)(x, 0.5)
        (y * y).sum().backward()
        results.append((y, x.grad))
    same(results[0][0], results[1][0])
    same(results[0][1], results[1][1])


def test_a_rule_of_one_input_may_return_its_gradient_alone(torch):
    """As PyTorch's Function.backward may return one tensor for one input, a `differentiable`
    rule (module 03's helper for an operation of one's own) may return one array or Tensor."""
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return 2 * grad_output * x  # alone, not in a tuple

    x = torch.tensor(M, requires_grad=True)
    Square.apply(x).sum().backward()
    def square_returning(alone):
        @tt.autograd.differentiable
        def square(x):
            return x * x, lambda grad: alone(2 * grad * x.data)
        return square

    for alone in (lambda g: g, tt.tensor):  # the gradient alone as an array, then as a Tensor
        ours = tt.tensor(M, requires_grad=True)
        square_returning(alone)(ours).sum().backward()
        same(ours.grad, x.grad)

    @tt.autograd.differentiable(inputs=2)
    def times(a, b):
        return a * b, lambda grad: grad * b.data  # one gradient for two inputs
    with pytest.raises(RuntimeError, match="number of gradients"):
        times(tt.tensor(M, requires_grad=True), tt.tensor(M)).sum().backward()


def test_optimizers_and_schedules_step_for_step(torch):
    rng = np.random.default_rng(0)
    w0, grads = rng.normal(size=(3, 2)), [rng.normal(size=(3, 2)) for _ in range(5)]
    for name, options in [("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}), ("Adagrad", {"lr": 0.1}),
                          ("Adadelta", {"weight_decay": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                          ("AdamW", {"lr": 0.01})]:
        mine, theirs = tt.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
        a, b = getattr(tt.optim, name)([mine], **options), getattr(torch.optim, name)([theirs], **options)
        for g in grads:
            mine.grad, theirs.grad = tt.tensor(g), torch.tensor(g)
            a.step()
            b.step()
        same(mine, theirs, rtol=1e-12, atol=1e-14)
    for name, options, steps in [("ExponentialLR", {"gamma": 0.5}, 4), ("MultiStepLR", {"milestones": [1, 3]}, 5),
                                 ("LinearLR", {"start_factor": 0.25, "total_iters": 3}, 5),
                                 ("OneCycleLR", {"max_lr": 1.0, "total_steps": 8}, 8)]:
        lrs = []
        for lib in (tt, torch):
            opt = lib.optim.SGD([lib.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
            schedule = getattr(lib.optim.lr_scheduler, name)(opt, **options)
            seen = []
            for _ in range(steps):
                seen.append((schedule.get_last_lr()[0], opt.param_groups[0]["momentum"]))
                opt.step()
                schedule.step()
            lrs.append(seen)
        np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-12, err_msg=name)
    seen = []
    for lib in (tt, torch):
        opt = lib.optim.SGD([lib.tensor([1.0], requires_grad=True)], lr=1.0)
        plateau = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
        for metric in [3, 2, 2, 2, 2, 1, 1, 1]:
            plateau.step(metric)
        seen.append(opt.param_groups[0]["lr"])
    assert seen[0] == seen[1] == 0.25


def test_save_and_load(torch, tmp_path):
    model = tt.nn.Sequential(tt.nn.Linear(2, 3), tt.nn.ReLU(), tt.nn.Linear(3, 1))
    tt.save(model.state_dict(), tmp_path / "w.pth")
    for options in ({}, {"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"},
                    {"map_location": tt.device("cpu")}, {"map_location": lambda storage, location: storage}):
        other = tt.nn.Sequential(tt.nn.Linear(2, 3), tt.nn.ReLU(), tt.nn.Linear(3, 1))
        other.load_state_dict(tt.load(tmp_path / "w.pth", **options))
        assert all(np.array_equal(a, b) for a, b in zip(other.state_dict().values(), model.state_dict().values()))
    buffer = io.BytesIO()
    tt.save({"epoch": 3, "model": model.state_dict()}, buffer)
    buffer.seek(0)
    assert tt.load(buffer, weights_only=True)["epoch"] == 3
    with pytest.raises(TypeError, match="state_dict"):
        tt.save(model, tmp_path / "whole.pth")  # PyTorch pickles whole models; TinyTorch never runs code on load
    reference = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in tt.load(tmp_path / "w.pth").items()})


def test_data_loading_with_generators(torch):
    data = tt.utils.data.TensorDataset(tt.arange(10.0), tt.arange(10))
    first = [b[1].tolist() for b in tt.utils.data.DataLoader(data, batch_size=4, shuffle=True,
                                                              generator=tt.Generator().manual_seed(1))]
    again = [b[1].tolist() for b in tt.utils.data.DataLoader(data, batch_size=4, shuffle=True,
                                                              generator=tt.Generator().manual_seed(1))]
    assert first == again and sorted(sum(first, [])) == list(range(10))
    train, test = tt.utils.data.random_split(data, [0.8, 0.2], generator=tt.Generator().manual_seed(42))
    assert (len(train), len(test)) == (8, 2)
    pairs = tt.utils.data.DataLoader(data, batch_size=5, collate_fn=lambda rows: len(rows), num_workers=2)
    assert list(pairs) == [5, 5]


# ---- the silent differences: each now behaves as PyTorch ------------------------------------------

def test_parameter_update_under_no_grad_trains(torch):
    """`with no_grad(): for p in model.parameters(): p -= lr * p.grad` (PyTorch's nn example)."""
    x = np.linspace(-1, 1, 50, dtype=np.float32).reshape(-1, 1)
    losses = []
    for lib in (tt, torch):
        model = lib.nn.Linear(1, 1)
        with lib.no_grad():
            model.weight.fill_(0.0)
            model.bias.fill_(0.0)
        for _ in range(20):
            loss = ((model(lib.tensor(x)) - lib.tensor(3 * x + 1)) ** 2).mean()
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5) and losses[0] < 1.0


def test_values_and_indices_unpack(torch):
    """`values, indices = x.max(dim=1)` with two rows gave the two maxima."""
    for lib in (tt, torch):
        values, indices = lib.tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 8.0]]).max(dim=1)
        assert values.tolist() == [9.0, 8.0] and indices.tolist() == [1, 2]
        assert lib.tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 8.0]]).max(1)[1].tolist() == [1, 2]


def test_another_name_sees_an_in_place_change(torch):
    """`q = p; q += 1` left p unchanged."""
    for lib in (tt, torch):
        p = lib.tensor([1.0, 2.0])
        q = p
        q += 1
        assert p.tolist() == [2.0, 3.0] and q is p


def test_in_place_change_of_a_leaf_requiring_grad_raises(torch):
    for lib in (tt, torch):
        w = lib.ones(3, requires_grad=True)
        for change in ("mul_", "zero_", "__iadd__", "normal_"):
            with pytest.raises(RuntimeError, match="leaf Variable"):
                getattr(w, change)(*([2] if change in ("mul_", "__iadd__") else []))


def test_zero_dim_operands_do_not_promote(torch):
    for code in ["torch.ones(3) * torch.tensor(2.0, dtype=torch.float64)", "torch.ones(3) + np.array(2.0)",
                 "torch.ones(3) - torch.tensor(np.array(2.0))",
                 "torch.tensor(2.0, dtype=torch.float64) * torch.ones(3)",
                 "torch.tensor([1, 2]) * torch.tensor(2.5, dtype=torch.float64)",
                 "torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(3)",
                 "torch.tensor(2.0) * torch.tensor(3.0, dtype=torch.float64)",
                 "torch.ones(3) * np.float64(2.0)", "torch.tensor([True]) + torch.tensor(2)"]:
        mine, theirs = both(torch, code)
        same(mine, theirs)


def test_linear_refuses_another_dtype(torch):
    for lib in (tt, torch):
        layer = lib.nn.Linear(3, 2)
        for x in (lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 3, dtype=lib.int64)):
            with pytest.raises(RuntimeError, match="dtype"):
                layer(x)
    with pytest.raises(RuntimeError, match="same dtype"):
        tt.ones(2, 2) @ tt.ones(2, 2, dtype=tt.float64)


def test_class_targets_must_be_int64(torch):
    logits = np.zeros((2, 3), np.float32)
    for lib, error in ((tt, TypeError), (torch, RuntimeError)):
        with pytest.raises(error):
            lib.nn.functional.cross_entropy(lib.tensor(logits), lib.tensor([0, 1], dtype=lib.int32))
        with pytest.raises(error):
            lib.nn.functional.nll_loss(lib.tensor(logits), lib.tensor([0, 1], dtype=lib.int32))
        assert lib.nn.functional.cross_entropy(lib.tensor(logits), lib.tensor([0, 1], dtype=lib.uint8)).item() > 0


def test_mixed_float_losses_promote(torch):
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([1.5, 2.0, 2.0])
    for name in ("mse_loss", "l1_loss", "binary_cross_entropy_with_logits"):
        mine = getattr(tt.nn.functional, name)(tt.tensor(a), tt.tensor(b))
        theirs = getattr(torch.nn.functional, name)(torch.tensor(a), torch.tensor(b))
        same(mine, theirs, rtol=1e-6)
    for lib, error in ((tt, TypeError), (torch, RuntimeError)):
        with pytest.raises(error):
            lib.nn.functional.binary_cross_entropy(lib.tensor(a / 4), lib.tensor(b / 4))
