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
# # Module 04: nn, the pieces a network is made of
#
# A network is a function with many numbers inside it, the *parameters*, which
# training moves. This module builds the containers that hold them, with PyTorch's
# names, so that a model you write here loads PyTorch's weights and PyTorch loads yours:
#
# | piece | what it is |
# |---|---|
# | `Parameter` | a Tensor that a module owns and training moves (`requires_grad=True`) |
# | `Module` | a layer or a whole model: finds its parameters and sub-modules by itself |
# | `Linear(in_features, out_features)` | `y = x W^T + b`, with `W` shaped (out, in) |
# | `Sequential(*layers)` | layers applied one after the other |
# | `Flatten`, `Identity`, `Dropout(p)` | reshaping, nothing, and random silencing |
# | `ReLU()`, `Tanh()`, ... | module 02's activations, now Modules |
# | `init.*` | how the first weights are drawn, and why the scale matters |
#
# ```bash
# tito test nn        # the full tests, cross-checked against PyTorch
# tito check nn       # report card: each layer against the reference, init statistics
# tito plot nn        # the figures of this chapter
# tito sync           # put your code into tinytorch/core/nn.py (tinytorch.nn)
# ```

# %%
#| default_exp core.nn

# %%
#| export
import inspect
import math
from collections import OrderedDict, namedtuple

import numpy as np

import tinytorch
from tinytorch.core import activations as _activations
from tinytorch.core import autograd as _autograd
from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Parameter: a Tensor that belongs to a model
#
# A `Parameter` is an ordinary Tensor with one difference: it is created with
# `requires_grad=True`, and when you assign it as an attribute of a Module, the module
# records it. It shares its data with what it was made from (no copy).

