"""Module 04's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function or method as a learner writes it (tito/catalogue.py says
how they run: `tito catalogue nn`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 20

LINEAR_INIT = """
class Linear:
    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty({weight_shape}, dtype))
        self.bias = {bias} if bias else None
        self.reset_parameters()
"""
RESET = """
class Linear:
    def reset_parameters(self):
        bound = 1 / math.sqrt(self.{fan}) if self.{fan} > 0 else 0.0
        {weight}
        if self.bias is not None:
            {bias}
"""


def reset(fan="in_features", weight="uniform_(self.weight, -bound, bound)", bias="uniform_(self.bias, -bound, bound)"):
    return RESET.format(fan=fan, weight=weight, bias=bias)


DROPOUT = """
class Dropout:
    def forward(self, x):
        if {skip}:
            return x
        keep = {keep}
        scale = 0.0 if self.p == 1 else {scale}
        return x * Tensor((keep * scale).astype(x.dtype))
"""


def dropout(skip="not self.training or self.p == 0", keep="tinytorch.default_generator.random(x.shape) >= self.p",
            scale="1.0 / (1.0 - self.p)"):
    return DROPOUT.format(skip=skip, keep=keep, scale=scale)


SETATTR = """
class Module:
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {{name!r}} before Module.__init__() call: "
                                 f"call super().__init__() first in {{type(self).__name__}}.__init__")
{forget}        if isinstance(value, {kind}):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        {store}
"""
FORGET = "        self._parameters.pop(name, None)\n        self._modules.pop(name, None)\n"


def setattr_(forget=FORGET, kind="Parameter", store="object.__setattr__(self, name, value)"):
    return SETATTR.format(forget=forget, kind=kind, store=store)


NAMED_PARAMETERS = """
class Module:
    def named_parameters(self, prefix="", recurse=True):
        modules = {modules}
        seen = set()
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if {skip}:
                    continue
                seen.add(id(param))
                yield {named}, param
"""


def named_parameters(modules="self.named_modules(prefix) if recurse else [(prefix, self)]",
                     skip="param is None or id(param) in seen",
                     named='(f"{module_name}.{name}" if module_name else name)'):
    return NAMED_PARAMETERS.format(modules=modules, skip=skip, named=named)


KAIMING_STD = """
def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {{mode}} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = {fan}
    return {std}
"""

MISTAKES = [
    Mistake("weight_transposed", "weight stored as (in, out) and used as x @ W", LINEAR_INIT.format(
        weight_shape="(in_features, out_features)", bias="Parameter(np.empty(out_features, dtype))")),
    Mistake("bias_not_registered", "bias kept as a plain Tensor, not a Parameter", LINEAR_INIT.format(
        weight_shape="(out_features, in_features)", bias="Tensor(np.empty(out_features, dtype), requires_grad=True)")),
    Mistake("init_from_randn", "weights drawn from randn (std 1)", reset(weight="normal_(self.weight, 0.0, 1.0)")),
    Mistake("init_bound_from_out_features", "bound 1/sqrt(out_features) instead of in_features",
            reset(fan="out_features")),
    Mistake("bias_zero_init", "bias initialised to zeros", reset(bias="zeros_(self.bias)")),
    Mistake("forward_forgets_bias", "forward computes x W^T only", """
class Linear:
    def forward(self, x):
        return x @ self.weight.T
