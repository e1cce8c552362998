"""Parameter and Module: registration, names, modes, state_dict, dtype, repr."""
import numpy as np
import pytest

import tinytorch
from tinytorch.core.nn import Dropout, Flatten, Identity, Linear, Module, Parameter, ReLU, Sequential
from tinytorch.core.tensor import Tensor


class Block(Module):
    """Own parameters, a plain Tensor, a number, a child and a grandchild."""

    def __init__(self):
        super().__init__()
        self.scale = Parameter(Tensor(np.ones(3, np.float32)))
        self.buffer = Tensor(np.zeros(3, np.float32))  # a Tensor, not a Parameter
        self.count = 7
        self.first = Linear(3, 4)
        self.rest = Sequential(ReLU(), Linear(4, 2))


def names(module):
    return [name for name, _ in module.named_parameters()]


def test_parameter_is_a_tensor_that_requires_grad_and_shares_its_data():
    data = np.arange(3.0)
    p = Parameter(Tensor(data))
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float64
    assert p.data is data or np.shares_memory(p.data, data), "Parameter(tensor) must not copy"
    block = Block()
    assert names(block) == ["scale", "first.weight", "first.bias", "rest.1.weight", "rest.1.bias"], names(block)


def test_registration_by_attribute():
    block = Block()
    assert list(block._parameters) == ["scale"] and list(block._modules) == ["first", "rest"]
    assert [type(m).__name__ for m in block.children()] == ["Linear", "Sequential"]
    assert [name for name, _ in block.named_modules()] == ["", "first", "rest", "rest.0", "rest.1"]
    assert list(block.modules())[0] is block
    params = list(block.parameters())
    assert all(isinstance(p, Parameter) for p in params) and len(params) == 5
    assert names(block.rest) == ["1.weight", "1.bias"]
    assert [n for n, _ in block.named_parameters(recurse=False)] == ["scale"]
    block.scale = None  # assigning something else removes the record
    block.first = "gone"
    assert names(block) == ["rest.1.weight", "rest.1.bias"], names(block)
    del block.rest
    assert names(block) == []


def test_a_shared_parameter_is_listed_once():
    a, b = Linear(3, 3), Linear(3, 3)
    b.weight = a.weight
    model = Sequential(a, b)
    assert names(model) == ["0.weight", "0.bias", "1.bias"], names(model)


def test_subclass_without_super_init_is_a_clear_error():
    class Forgot(Module):
        def __init__(self):
            self.weight = Parameter(Tensor([1.0]))

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\) first"):
        Forgot()
    assert names(Sequential(Linear(2, 2))) == ["0.weight", "0.bias"]


def test_linear_without_bias_has_no_bias_parameter():
    layer = Linear(3, 2, bias=False)
    assert layer.bias is None and names(layer) == ["weight"]
    assert list(layer.state_dict()) == ["weight"]


