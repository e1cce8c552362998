"""The differentiable operations of module 03, as cases both TinyTorch and PyTorch can run.

One `Op` per operation and input layout: the module's tests (test_gradients.py) run every
one, so an operation added here is checked against finite differences and PyTorch. An op's
`fn(o, *tensors)` is written once for both frameworks: `o` is a
namespace of functions (`ours(autograd)` or `theirs(torch)`), and tensor methods
(`a.sum(dim=1)`, `a @ b`, `a[[0, 0]]`) are spelled the way both accept.

Inputs are drawn away from kinks and singularities (finite differences need a smooth
neighbourhood): `domain` says how.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu", "softplus",
               "softmax", "log_softmax")


@dataclass(frozen=True)
class Op:
    name: str                       # row name: "sum(dim=1) of a square matrix"
    fn: Callable                    # fn(o, *tensors) -> tensor
    shapes: tuple                   # one shape per input
    domain: str = "any"             # any | positive | away (|x| >= 0.2) | distinct (no ties)
    group: str = "arithmetic"       # the report card's section

    def inputs(self, dtype=np.float64, seed: int = 0) -> list[np.ndarray]:
        """The op's input arrays, the same for every framework and every run."""
        rng = np.random.default_rng(seed)
        arrays = []
        for shape in self.shapes:
            n = int(np.prod(shape))
            if self.domain == "positive":
                v = rng.uniform(0.5, 2.0, n)
            elif self.domain == "away":
                v = rng.uniform(0.2, 1.5, n) * rng.choice([-1.0, 1.0], n)
            elif self.domain == "distinct":
                v = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(-0.05, 0.05, n)
            else:
                v = rng.standard_normal(n)
            arrays.append(v.reshape(shape).astype(dtype))
        return arrays


TOP_LEVEL = ("cat", "stack", "where", "maximum", "tensor")  # torch.<name>, in TinyTorch module 01's


