"""The test of the nn tests: realistic learner mistakes must all be caught, correct variants all pass.

Each entry patches the package code exported from the reference dev file of module 04
(tinytorch/core/nn.py) and runs the module's tests on it in a subprocess. Every mistake
must make them fail; every correct variant must leave them passing.
"""
from __future__ import annotations

from catalogue import Entry as Mistake
from catalogue import catalogue_tests


MISTAKES = [
    Mistake("weight_transposed", "weight stored as (in, out) and used as x @ W", replace=(
        "self.weight = Parameter(np.empty((out_features, in_features), dtype))",
        "self.weight = Parameter(np.empty((in_features, out_features), dtype))")),
    Mistake("bias_not_registered", "bias kept as a plain Tensor, not a Parameter", replace=(
        "self.bias = Parameter(np.empty(out_features, dtype)) if bias else None",
        "self.bias = Tensor(np.empty(out_features, dtype), requires_grad=True) if bias else None")),
    Mistake("init_from_randn", "weights drawn from randn (std 1)", replace=(
        "        uniform_(self.weight, -bound, bound)\n", "        normal_(self.weight, 0.0, 1.0)\n")),
    Mistake("init_bound_from_out_features", "bound 1/sqrt(out_features) instead of in_features", replace=(
        "bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0",
        "bound = 1 / math.sqrt(self.out_features) if self.out_features > 0 else 0.0")),
    Mistake("bias_zero_init", "bias initialised to zeros", replace=(
        "            uniform_(self.bias, -bound, bound)\n", "            zeros_(self.bias)\n")),
    Mistake("forward_forgets_bias", "forward computes x W^T only", replace=(
        "            out = out + self.bias\n", "            out = out\n")),
    Mistake("dropout_not_scaled", "Dropout zeroes elements but does not scale the survivors", replace=(
        "scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)", "scale = 0.0 if self.p == 1 else 1.0")),
    Mistake("dropout_scaled_by_p", "Dropout scales the survivors by 1/p", replace=(
        "scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)", "scale = 0.0 if self.p == 1 else 1.0 / self.p")),
    Mistake("dropout_active_in_eval", "Dropout ignores eval mode", replace=(
        "if not self.training or self.p == 0:", "if self.p == 0:")),
    Mistake("dropout_keeps_p", "Dropout keeps each element with probability p (drops 1 - p)", replace=(
        "keep = tinytorch.default_generator.random(x.shape) >= self.p",
        "keep = tinytorch.default_generator.random(x.shape) < self.p")),
    Mistake("dropout_same_mask", "Dropout draws from a freshly seeded generator: the same mask every call", replace=(
        "keep = tinytorch.default_generator.random(x.shape) >= self.p",
        "keep = np.random.default_rng(0).random(x.shape) >= self.p")),
    Mistake("any_tensor_is_a_parameter", "__setattr__ registers every Tensor as a parameter", replace=(
        "        if isinstance(value, Parameter):\n            self._parameters[name] = value",
        "        if isinstance(value, Tensor):\n            self._parameters[name] = value")),
    Mistake("setattr_never_unregisters", "assigning None (or anything else) leaves the old record", replace=(
        "        self._parameters.pop(name, None)\n        self._modules.pop(name, None)\n        if isinstance",
        "        if isinstance")),
    Mistake("names_without_prefix", "named_parameters yields 'weight' instead of '0.weight'", replace=(
        'yield (f"{module_name}.{name}" if module_name else name), param', "yield name, param")),
    Mistake("parameters_not_recursive", "named_parameters lists only the module's own parameters", replace=(
        "modules = self.named_modules(prefix) if recurse else [(prefix, self)]", "modules = [(prefix, self)]")),
    Mistake("shared_parameter_twice", "a shared parameter is listed under both names", replace=(
        "if param is None or id(param) in seen:", "if param is None:")),
    Mistake("state_dict_not_copied", "state_dict returns the live arrays", replace=(
        "state = OrderedDict((name, param.data.copy()) for name, param in self.named_parameters())",
        "state = OrderedDict((name, param.data) for name, param in self.named_parameters())")),
    Mistake("load_replaces_arrays", "load_state_dict assigns new arrays (dtype and identity lost)", replace=(
        "            own[name].data[...] = value", "            own[name].data = value")),
    Mistake("train_not_recursive", "train()/eval() set only the top module's flag", replace=(
        '        for module in self.modules():\n            object.__setattr__(module, "training", mode)',
        '        object.__setattr__(self, "training", mode)')),
    Mistake("fans_swapped", "fan_in from shape[0] (the output count)", replace=(
        "return tensor.shape[1] * field, tensor.shape[0] * field",
        "return tensor.shape[0] * field, tensor.shape[1] * field")),
    Mistake("xavier_bound_is_std", "xavier_uniform_ uses the std as the bound (no sqrt(3))", replace=(
        "    bound = math.sqrt(3.0) * std\n    return uniform_(tensor, -bound, bound, generator)",
        "    bound = std\n    return uniform_(tensor, -bound, bound, generator)")),
    Mistake("kaiming_without_gain", "Kaiming std 1/sqrt(fan), the gain forgotten", replace=(
        "return calculate_gain(nonlinearity, a) / math.sqrt(fan)", "return 1 / math.sqrt(fan)")),
    Mistake("kaiming_ignores_mode", "Kaiming always uses fan_in", replace=(
        'fan = fan_in if mode == "fan_in" else fan_out', "fan = fan_in")),
    Mistake("sequential_skips_last", "Sequential.forward stops before the last layer", replace=(
        "        for module in self._modules.values():\n            x = module(x)",
        "        for module in list(self._modules.values())[:-1]:\n            x = module(x)")),
]

VARIANTS = [
    Mistake("setattr_through_dict", "plain attribute set with self.__dict__[name] = value", replace=(
        "        object.__setattr__(self, name, value)\n\n    def __delattr__",
        "        self.__dict__[name] = value\n\n    def __delattr__")),
    Mistake("linear_with_transpose_call", "x @ weight.transpose(0, 1)", replace=(
        "out = x @ self.weight.T", "out = x @ self.weight.transpose(0, 1)")),
    Mistake("dropout_strict_greater", "keep where the draw is > p (not >=) and divide after masking", replace=(
        "        keep = tinytorch.default_generator.random(x.shape) >= self.p\n"
        "        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)\n"
        "        return x * Tensor((keep * scale).astype(x.dtype))",
        "        keep = tinytorch.default_generator.random(x.shape) > self.p\n"
        "        if self.p == 1:\n            return x * Tensor(np.zeros(x.shape, x.dtype))\n"
        "        return x * Tensor(keep.astype(x.dtype)) / (1 - self.p)")),
    Mistake("state_dict_plain_dict", "a dict comprehension with np.array copies", replace=(
        "state = OrderedDict((name, param.data.copy()) for name, param in self.named_parameters())",
        "state = {name: np.array(param.data) for name, param in self.named_parameters()}")),
    Mistake("fans_with_prod", "fan_in as the product of shape[1:]", replace=(
        "    field = math.prod(tensor.shape[2:])\n    return tensor.shape[1] * field, tensor.shape[0] * field",
        "    shape = tensor.shape\n    return math.prod(shape[1:]), shape[0] * math.prod(shape[2:])")),
    Mistake("train_by_recursion", "train() recursing through the children", replace=(
        '        for module in self.modules():\n            object.__setattr__(module, "training", mode)',
        '        object.__setattr__(self, "training", mode)\n        for child in self.children():\n'
        '            child.train(mode)')),
]


globals().update(catalogue_tests("nn", MISTAKES, VARIANTS))