# %%
#| export
class Parameter(Tensor):
    """A Tensor that a Module registers as one of its parameters.

    Parameter(data=None, requires_grad=True); data: anything Tensor accepts (None: an
    empty float32 tensor). A Tensor's array is shared, not copied.

    >>> p = Parameter(Tensor([1.0, 2.0]))
    >>> p.requires_grad
    True
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, np.float32)
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


# %% [markdown]
# ## Module: registration by attribute
#
# In PyTorch you never list a layer's parameters by hand. You write
#
# ```python
# self.weight = Parameter(...)
# self.hidden = Linear(4, 8)
# ```
#
# and `model.parameters()` finds them, however deep they sit. The trick is
# `__setattr__`, which Python calls for every `self.name = value`. `Module` keeps two
# ordered dictionaries: `_parameters` (name -> Parameter) and `_modules` (name -> Module).
# Assigning a Parameter or a Module records it there (and as a normal attribute);
# assigning anything else to a recorded name removes the record, so
# `self.bias = None` really removes a bias.
#
# Names then compose with dots: a `Sequential` of two `Linear` layers has the parameters
# `0.weight`, `0.bias`, `1.weight`, `1.bias`, exactly the keys PyTorch uses.

# %%
#| export
class Module:
    """The base class of every layer and model (PyTorch's torch.nn.Module).

    Subclasses call super().__init__() first, assign Parameters and Modules as
    attributes, and define forward(); calling the module calls forward.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())  # name -> Tensor: state that is not trained
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        """self.name = value, recording Parameters and Modules."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call: "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        # TODO: record value in self._parameters or self._modules under `name`.
        # APPROACH:
        #   1. A Parameter goes into self._parameters, a Module into self._modules.
        #   2. Anything else: the name leaves both dictionaries (pop it, if it is there).
        #   3. Always also set the plain attribute: object.__setattr__(self, name, value).
        # HINTS: test for Parameter, not Tensor: a plain Tensor attribute is not a parameter.
        ### BEGIN SOLUTION
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)
        ### END SOLUTION

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """Record `tensor` (a Tensor, or None) under `name` as a buffer: state that is not a
        parameter (BatchNorm's running statistics), in the state_dict unless persistent=False."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} (a Tensor or None is required)")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name, param):
        """Record `param` (a Parameter, or None for 'no such parameter') under `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            "(a Parameter or None is required)")
        setattr(self, name, param)

    def add_module(self, name, module):
        """Record `module` under `name` (what Sequential does for '0', '1', ...)."""
        if not isinstance(module, Module):
            hint = (f": it is module 02's class (tinytorch.core.activations); use tinytorch.nn."
                    f"{type(module).__name__}, its Module" if isinstance(module, _activations.Activation) else "")
            raise TypeError(f"{type(module).__name__} is not a Module subclass{hint}")
        setattr(self, name, module)

    # ---- running -------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define it in the subclass")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- walking the tree ---------------------------------------------------

    def named_children(self):
        """(name, module) for each direct sub-module, in the order they were assigned."""
        yield from self._modules.items()

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ('') and every module below it, once each."""
        seen = set()

        def walk(module, prefix):
            if id(module) in seen:
                return
            seen.add(id(module))
            yield prefix, module
            for name, child in module._modules.items():
                yield from walk(child, f"{prefix}.{name}" if prefix else name)

        yield from walk(self, prefix)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) for every parameter of this module and below it.

        A parameter shared by two layers is listed once, under its first name.

        >>> list(name for name, _ in Sequential(Linear(2, 3), ReLU()).named_parameters())
        ['0.weight', '0.bias']
        """
        # TODO: yield (name, parameter) pairs, own parameters first, then each child's.
        # APPROACH:
        #   1. Walk the modules: self.named_modules(prefix) when recurse, else only
        #      (prefix, self).
        #   2. For each module's _parameters items, the full name is
        #      f"{module_name}.{name}", or just `name` when module_name is "".
        #   3. Skip None entries and any parameter already yielded (compare id()).
        # HINTS: a generator: `yield name, p`. A set of ids remembers what was yielded.
        ### BEGIN SOLUTION
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        seen = set()
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param
        ### END SOLUTION

    def parameters(self, recurse=True):
        """Every Parameter of this module and below it (an iterator, as in PyTorch)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        """(dotted name, Tensor) for every buffer of this module and below it."""
        for module_name, module in (self.named_modules(prefix) if recurse else [(prefix, self)]):
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse=True):
        """Every buffer of this module and below it (an iterator)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- training state -------------------------------------------------------

    def train(self, mode=True):
        """Training mode (Dropout active) for this module and every module below; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        # TODO: set .training = mode on this module and on every module below it.
        # HINTS: self.modules() walks the whole tree, self included.
        ### BEGIN SOLUTION
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        ### END SOLUTION
        return self

    def eval(self):
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: .grad = None (default), or set_to_none=False: fill each
        gradient with zeros in place (the same Tensor and array, as PyTorch and module 06)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data.fill(0)

    # ---- weights in and out ----------------------------------------------------

    def state_dict(self):
        """An OrderedDict from each parameter's dotted name to a copy of its NumPy array
        (and each persistent buffer's, after its module's parameters, as PyTorch orders them).

        The keys and shapes are those of the same model in PyTorch ('0.weight', ...).
        """
        # TODO: build the dictionary `state` from self.named_parameters().
        # HINTS: copy each array (.data.copy()): a saved state must not change when
        #        training later moves the weights.
        ### BEGIN SOLUTION
        state = OrderedDict((name, param.data.copy()) for name, param in self.named_parameters())
        ### END SOLUTION
        return self._with_buffers(state)

    def _persistent_buffers(self):
        return OrderedDict((f"{prefix}.{name}" if prefix else name, buffer)
                           for prefix, module in self.named_modules()
                           for name, buffer in module._buffers.items()
                           if buffer is not None and name not in module._non_persistent_buffers)

    def _with_buffers(self, state):
        """The parameters' `state` with copies of the persistent buffers, each module's
        after its own parameters (PyTorch's order of keys)."""
        buffers = self._persistent_buffers()
        if not buffers:
            return state
        ordered = OrderedDict()
        for prefix, module in self.named_modules():
            for name in [*module._parameters, *module._buffers]:
                key = f"{prefix}.{name}" if prefix else name
                if key in state:
                    ordered[key] = state[key]
                elif key in buffers:
                    ordered[key] = buffers[key].data.copy()
        return ordered

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of `state_dict` into the parameters, in place.

        Values may be NumPy arrays, Tensors or anything np.asarray reads (PyTorch tensors
        too). strict=True: the keys must match exactly. A shape that differs is an error
        either way. Returns (missing_keys, unexpected_keys).
        """
        own = {**dict(self.named_parameters()), **self._persistent_buffers()}
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
        arrays = {}
        for name, param in own.items():
            if name in state_dict:
                value = np.asarray(state_dict[name])
                if value.shape != param.shape:
                    problems.append(f"size mismatch for {name}: copying a param with shape {value.shape} "
                                    f"from checkpoint, the shape in current model is {param.shape}")
                arrays[name] = value
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(problems))
        # TODO: copy each array into its parameter in place, keeping the parameter's dtype.
        # HINTS: write into the existing array (param.data[...] = ...), do not replace it:
        #        an optimizer made before loading still holds these very parameters.
        ### BEGIN SOLUTION
        for name, value in arrays.items():
            own[name].data[...] = value
        ### END SOLUTION
        return IncompatibleKeys(missing, unexpected)

    def _cast(self, dtype):
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            if param.grad is not None:
                param.grad = Tensor(np.asarray(param.grad).astype(dtype))
        for buffer in self.buffers():
            if buffer.dtype.kind == "f":  # counters stay integers
                buffer.data = buffer.data.astype(dtype)
        return self

    def double(self):
        """Every parameter (and gradient, and floating-point buffer) in float64; returns self."""
        return self._cast(np.float64)

    def float(self):
        """Every parameter (and gradient, and floating-point buffer) in float32; returns self."""
        return self._cast(np.float32)

    # ---- printing -----------------------------------------------------------------

    def extra_repr(self):
        """The arguments shown between the parentheses of the repr; '' by default."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# %% [markdown]