def _x_sin_x(Function):
    """x sin(x) as a user-defined autograd.Function of the framework whose Function class is given."""
    class XSinX(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x.sin()

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * (x.sin() + x * x.cos())
    return XSinX.apply


def _in_place_chain(o, a, b):
    """In-place changes of a tensor that autograd records: y = 2a; y += b; y *= 3; y[0] = b[0]."""
    y = a * 2
    y += b
    y *= 3
    y[0] = b[0]
    return y


def ours(autograd) -> SimpleNamespace:
    """The namespace `fn` sees for TinyTorch: tinytorch.core.autograd (the learner's or the package's)."""
    import importlib

    tensor_module = importlib.import_module(autograd.Tensor.__module__)
    names = ("exp", "log", "abs", "clamp") + ACTIVATIONS
    space = {name: getattr(autograd, name) for name in names}
    space.update({name: getattr(tensor_module, name) for name in TOP_LEVEL})
    space["x_sin_x"] = _x_sin_x(autograd.Function)
    space["amax"] = lambda x, dim=None, keepdim=False: x.amax(dim=dim, keepdim=keepdim)
    space["amin"] = lambda x, dim=None, keepdim=False: x.amin(dim=dim, keepdim=keepdim)
    return SimpleNamespace(**space)


def theirs(torch) -> SimpleNamespace:
    """The same names in PyTorch."""
    F = torch.nn.functional
    return SimpleNamespace(
        exp=torch.exp, log=torch.log, abs=torch.abs, clamp=torch.clamp, amax=torch.amax, amin=torch.amin,
        relu=torch.relu, sigmoid=torch.sigmoid, tanh=torch.tanh, leaky_relu=F.leaky_relu,
        elu=F.elu, gelu=F.gelu, silu=F.silu, softplus=F.softplus,
        softmax=lambda x, dim=-1: F.softmax(x, dim=dim),
        log_softmax=lambda x, dim=-1: F.log_softmax(x, dim=dim),
        x_sin_x=_x_sin_x(torch.autograd.Function), **{name: getattr(torch, name) for name in TOP_LEVEL})


OPS = (
    Op("a + b (broadcast)", lambda o, a, b: a + b, ((3, 4), (4,))),
    Op("2.5 + a", lambda o, a: 2.5 + a, ((3,),)),
    Op("a - b (broadcast both)", lambda o, a, b: a - b, ((3, 1), (1, 4))),
    Op("1 - a", lambda o, a: 1 - a, ((2, 3),)),
    Op("a * b (broadcast)", lambda o, a, b: a * b, ((2, 3, 4), (3, 1))),
    Op("a * 3", lambda o, a: a * 3, ((4,),)),
    Op("a / b", lambda o, a, b: a / b, ((3, 4), (4,)), "positive"),
    Op("1 / a", lambda o, a: 1 / a, ((3,),), "positive"),
    Op("a ** 3", lambda o, a: a ** 3, ((2, 3),)),
    Op("a ** b", lambda o, a, b: a ** b, ((3,), (3,)), "positive"),
    Op("2 ** a", lambda o, a: 2 ** a, ((3,),)),
    Op("-a", lambda o, a: -a, ((2, 2),)),
    Op("a @ b", lambda o, a, b: a @ b, ((3, 4), (4, 2)), group="matmul"),
    Op("a @ b (batched)", lambda o, a, b: a @ b, ((2, 3, 4), (2, 4, 5)), group="matmul"),
    Op("a @ b (batch broadcast)", lambda o, a, b: a @ b, ((2, 3, 4), (4, 2)), group="matmul"),
    Op("vector @ matrix", lambda o, a, b: a @ b, ((4,), (4, 3)), group="matmul"),
    Op("matrix @ vector", lambda o, a, b: a @ b, ((3, 4), (4,)), group="matmul"),
    Op("vector @ vector", lambda o, a, b: a @ b, ((4,), (4,)), group="matmul"),
    Op("a.sum()", lambda o, a: a.sum(), ((3, 4),), group="reductions"),
    Op("a.sum(dim=1), square", lambda o, a: a.sum(dim=1), ((3, 3),), group="reductions"),
    Op("a.sum(dim=(0, 2), keepdim=True)", lambda o, a: a.sum(dim=(0, 2), keepdim=True), ((2, 3, 4),),
       group="reductions"),
    Op("a.mean()", lambda o, a: a.mean(), ((3, 4),), group="reductions"),
    Op("a.mean(dim=0)", lambda o, a: a.mean(dim=0), ((3, 4),), group="reductions"),
    Op("a.mean(dim=-1, keepdim=True)", lambda o, a: a.mean(dim=-1, keepdim=True), ((2, 3, 4),),
       group="reductions"),
    Op("a.max()", lambda o, a: a.max(), ((3, 4),), "distinct", "reductions"),
    Op("max(dim=1)", lambda o, a: o.amax(a, dim=1), ((3, 4),), "distinct", "reductions"),
    Op("min(dim=0, keepdim=True)", lambda o, a: o.amin(a, dim=0, keepdim=True), ((3, 4),), "distinct",
       "reductions"),
    Op("a.reshape(4, 6)", lambda o, a: a.reshape(4, 6), ((2, 3, 4),), group="shapes"),
    Op("a.transpose(1, 2)", lambda o, a: a.transpose(1, 2), ((2, 3, 4),), group="shapes"),
    Op("a.T", lambda o, a: a.T, ((3, 4),), group="shapes"),
    Op("a[1:, ::2]", lambda o, a: a[1:, ::2], ((3, 4),), group="shapes"),
    Op("a[[0, 0, 2]] (repeated)", lambda o, a: a[[0, 0, 2]], ((3, 4),), group="shapes"),
    Op("a[a > 0] (mask)", lambda o, a: a[a > 0], ((3, 4),), "away", "shapes"),
    Op("exp(a)", lambda o, a: o.exp(a), ((3, 4),), group="functions"),
    Op("log(a)", lambda o, a: o.log(a), ((3, 4),), "positive", "functions"),
    Op("abs(a)", lambda o, a: o.abs(a), ((3, 4),), "away", "functions"),
    Op("clamp(a, -0.5, 0.8)", lambda o, a: o.clamp(a, -0.5, 0.8), ((3, 4),), group="functions"),
    Op("clamp(a, min=0.1)", lambda o, a: o.clamp(a, min=0.1), ((3, 4),), group="functions"),
    Op("relu(a)", lambda o, a: o.relu(a), ((3, 4),), "away", "activations"),
    Op("sigmoid(a)", lambda o, a: o.sigmoid(a), ((3, 4),), group="activations"),
    Op("tanh(a)", lambda o, a: o.tanh(a), ((3, 4),), group="activations"),
    Op("leaky_relu(a, 0.1)", lambda o, a: o.leaky_relu(a, 0.1), ((3, 4),), "away", "activations"),
    Op("elu(a, alpha=0.5)", lambda o, a: o.elu(a, alpha=0.5), ((3, 4),), "away", "activations"),
    Op("gelu(a)", lambda o, a: o.gelu(a), ((3, 4),), group="activations"),
    Op("gelu(a, approximate='tanh')", lambda o, a: o.gelu(a, approximate="tanh"), ((3, 4),),
       group="activations"),
    Op("silu(a)", lambda o, a: o.silu(a), ((3, 4),), group="activations"),
    Op("softplus(a, beta=2)", lambda o, a: o.softplus(a, beta=2.0), ((3, 4),), group="activations"),
    Op("softmax(a, dim=0)", lambda o, a: o.softmax(a, dim=0), ((3, 4),), group="activations"),
    Op("log_softmax(a, dim=-1)", lambda o, a: o.log_softmax(a, dim=-1), ((3, 4),), group="activations"),
    Op("tanh(x @ w + b).mean()", lambda o, x, w, b: o.tanh(x @ w + b).mean(), ((4, 3), (3, 2), (2,)),
       group="composed"),
    # PyTorch's surface on top of these (module 01's step 4, module 03's given rules)
    Op("a.permute(2, 0, 1)", lambda o, a: a.permute(2, 0, 1), ((2, 3, 4),), group="surface"),
    Op("a.unsqueeze(1).expand(3, 2, 4)", lambda o, a: a.unsqueeze(1).expand(3, 2, 4), ((3, 4),), group="surface"),
    Op("a.repeat(2, 1, 3)", lambda o, a: a.repeat(2, 1, 3), ((2, 3),), group="surface"),
    Op("a.flip(1)", lambda o, a: a.flip(1), ((2, 3),), group="surface"),
    Op("a.view(-1).t() and friends", lambda o, a: a.view(2, -1).t().flatten().unsqueeze(0).squeeze(0),
       ((2, 3),), group="surface"),
    Op("cat([a, b], dim=1)", lambda o, a, b: o.cat([a, b], dim=1), ((2, 3), (2, 2)), group="surface"),
    Op("stack([a, b], dim=1)", lambda o, a, b: o.stack([a, b], dim=1), ((2, 3), (2, 3)), group="surface"),
    Op("a.split(2, dim=1)[1]", lambda o, a: a.split(2, dim=1)[1], ((2, 5),), group="surface"),
    Op("a.gather(1, index)", lambda o, a: a.gather(1, o.tensor([[0, 0, 2], [1, 2, 1]])), ((2, 3),),
       group="surface"),
    Op("a.masked_fill(a > 0, 0.5)", lambda o, a: a.masked_fill(a > 0, 0.5), ((3, 4),), "away", "surface"),
    Op("where(a > 0, a, b)", lambda o, a, b: o.where(a > 0, a, b), ((3, 4), (3, 4)), "away", "surface"),
    Op("maximum(a, b)", lambda o, a, b: o.maximum(a, b), ((3, 4), (3, 4)), group="surface"),
    Op("a.max(dim=1).values", lambda o, a: a.max(dim=1).values, ((3, 4),), "distinct", "surface"),
    Op("a.min(0, keepdim=True)[0]", lambda o, a: a.min(0, keepdim=True)[0], ((3, 4),), "distinct", "surface"),
    Op("a.sort(dim=0, descending=True).values", lambda o, a: a.sort(dim=0, descending=True).values, ((3, 4),),
       "distinct", "surface"),
    Op("a.topk(2).values", lambda o, a: a.topk(2).values, ((3, 4),), "distinct", "surface"),
    Op("a.std(dim=1)", lambda o, a: a.std(dim=1), ((3, 4),), group="surface"),
    Op("a.var(unbiased=False)", lambda o, a: a.var(unbiased=False), ((3, 4),), group="surface"),
    Op("a.norm()", lambda o, a: a.norm(), ((3, 4),), group="surface"),
    Op("a.norm(p=1, dim=0)", lambda o, a: a.norm(p=1, dim=0), ((3, 4),), "away", "surface"),
    Op("a.prod(dim=1)", lambda o, a: a.prod(dim=1), ((3, 4),), group="surface"),
    Op("a.cumsum(dim=1)", lambda o, a: a.cumsum(dim=1), ((3, 4),), group="surface"),
    Op("a.logsumexp(dim=1)", lambda o, a: a.logsumexp(dim=1), ((3, 4),), group="surface"),
    Op("a.sqrt() + a.rsqrt() + a.log1p()", lambda o, a: a.sqrt() + a.rsqrt() + a.log1p(), ((3, 4),),
       "positive", "surface"),
    Op("a.sin() * a.cos() + a.tan()", lambda o, a: a.sin() * a.cos() + a.tan(), ((3, 4),), group="surface"),
    Op("a.atan() + a.erf() + a.expm1()", lambda o, a: a.atan() + a.erf() + a.expm1(), ((3, 4),), group="surface"),
    Op("a.square() + a.reciprocal()", lambda o, a: a.square() + a.reciprocal(), ((3, 4),), "positive", "surface"),
    Op("a.clone() + a.relu() + a.sigmoid()", lambda o, a: a.clone() + a.relu() + a.sigmoid(), ((3, 4),), "away",
       "surface"),
    Op("a.softmax(1) * a.log_softmax(0)", lambda o, a: a.softmax(1) * a.log_softmax(0), ((3, 4),),
       group="surface"),
    Op("in place: y = 2a; y += b; y *= 3; y[0] = b[0]", _in_place_chain, ((3, 4), (3, 4)), group="surface"),
    Op("autograd.Function (x sin x)", lambda o, a: o.x_sin_x(a), ((3, 4),), group="surface"),
)


def find(name: str) -> Op:
    for op in OPS:
        if op.name == name:
            return op
    raise KeyError(name)