def test_train_and_eval_reach_every_module_and_return_self():
    model = Sequential(Linear(2, 2), Sequential(Dropout(), ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules()), [m.training for m in model.modules()]
    assert model.train() is model and all(m.training for m in model.modules())
    model[1].train(False)
    assert model.training and not model[1].training and not model[1][0].training
    with pytest.raises(ValueError):
        model.train("yes")


def test_zero_grad_sets_none_or_zeros():
    model = Sequential(Linear(3, 2), ReLU(), Linear(2, 1))
    for p in model.parameters():
        p.grad = Tensor(np.ones_like(p.data))
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad is not None and p.grad.shape == p.shape and not np.asarray(p.grad).any()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_copies_with_dotted_names():
    model = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert {k: v.shape for k, v in state.items()} == {"0.weight": (3, 4), "0.bias": (3,),
                                                      "2.weight": (2, 3), "2.bias": (2,)}
    before = model[0].weight.data.copy()
    state["0.weight"][...] = 99.0
    assert np.array_equal(model[0].weight.data, before), "state_dict() must copy: changing it changed the model"
    model[0].weight.data += 1.0
    assert np.all(state["0.weight"] == 99.0), "training must not change a saved state_dict"


def test_load_state_dict_copies_in_place_and_keeps_dtype():
    source, target = Sequential(Linear(4, 3), Linear(3, 2)), Sequential(Linear(4, 3), Linear(3, 2))
    weight = target[0].weight
    array = weight.data
    state = {k: v.astype(np.float64) for k, v in source.state_dict().items()}
    result = target.load_state_dict(state)
    assert target[0].weight is weight and target[0].weight.data is array, \
        "load_state_dict must write into the existing arrays (an optimizer holds these parameters)"
    assert weight.dtype == np.float32, "the model keeps its dtype"
    for k, v in source.state_dict().items():
        assert np.array_equal(target.state_dict()[k], v), k
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    state["0.weight"][...] = 5.0
    assert not np.any(target[0].weight.data == 5.0), "the model must not share memory with the state dict"
    target.load_state_dict({k: Tensor(v) for k, v in source.state_dict().items()})


class Counted(Module):
    """A layer with a buffer: state that is saved and loaded but never trained."""

    def __init__(self):
        super().__init__()
        self.weight = Parameter(Tensor(np.ones(2, np.float32)))
        self.register_buffer("seen", Tensor(np.zeros(2, np.float32)))
        self.register_buffer("steps", Tensor(np.array(0, np.int64)))
        self.register_buffer("scratch", Tensor(np.zeros(2, np.float32)), persistent=False)


def test_buffers_are_saved_after_their_modules_parameters_and_loaded_in_place():
    model = Sequential(Counted(), Linear(2, 2))
    assert list(model.state_dict()) == ["0.weight", "0.seen", "0.steps", "1.weight", "1.bias"], \
        "PyTorch's order: each module's parameters, then its persistent buffers, then its children"
    assert [name for name, _ in model.named_buffers()] == ["0.seen", "0.steps", "0.scratch"]
    assert names(model) == ["0.weight", "1.weight", "1.bias"], "a buffer is not a parameter"
    seen = model[0].seen.data
    state = model.state_dict()
    state["0.seen"][...], state["0.steps"][...] = 3.0, 5
    model.load_state_dict(state)
    assert model[0].seen.data is seen and seen.tolist() == [3.0, 3.0] and int(model[0].steps.data) == 5
    model.double()
    assert model[0].seen.dtype == np.float64 and model[0].steps.dtype == np.int64, "counters stay integers"


def test_load_state_dict_strict_names_missing_unexpected_and_mismatched():
    model = Sequential(Linear(4, 3), Linear(3, 2))
    state = model.state_dict()
    before = {k: v.copy() for k, v in state.items()}
    broken = dict(state)
    del broken["1.bias"]
    broken["2.weight"] = np.zeros((2, 3), np.float32)
    with pytest.raises(RuntimeError, match=r"(?s)Missing key.*'1\.bias'.*Unexpected key.*'2\.weight'"):
        model.load_state_dict(broken)
    result = model.load_state_dict(broken, strict=False)
    assert list(result.missing_keys) == ["1.bias"] and list(result.unexpected_keys) == ["2.weight"]
    wrong = dict(state, **{"0.weight": np.zeros((4, 3), np.float32)})
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight.*\(4, 3\).*\(3, 4\)"):
        model.load_state_dict(wrong, strict=False)
    assert all(np.array_equal(model.state_dict()[k], before[k]) for k in before), \
        "a refused load must leave every weight as it was"


def test_double_and_float_convert_every_parameter():
    model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    assert model.double() is model
    assert all(p.dtype == np.float64 for p in model.parameters())
    out = model(Tensor(np.ones((2, 3))))
    assert out.dtype == np.float64
    assert model.float() is model and all(p.dtype == np.float32 for p in model.parameters())
    assert model(Tensor(np.ones((2, 3), np.float32))).dtype == np.float32


def test_repr_matches_pytorch(torch):
    tinytorch.manual_seed(0)
    ours = Sequential(Flatten(), Linear(64, 32), ReLU(), Dropout(0.1), Sequential(Linear(32, 10), Identity()))
    nn = torch.nn
    theirs = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1),
                           nn.Sequential(nn.Linear(32, 10), nn.Identity()))
    assert repr(ours) == repr(theirs), f"ours:\n{ours!r}\nPyTorch's:\n{theirs!r}"
    assert repr(Linear(3, 2, bias=False)) == repr(nn.Linear(3, 2, bias=False))


def test_sequential_indexing_length_iteration_and_dict():
    from collections import OrderedDict

    a, b, c = Linear(2, 3), ReLU(), Linear(3, 1)
    model = Sequential(a, b, c)
    assert len(model) == 3 and model[0] is a and model[-1] is c and list(model) == [a, b, c]
    assert [m for m in model[1:]] == [b, c]
    named = Sequential(OrderedDict(hidden=Linear(2, 3), act=ReLU(), out=Linear(3, 1)))
    assert names(named) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    x = Tensor(np.ones((4, 2), np.float32))
    assert np.array_equal(model(x).data, c(b(a(x))).data)
    assert Sequential(Identity())(x) is x