# ### Check: registration, names, modes
#
# A small model built by hand (the `Sequential` below does this for you later). Every
# name is found without listing anything.

# %%
class Tiny(Module):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(Tensor([2.0]))
        self.note = "not a parameter"
        self.inner = Module()
        self.inner.shift = Parameter(Tensor([0.5, 0.5]))


tiny = Tiny()
print([name for name, _ in tiny.named_parameters()])
assert [name for name, _ in tiny.named_parameters()] == ["scale", "inner.shift"]
assert list(tiny.state_dict()) == ["scale", "inner.shift"]
assert tiny.eval() is tiny and not tiny.training and not tiny.inner.training
tiny.scale = None
assert [name for name, _ in tiny.named_parameters()] == ["inner.shift"]

# %% [markdown]
# ## Random numbers you can repeat: `tinytorch.manual_seed`
#
# Weights start random. For a run you can repeat, every random draw in TinyTorch comes
# from one generator, `tinytorch.default_generator` (a NumPy `Generator`), and
# `tinytorch.manual_seed(n)` resets it, as `torch.manual_seed` does. The same seed gives
# the same weights; it does not give PyTorch's weights (its generator is another one).
# Both are given: `tito sync` puts them at the top level, `tinytorch.manual_seed`.

# %%
#| export
# Every random draw in TinyTorch (weight init, Dropout, shuffling) comes from this one
# NumPy Generator; `manual_seed` resets it in place, so code holding it sees the new seed.
default_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed TinyTorch's random numbers (as torch.manual_seed); returns the generator.

    The same seed gives the same draws in TinyTorch; PyTorch's generator is a different one.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
    default_generator.bit_generator.state = np.random.PCG64(int(seed)).state
    return default_generator

# %%
tinytorch.manual_seed(0)
first = tinytorch.default_generator.random(3)
tinytorch.manual_seed(0)
assert np.array_equal(first, tinytorch.default_generator.random(3))