"""),
    Mistake("dropout_not_scaled", "Dropout zeroes elements but does not scale the survivors", dropout(scale="1.0")),
    Mistake("dropout_scaled_by_p", "Dropout scales the survivors by 1/p", dropout(scale="1.0 / self.p")),
    Mistake("dropout_active_in_eval", "Dropout ignores eval mode", dropout(skip="self.p == 0")),
    Mistake("dropout_keeps_p", "Dropout keeps each element with probability p (drops 1 - p)",
            dropout(keep="tinytorch.default_generator.random(x.shape) < self.p")),
    Mistake("dropout_same_mask", "Dropout draws from a freshly seeded generator: the same mask every call",
            dropout(keep="np.random.default_rng(0).random(x.shape) >= self.p")),
    Mistake("any_tensor_is_a_parameter", "__setattr__ registers every Tensor as a parameter", setattr_(kind="Tensor")),
    Mistake("setattr_never_unregisters", "assigning None (or anything else) leaves the old record",
            setattr_(forget="")),
    Mistake("names_without_prefix", "named_parameters yields 'weight' instead of '0.weight'",
            named_parameters(named="name")),
    Mistake("parameters_not_recursive", "named_parameters lists only the module's own parameters",
            named_parameters(modules="[(prefix, self)]")),
    Mistake("shared_parameter_twice", "a shared parameter is listed under both names",
            named_parameters(skip="param is None")),
    Mistake("state_dict_not_copied", "state_dict returns the live arrays", """
class Module:
    def state_dict(self):
        state = OrderedDict((name, param.data) for name, param in self.named_parameters())
        return self._with_buffers(state)
"""),
    Mistake("load_replaces_arrays", "load_state_dict assigns new arrays (dtype and identity lost)", """
class Module:
    def load_state_dict(self, state_dict, strict=True):
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
                    problems.append(f"size mismatch for {name}: {value.shape} in the checkpoint, {param.shape} here")
                arrays[name] = value
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(problems))
        for name, value in arrays.items():
            own[name].data = value
        return IncompatibleKeys(missing, unexpected)
"""),
    Mistake("train_not_recursive", "train()/eval() set only the top module's flag", """
class Module:
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        return self
"""),
    Mistake("fans_swapped", "fan_in from shape[0] (the output count)", """
def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    field = math.prod(tensor.shape[2:])
    return tensor.shape[0] * field, tensor.shape[1] * field
"""),
    Mistake("xavier_bound_is_std", "xavier_uniform_ uses the std as the bound (no sqrt(3))", """
def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -std, std, generator)
"""),
    Mistake("kaiming_without_gain", "Kaiming std 1/sqrt(fan), the gain forgotten", KAIMING_STD.format(
        fan='fan_in if mode == "fan_in" else fan_out', std="1 / math.sqrt(fan)")),
    Mistake("kaiming_ignores_mode", "Kaiming always uses fan_in", KAIMING_STD.format(
        fan="fan_in", std="calculate_gain(nonlinearity, a) / math.sqrt(fan)")),
    Mistake("sequential_skips_last", "Sequential.forward stops before the last layer", """
class Sequential:
    def forward(self, x):
        for module in list(self._modules.values())[:-1]:
            x = module(x)
        return x
"""),
]

VARIANTS = [
    Variant("setattr_through_dict", "plain attribute set with self.__dict__[name] = value",
            setattr_(store="self.__dict__[name] = value")),
    Variant("linear_with_transpose_call", "x @ weight.transpose(0, 1)", """
class Linear:
    def forward(self, x):
        out = x @ self.weight.transpose(0, 1)
        if self.bias is not None:
            out = out + self.bias
        return out
"""),
    Variant("dropout_strict_greater", "keep where the draw is > p (not >=) and divide after masking", """
class Dropout:
    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = tinytorch.default_generator.random(x.shape) > self.p
        if self.p == 1:
            return x * Tensor(np.zeros(x.shape, x.dtype))
        return x * Tensor(keep.astype(x.dtype)) / (1 - self.p)
"""),
    Variant("state_dict_plain_dict", "a dict comprehension with np.array copies", """
class Module:
    def state_dict(self):
        state = {name: np.array(param.data) for name, param in self.named_parameters()}
        return OrderedDict((name, state[name] if name in state else tensor.data.copy())
                           for name, tensor in self._named_state())
"""),
    Variant("fans_with_prod", "fan_in as the product of shape[1:]", """
def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    shape = tensor.shape
    return math.prod(shape[1:]), shape[0] * math.prod(shape[2:])
"""),
    Variant("train_by_recursion", "train() recursing through the children", """
class Module:
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self
"""),
]
