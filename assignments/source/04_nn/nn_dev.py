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
import math
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator

import numpy as np

import tinytorch
from tinytorch.core import activations as _activations
from tinytorch.core import autograd as _autograd
from tinytorch.core.tensor import Tensor, _check_device, _in_place, _target_dtype

# %% [markdown]
# ## Parameter: a Tensor that belongs to a model
#
# A `Parameter` is an ordinary Tensor with one difference: it is created with
# `requires_grad=True`, and when you assign it as an attribute of a Module, the module
# records it. It shares its data with what it was made from (no copy).
#
# Its `.data` is its NumPy array, with PyTorch's in-place methods on top (given), so that
# the initialisation idioms of PyTorch code run unchanged: `m.weight.data.normal_(0, 0.02)`,
# `m.bias.data.fill_(0.01)`, `p.data -= lr * p.grad`. As in PyTorch, a change made through
# `.data` is invisible to autograd.

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

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, np.float32)
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    @property
    def data(self) -> np.ndarray:
        """The parameter's array, with PyTorch's in-place methods too (fill_, normal_, ...)."""
        return self.__dict__["data"]

    @data.setter
    def data(self, value) -> None:
        array = value.data if isinstance(value, Tensor) else value
        if not isinstance(array, ParameterData):
            array = np.asarray(array).view(ParameterData)
        self.__dict__["data"] = array

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class ParameterData(np.ndarray):
    """A parameter's array as `.data` gives it: a NumPy array with PyTorch's in-place methods.

    They write into the parameter's memory and return the array, as PyTorch's return the
    tensor; autograd does not see them (PyTorch's `.data` semantics).
    """

    def _set(self, values):
        np.copyto(self, np.asarray(values.data if isinstance(values, Tensor) else values), casting="unsafe")
        return self

    def fill_(self, value) -> "ParameterData":
        return self._set(value)

    def zero_(self) -> "ParameterData":
        return self._set(0)

    def copy_(self, src) -> "ParameterData":
        return self._set(src)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> "ParameterData":
        return self._set((generator or tinytorch.default_generator).normal(mean, std, self.shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> "ParameterData":
        return self._set((generator or tinytorch.default_generator).uniform(a, b, self.shape))

    def clamp_(self, min=None, max=None) -> "ParameterData":
        return self._set(np.clip(self, min, max))

    def add_(self, other, *, alpha=1) -> "ParameterData":
        return self._set(self + alpha * np.asarray(other))

    def sub_(self, other, *, alpha=1) -> "ParameterData":
        return self._set(self - alpha * np.asarray(other))

    def mul_(self, other) -> "ParameterData":
        return self._set(self * np.asarray(other))

    def div_(self, other) -> "ParameterData":
        return self._set(self / np.asarray(other))

    # `p.data -= lr * p.grad`: NumPy's in-place operators, taking a Tensor as well
    def __iadd__(self, other):
        return super().__iadd__(np.asarray(other))

    def __isub__(self, other):
        return super().__isub__(np.asarray(other))

    def __imul__(self, other):
        return super().__imul__(np.asarray(other))

    def __itruediv__(self, other):
        return super().__itruediv__(np.asarray(other))

    def clone(self) -> Tensor:
        return Tensor(np.array(self, copy=True))

    def copy(self, order="C") -> np.ndarray:
        """A plain NumPy copy (what a state_dict holds)."""
        return self.view(np.ndarray).copy(order)

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)

    def __repr__(self):
        return repr(self.view(np.ndarray))


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

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())  # name -> Tensor: state that is not trained
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value) -> None:
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

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
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

    def register_parameter(self, name: str, param: "Parameter | None") -> None:
        """Record `param` (a Parameter, or None for 'no such parameter') under `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            "(a Parameter or None is required)")
        setattr(self, name, param)

    def add_module(self, name: str, module: "Module") -> None:
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

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """(name, module) for each direct sub-module, in the order they were assigned."""
        yield from self._modules.items()

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """(dotted name, module) for this module ('') and every module below it, once each
        (with remove_duplicate=False, a shared module under each of its names)."""
        seen = set()

        def walk(module, prefix):
            if id(module) in seen and remove_duplicate:
                return
            seen.add(id(module))
            yield prefix, module
            for name, child in module._modules.items():
                yield from walk(child, f"{prefix}.{name}" if prefix else name)

        yield from walk(self, prefix)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
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

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and below it (an iterator, as in PyTorch)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, Tensor) for every buffer of this module and below it."""
        for module_name, module in (self.named_modules(prefix) if recurse else [(prefix, self)]):
            for name in module._buffers:
                buffer = module.__dict__.get(name)  # `self.running_mean = new` replaces the buffer
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of this module and below it (an iterator)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- training state -------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
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

    def eval(self) -> "Module":
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: .grad = None (default), or set_to_none=False: fill each
        gradient with zeros in place (the same Tensor and array, as PyTorch and module 06)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data.fill(0)

    # ---- weights in and out ----------------------------------------------------

    def state_dict(self) -> OrderedDict:
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

    def _with_buffers(self, state):
        """The parameters' `state` with copies of the persistent buffers, every key in PyTorch's
        order (a shared parameter or module under each of its names, as PyTorch saves it)."""
        return OrderedDict((name, state[name] if name in state else tensor.data.copy())
                           for name, tensor in self._named_state())

    def _named_state(self):
        """(name, tensor) of what the state_dict holds, in PyTorch's order: each module's
        parameters, then its persistent buffers (the tensor its attribute holds now)."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            for name, param in module._parameters.items():
                if param is not None:
                    yield (f"{prefix}.{name}" if prefix else name), param
            for name in module._buffers:
                buffer = module.__dict__.get(name)
                if buffer is not None and name not in module._non_persistent_buffers:
                    yield (f"{prefix}.{name}" if prefix else name), buffer

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> "IncompatibleKeys":
        """Copy the arrays of `state_dict` into the parameters, in place.

        Values may be NumPy arrays, Tensors or anything np.asarray reads (PyTorch tensors
        too). strict=True: the keys must match exactly. A shape that differs is an error
        either way. Returns (missing_keys, unexpected_keys).
        """
        own = dict(self._named_state())  # parameters and persistent buffers, by every name they have
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

    def double(self) -> "Module":
        """Every parameter (and gradient, and floating-point buffer) in float64; returns self."""
        return self._cast(np.float64)

    def float(self) -> "Module":
        """Every parameter (and gradient, and floating-point buffer) in float32; returns self."""
        return self._cast(np.float32)

    def half(self) -> "Module":
        return self._cast(np.float16)

    # ---- everything PyTorch has on top (given) -------------------------------------

    def to(self, *args, **kwargs) -> "Module":
        """to(device) (the CPU: nothing moves) and to(dtype) (parameters and float buffers cast); returns self."""
        current = next(self.parameters(), None)
        dtype = _target_dtype(args, kwargs, current.dtype if current is not None else None)
        if dtype is not None and current is not None and np.dtype(dtype) != current.dtype:
            self._cast(np.dtype(dtype))
        return self

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        _check_device("cuda")

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """fn(module) for every sub-module (children first) and then self; returns self.

        The usual use is initialisation: model.apply(init_weights).
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set requires_grad of every parameter (freezing a part of a model); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def register_module(self, name: str, module: "Module") -> None:
        self.add_module(name, module)

    def get_submodule(self, target: str) -> "Module":
        """The module at a dotted path: model.get_submodule('encoder.0')."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    # ---- printing -----------------------------------------------------------------

    def extra_repr(self) -> str:
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
# from one generator, `tinytorch.default_generator` (module 01's `Generator`, a NumPy
# `Generator` with PyTorch's seeding methods), and `tinytorch.manual_seed(n)` resets it,
# as `torch.manual_seed` does. The same seed gives the same weights; it does not give
# PyTorch's weights (its generator is another one).

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


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
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


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
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
    """Write `values` into tensor's array in place (its dtype kept); return the tensor.

    `tensor` may also be an array, as `init.normal_(m.weight.data)` passes it.
    """
    (tensor.data if isinstance(tensor, Tensor) else tensor)[...] = values
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill `tensor` in place with numbers drawn from U(a, b); returns it."""
    rng = generator or tinytorch.default_generator
    return _fill(tensor, rng.uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill `tensor` in place with numbers drawn from N(mean, std^2); returns it."""
    rng = generator or tinytorch.default_generator
    return _fill(tensor, rng.normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
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


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
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


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """He: U(-bound, bound) with std = gain / sqrt(fan), bound = sqrt(3) std; in place."""
    if 0 in tensor.shape:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
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

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.in_features, self.out_features = in_features, out_features
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
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

    def forward(self, x: Tensor) -> Tensor:
        # TODO: return x @ W^T + b as a Tensor (no bias: skip it).
        # HINTS: Tensor operations only, so autograd can follow them. weight is (out, in).
        ### BEGIN SOLUTION
        out = x @ self.weight.T
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION

    def extra_repr(self) -> str:
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
from tito.offers import feedback_module  # noqa: E402

feedback = feedback_module("nn")  # this module's feedback.py: its figures
init_spread, init_scale_figure = feedback.init_spread, feedback.init_scale_figure

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

    def __init__(self, *modules: "Module"):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x: Tensor) -> Tensor:
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

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self


class ModuleList(Module):
    """A list of Modules, registered as '0', '1', ... (PyTorch's nn.ModuleList).

    It has no forward: a model holding one decides how to use its modules.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[index]

    def __setitem__(self, index, module):
        index = range(len(self))[index]
        self.add_module(str(index), module)

    def __delitem__(self, index):
        items = list(self._modules.values())
        del items[index]
        for name in list(self._modules):
            delattr(self, name)
        self.extend(items)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        for name in list(self._modules):
            delattr(self, name)
        self.extend(items)


class ModuleDict(Module):
    """A dict of Modules, registered under their keys (PyTorch's nn.ModuleDict)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str):
        return self._modules[key]

    def __setitem__(self, key: str, module):
        self.add_module(key, module)

    def __delitem__(self, key: str):
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules):
        for key, module in (modules.items() if hasattr(modules, "items") else modules):
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self._modules[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]


class ParameterList(Module):
    """A list of Parameters, registered as '0', '1', ... (PyTorch's nn.ParameterList)."""

    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def append(self, value):
        self.register_parameter(str(len(self)), value if isinstance(value, Parameter) else Parameter(value))
        return self

    def __getitem__(self, index):
        return list(self._parameters.values())[index]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())


class Flatten(Module):
    """Flatten(start_dim=1, end_dim=-1): the axes start_dim..end_dim merged into one."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
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

    def __init__(self, p: float = 0.5, inplace: bool = False):
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

from tito.offers import feedback_module  # noqa: E402

dropout_figure = feedback_module("nn").dropout_figure  # this module's feedback.py

dropout_figure(Dropout);

# %% [markdown]
# ## The activations as layers (given)
#
# PyTorch has each activation twice: a function in `torch.nn.functional` (`F.relu(x)`)
# and a layer in `torch.nn` (`nn.ReLU()`), a Module whose `forward` calls the function,
# so that it fits in a `Sequential`. Both are given below, written out one by one as in
# PyTorch. The functions take PyTorch's arguments (`inplace=`, `dim=`) and run module
# 02's maths through module 03's autograd (`x.relu()` is module 02's `relu`, recorded);
# the layers keep their arguments, show them in the repr (`extra_repr`) and hold no
# parameters.
#
# A module 02 instance (from `tinytorch.core.activations`) is not a Module: `Sequential`
# refuses it with a TypeError naming the layer to use, as PyTorch refuses what is not a
# Module.

# %%
#| export
def _activation(input: Tensor, compute, inplace: bool) -> Tensor:
    """compute(input), or (inplace=True) the same written into input itself."""
    return _in_place(input, compute) if inplace else compute(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x) elementwise."""
    return _activation(input, Tensor.relu, inplace)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x) elementwise."""
    return input.tanh()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _activation(input, lambda x: _autograd.leaky_relu(x, negative_slope), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _activation(input, lambda x: _autograd.elu(x, alpha), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (approximate='none') or its tanh approximation ('tanh')."""
    return _autograd.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _activation(input, _autograd.silu, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta."""
    return _autograd.softplus(input, beta, threshold)


def _softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's choice when softmax is called without a dim (with its warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim: positive values that sum to 1."""
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_softmax_dim("softmax", x.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - log(sum_j exp(x_j)) along dim."""
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(_softmax_dim("log_softmax", x.ndim) if dim is None else dim)


# three more functions of torch.nn.functional that models and tutorials use
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias: what Linear computes, with the weights passed in."""
    out = input @ weight.T
    return out if bias is None else out + bias


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) when training."""
    layer = Dropout(p)
    layer.training = training
    return _activation(input, layer, inplace)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (int64) as rows of zeros with a 1 at the class: shape (*, num_classes), int64."""
    if tensor.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor, not {tensor.dtype}")
    count = int(tensor.data.max()) + 1 if num_classes == -1 and tensor.numel() else max(num_classes, 0)
    if tensor.numel() and (tensor.data.min() < 0 or tensor.data.max() >= count):
        raise RuntimeError(f"Class values must be non-negative and smaller than num_classes={count}")
    return Tensor(np.eye(count, dtype=np.int64)[tensor.data])


class ReLU(Module):
    """Applies relu(x) = max(0, x) elementwise.

    Args: inplace: change the input itself. Default: False.
    Shape: input (*), output (*): the same shape.

    >>> ReLU()(Tensor([-1.0, 2.0]))
    Tensor([0., 2.], dtype=float32)
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """Applies sigmoid(x) = 1 / (1 + exp(-x)) elementwise. Shape: input (*), output (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


class Tanh(Module):
    """Applies tanh(x) elementwise. Shape: input (*), output (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


class LeakyReLU(Module):
    """Applies x for x > 0, negative_slope * x otherwise.

    Args: negative_slope: Default: 0.01. inplace: Default: False.
    Shape: input (*), output (*).
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """Applies x for x > 0, alpha * (exp(x) - 1) otherwise.

    Args: alpha: elu(-inf) = -alpha. Default: 1.0. inplace: Default: False.
    Shape: input (*), output (*).
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """Applies x * Phi(x) (approximate='none', exact) or its tanh approximation ('tanh').

    Shape: input (*), output (*).
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        _activations._check_approximate(approximate)
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """Applies silu(x) = x * sigmoid(x) elementwise. Shape: input (*), output (*)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """Applies log(1 + exp(beta * x)) / beta elementwise.

    Args: beta: Default: 1.0. threshold: kept for PyTorch (the stable form needs no switch).
    Shape: input (*), output (*).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Applies softmax along dim: positive values that sum to 1.

    Args: dim: the axis that sums to 1 (None: PyTorch's old implicit choice, with a warning).
    Shape: input (*), output (*).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Applies log(softmax(x)) along dim, computed in the log domain.

    Args: dim: the axis to normalise over (None: PyTorch's old implicit choice).
    Shape: input (*), output (*).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

# %% [markdown]
# ### A whole model, and its PyTorch names

# %%
model = Sequential(Flatten(), Linear(64, 32), ReLU(), Dropout(0.1), Linear(32, 10))
print(model)
print({name: value.shape for name, value in model.state_dict().items()})
assert list(model.state_dict()) == ["1.weight", "1.bias", "4.weight", "4.bias"]
assert model(Tensor(np.zeros((5, 1, 8, 8), np.float32))).shape == (5, 10)
leaky = LeakyReLU(0.2)
assert isinstance(leaky, Module) and repr(leaky) == "LeakyReLU(negative_slope=0.2)"
assert list(leaky.parameters()) == [] and leaky.state_dict() == {}

# %% [markdown]
# ### PyTorch's conveniences, given
#
# The initialisation idioms of PyTorch code, `model.apply(fn)` (every module, children
# first), `.data` with its in-place methods, a `ModuleList`, and a buffer that lands in
# the state_dict after its module's parameters.

# %%
def init_weights(m):
    if isinstance(m, Linear):
        m.weight.data.normal_(0.0, 0.02)
        m.bias.data.fill_(0.01)


class Stack(Module):
    def __init__(self):
        super().__init__()
        self.layers = ModuleList([Linear(8, 8) for _ in range(3)])
        self.register_buffer("calls", Tensor(np.zeros((), np.int64)))

    def forward(self, x):
        self.calls.data += 1  # state that is saved, never trained
        for layer in self.layers:
            x = relu(layer(x))
        return x


stack = Stack().apply(init_weights)
stack(Tensor(np.ones((2, 8), np.float32)))
assert abs(stack.layers[0].weight.data.std() - 0.02) < 0.01 and np.all(stack.layers[2].bias.data == np.float32(0.01))
print(list(stack.state_dict()))
assert list(stack.state_dict())[0] == "calls" and stack.state_dict()["calls"] == 1  # own state first, as PyTorch


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