# %% [markdown]
# ## Initialisation: why the scale matters
#
# A layer computes `y_i = sum_j W_ij x_j + b_i`, a sum of `fan_in` terms. If the weights
# have variance `s^2` and the inputs variance `v`, each output has variance about
# `fan_in s^2 v`. Through 10 layers that factor multiplies 10 times: with `fan_in s^2 = 2`
# the signal grows 1000-fold; with 1/2 it fades 1000-fold; only a factor of one keeps
# it. The cell below pushes a batch through 10 layers of width 256 with ReLU between
# them at three scales, and plots the spread (standard deviation) of each layer's output.
#
# - `s = 0.01` (the "small random numbers" of old tutorials): the signal vanishes.
# - `s = 1` (`randn`, no scaling): it explodes.
# - `s = sqrt(2 / fan_in)` (Kaiming He, 2015): it stays put, because ReLU zeroes half
#   of each layer's inputs and the factor 2 gives that half back.
#
# PyTorch's `Linear` uses `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` by default, variance
# `1/(3 fan_in)`: too small for deep ReLU stacks. Each layer multiplies the variance by
# 1/3 (the uniform) times 1/2 (the ReLU), so the spread shrinks about 2.5x per layer,
# 1e-4 after 10 layers: the reason the `init` functions exist.
#
# **The formulas** (PyTorch's, the ones to write):
#
# - `fan_in` = the number of inputs of one output = `weight.shape[1]` times the
#   receptive field (1 for Linear); `fan_out` = `weight.shape[0]` times it.
# - gain: 1 for linear and sigmoid, 5/3 for tanh, sqrt(2) for ReLU,
#   sqrt(2 / (1 + a^2)) for leaky ReLU with slope `a` (0.01 when not given).
# - Xavier (Glorot, 2010): std = gain sqrt(2 / (fan_in + fan_out)).
# - Kaiming (He, 2015): std = gain / sqrt(fan), fan = fan_in (default) or fan_out.
# - a uniform U(-bound, bound) has std = bound / sqrt(3), so bound = sqrt(3) std.

# %%
#| export
_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
          "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def calculate_gain(nonlinearity, param=None):
    """The gain PyTorch recommends for a nonlinearity (see torch.nn.init.calculate_gain).

    >>> calculate_gain("relu")
    1.4142135623730951
    """
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight shaped (out, in, *receptive field)."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
                         f"(this one has shape {tensor.shape})")
    # TODO: return (fan_in, fan_out).
    # APPROACH: the receptive field is the product of shape[2:] (1 when there is none);
    #           fan_in = shape[1] * field, fan_out = shape[0] * field.
    # HINTS: a Linear weight is (out, in): the SECOND axis is the input.
    ### BEGIN SOLUTION
    field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * field, tensor.shape[0] * field
    ### END SOLUTION


def _fill(tensor, values):
    """Write `values` into tensor's array in place (its dtype kept); return the tensor."""
    tensor.data[...] = values
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill `tensor` in place with numbers drawn from U(a, b); returns it."""
    rng = generator or tinytorch.default_generator
    return _fill(tensor, rng.uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill `tensor` in place with numbers drawn from N(mean, std^2); returns it."""
    rng = generator or tinytorch.default_generator
    return _fill(tensor, rng.normal(mean, std, tensor.shape))


def constant_(tensor, val):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot: U(-bound, bound) with std = gain sqrt(2 / (fan_in + fan_out)); in place."""
    # TODO: compute the bound and fill the tensor.
    # APPROACH: fans from _calculate_fan_in_and_fan_out; std from the formula above;
    #           bound = sqrt(3) std; then uniform_(tensor, -bound, bound, generator).
    ### BEGIN SOLUTION
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)
    ### END SOLUTION


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot: N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out)); in place."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    # TODO: return the Kaiming std: gain / sqrt(fan).
    # APPROACH: fan = fan_in or fan_out as `mode` says; gain = calculate_gain(nonlinearity, a).
    # HINTS: `a` is the negative slope of a leaky ReLU; calculate_gain ignores it otherwise.
    ### BEGIN SOLUTION
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)
    ### END SOLUTION


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: U(-bound, bound) with std = gain / sqrt(fan), bound = sqrt(3) std; in place."""
    if 0 in tensor.shape:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: N(0, std^2) with std = gain / sqrt(fan); in place."""
    if 0 in tensor.shape:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


# %% [markdown]
# ## Linear: `y = x W^T + b`
#
# `Linear(in_features, out_features)` holds `weight`, shaped **(out_features,
# in_features)**, and `bias`, shaped (out_features,). PyTorch stores the weight this way
# round (row `i` holds the weights of output `i`), so `y = x @ weight.T + bias`. A
# weight stored as (in, out) computes the same thing, but no PyTorch checkpoint loads
# into it: the shapes must match, key by key.
#
# **Default init** (PyTorch's): weight and bias both from U(-1/sqrt(in_features),
# 1/sqrt(in_features)). Not `randn` (the exploding curve above), not zeros (every
# output unit would stay the same as every other forever).
#
# `forward` uses Tensor operations only (`@`, `.T`, `+`), so autograd differentiates it
# without a line of backward code from you: x of shape (*, in_features) gives
# (*, out_features).

# %%
#| export
class Linear(Module):
    """y = x W^T + b. Linear(in_features, out_features, bias=True, dtype=None).

    weight: Parameter (out_features, in_features); bias: Parameter (out_features,) or
    None. Both start from U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's default).
    Shape: input (*, in_features), output (*, out_features). dtype: float32 by default.

    >>> Linear(3, 2).weight.shape
    (2, 3)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw weight and bias again from U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        # TODO: fill self.weight and (when there is one) self.bias.
        # APPROACH: bound = 1 / sqrt(in_features) (0 when in_features is 0); then
        #           uniform_(..., -bound, bound) on each.
        # HINTS: the bias draws from the same bound, from the INPUT count, not the output.
        ### BEGIN SOLUTION
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            uniform_(self.bias, -bound, bound)
        ### END SOLUTION

    def forward(self, x):
        # TODO: return x @ W^T + b as a Tensor (no bias: skip it).
        # HINTS: Tensor operations only, so autograd can follow them. weight is (out, in).
        ### BEGIN SOLUTION
        out = x @ self.weight.T
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# %% [markdown]
# ### Check: shapes, the init's range, and PyTorch's key names

# %%
tinytorch.manual_seed(0)
layer = Linear(784, 256)
print(layer)
assert layer.weight.shape == (256, 784) and layer.bias.shape == (256,)
assert layer.weight.dtype == np.float32
bound = 1 / math.sqrt(784)
assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.99 * bound
assert np.abs(layer.bias.data).max() <= bound
assert layer(Tensor(np.ones((64, 784), np.float32))).shape == (64, 256)
assert list(layer.state_dict()) == ["weight", "bias"]

# %% [markdown]
# ### The three scales, measured
#
# The spread of each layer's output through 10 layers of `Linear(256, 256)` and ReLU,
# built from your `Linear` and `init` functions.

# %%
from tito.feedback.nn import init_spread, init_scale_figure  # noqa: E402

spread = init_spread(Linear=Linear, ReLU=_activations.ReLU, normal_=normal_)
for name, stds in spread.items():
    print(f"{name:32s} layer 1: {stds[0]:9.3g}   layer 10: {stds[-1]:9.3g}")
init_scale_figure(spread);

# %% [markdown]
# ## Sequential, Flatten, Identity
#
# `Sequential(a, b, c)` registers its layers under the names `0`, `1`, `2` and applies
# them in order. `Flatten()` turns (N, 1, 8, 8) images into (N, 64) rows (it keeps
# the first axis, the batch). `Identity()` returns its input: a placeholder when a
# layer is switched off.

# %%
#| export
class Sequential(Module):
    """Modules applied in order: Sequential(Linear(4, 8), ReLU(), Linear(8, 1)).

    Also Sequential(OrderedDict(name=module, ...)). Indexing (model[0], model[1:]),
    len() and iteration as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        # TODO: pass x through every module in order; return the result.
        ### BEGIN SOLUTION
        for module in self._modules.values():
            x = module(x)
        return x
        ### END SOLUTION

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Flatten(Module):
    """Flatten(start_dim=1, end_dim=-1): the axes start_dim..end_dim merged into one."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        shape = x.shape
        start = self.start_dim % len(shape) if shape else 0
        end = self.end_dim % len(shape) if shape else 0
        return x.reshape(shape[:start] + (-1,) + shape[end + 1:]) if shape else x.reshape(1)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


# %% [markdown]
# ## Dropout: train vs eval
#
# During training, `Dropout(p)` sets each element to zero with probability `p`, so no
# unit can rely on any single other unit. The survivors are multiplied by `1/(1-p)`
# ("inverted" dropout), so each element's *expected* value is unchanged and nothing needs
# rescaling at test time. In `eval()` mode Dropout does nothing at all: predictions are
# deterministic.
#
# The mask is a Tensor of constants (0 or 1/(1-p)), so autograd sends the gradient only
# through the survivors, scaled the same way.

# %%
#| export
class Dropout(Module):
    """Dropout(p=0.5, inplace=False): zero each element with probability p in training,
    scale the rest by 1/(1-p); the identity in eval mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        # TODO: in eval mode (or p == 0) return x; else x times a random mask.
        # APPROACH:
        #   1. keep = draws of tinytorch.default_generator.random(x.shape) that are >= p.
        #   2. mask = keep / (1 - p) in x's dtype (p == 1: every element is dropped, all zeros).
        #   3. return x * Tensor(mask).
        # HINTS: self.training says which mode. Multiplying by a Tensor keeps autograd's graph.
        ### BEGIN SOLUTION
        if not self.training or self.p == 0:
            return x
        keep = tinytorch.default_generator.random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        return x * Tensor((keep * scale).astype(x.dtype))
        ### END SOLUTION

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


# %% [markdown]
# ### Check: what Dropout does in each mode
#
# The figure: a batch of ones in training mode (about half the elements dropped, the
# rest doubled, so each row's mean stays near 1) and in eval mode.

# %%
tinytorch.manual_seed(0)
drop = Dropout(0.25)
x = Tensor(np.ones((1000, 100), np.float32))
y = drop(x).data
print(f"train: {np.mean(y == 0):.3f} of the elements dropped, survivors = {y.max():.4f}, mean = {y.mean():.4f}")
assert abs(np.mean(y == 0) - 0.25) < 0.01 and np.allclose(y[y != 0], 1 / 0.75) and abs(y.mean() - 1) < 0.01
drop.eval()
assert np.array_equal(drop(x).data, x.data)
print("eval: the input, unchanged")

from tito.feedback.nn import dropout_figure  # noqa: E402

dropout_figure(Dropout);

# %% [markdown]
# ## The activations are Modules
#
# Module 02's classes (`ReLU`, `Sigmoid`, ..., `LogSoftmax`) become Modules here without
# losing anything. Each class below is a subclass of both `Module` and module 02's class
# of the same name: the same constructor arguments, `backward` and repr, plus everything
# a Module has (`parameters()` (none), `train`/`eval`, `state_dict()` (empty),
# `zero_grad`, a place in a `Sequential`'s repr). Only `forward` is new: it runs module
# 03's differentiable form of the same function, so autograd follows it. One function
# makes all ten; nothing of module 02 is copied or changed.
#
# `tinytorch.nn.ReLU` and the other nine are these classes as soon as your `Module`
# works. Until then (while this module's exercises still raise NotImplementedError)
# they are module 02's classes, so modules 01 and 02 work on their own. A module 02
# instance (from `tinytorch.core.activations`) is not a Module: `Sequential` refuses it
# with a TypeError naming the class to use, as PyTorch refuses what is not a Module.

# %%
#| export
def _activation_module(base, function):
    """`base` (a module 02 activation class) as a Module subclass of the same name.

    forward runs `function`, module 03's differentiable form of the activation, with the
    instance's constructor arguments (e.g. negative_slope); backward(grad_output) is
    module 02's, for the input of the most recent forward.
    """
    signature = inspect.signature(base)  # e.g. (negative_slope=0.01)
    options = list(signature.parameters)

    def __init__(self, *args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{base.__name__}(): {exc}") from None
        Module.__init__(self)
        base.__init__(self, *args, **kwargs)

    def forward(self, x):
        object.__setattr__(self, "_forward_input", x.data if isinstance(x, Tensor) else x)
        return function(x, **{name: getattr(self, name) for name in options})

    def backward(self, grad_output):
        x = self.saved("_forward_input")  # module 02's RuntimeError before any forward
        base.forward(self, Tensor(x))     # module 02's forward keeps what its backward needs
        return base.backward(self, grad_output)

    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = signature.replace(parameters=[self_parameter, *signature.parameters.values()])
    namespace = {"__init__": __init__, "forward": forward, "backward": backward, "__repr__": base.__repr__,
                 "extra_repr": base.extra_repr,  # module 02's repr arguments, not Module's empty ones
                 "__doc__": base.__doc__, "__module__": __name__, "__qualname__": base.__name__}
    return type(base.__name__, (Module, base), namespace)


ReLU = _activation_module(_activations.ReLU, _autograd.relu)
Sigmoid = _activation_module(_activations.Sigmoid, _autograd.sigmoid)
Tanh = _activation_module(_activations.Tanh, _autograd.tanh)
LeakyReLU = _activation_module(_activations.LeakyReLU, _autograd.leaky_relu)
ELU = _activation_module(_activations.ELU, _autograd.elu)
GELU = _activation_module(_activations.GELU, _autograd.gelu)
SiLU = _activation_module(_activations.SiLU, _autograd.silu)
Softplus = _activation_module(_activations.Softplus, _autograd.softplus)
Softmax = _activation_module(_activations.Softmax, _autograd.softmax)
LogSoftmax = _activation_module(_activations.LogSoftmax, _autograd.log_softmax)

# %% [markdown]
# ### A whole model, and its PyTorch names

# %%
model = Sequential(Flatten(), Linear(64, 32), ReLU(), Dropout(0.1), Linear(32, 10))
print(model)
print({name: value.shape for name, value in model.state_dict().items()})
assert list(model.state_dict()) == ["1.weight", "1.bias", "4.weight", "4.bias"]
assert model(Tensor(np.zeros((5, 1, 8, 8), np.float32))).shape == (5, 10)
leaky = LeakyReLU(0.2)
assert isinstance(leaky, Module) and isinstance(leaky, _activations.LeakyReLU)
assert repr(leaky) == "LeakyReLU(negative_slope=0.2)" and list(leaky.parameters()) == []

# %% [markdown]
# ## Weights that move both ways
#
# Because the names and shapes are PyTorch's, moving a model between the two is one
# line each way (with PyTorch installed):
#
# ```python
# torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
# model.load_state_dict(torch_model.state_dict())
# ```
#
# The module's tests do exactly this with a 784-256-128-10 network in float64 and
# require the two outputs to agree to 1e-12.
#
# ## What's next
#
# - **Losses** (module 05) measure how wrong a model's output is: `CrossEntropyLoss`,
#   `MSELoss`, ...
# - **Optimizers** (module 06) move `model.parameters()` along their gradients.
#
# Run `tito test nn` for the full tests, `tito check nn` for the report card, and
# `tito sync` to put your layers into the package.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (parameter names, a shape, an error for a missing state_dict key)
# share 5% of the score; the tests that need the right values share the other 95%.
