"""Shared helpers of the activations tests: calling a function safely, naming cases,
and describing the worst input when something is wrong.

Every helper turns a missing implementation (NotImplementedError) or a crash into a
test failure that names the function, the property being checked and the input.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from activation_oracle import ELEMENTWISE, PARAMETER_SETS, ROWWISE
from activation_oracle.specs import SPECS

import tinytorch.core.activations as activations
from tinytorch.core.tensor import Tensor

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
DTYPES = [F32, F64]

# function name -> class name; the keyword arguments are the same for both
CLASS_OF = {name: spec.cls for name, spec in SPECS.items()}
ALL_FUNCTIONS = list(ELEMENTWISE) + list(ROWWISE)
# parameters of the backward functions (forward's minus those that do not matter)
ELEMENTWISE_CASES = [(name, params) for name in ELEMENTWISE for params in PARAMETER_SETS[name]]


def label(name: str, params: dict | None = None) -> str:
    """'leaky_relu(negative_slope=0.25)': how a case is named in ids and messages."""
    inside = ", ".join(f"{k}={v!r}" for k, v in (params or {}).items())
    return f"{name}({inside})"


def case_id(case) -> str:
    name, params = case
    return label(name, params).replace("(", "[").replace(")", "]") if params else name


def show(x) -> str:
    """A short, exact description of an input array or value."""
    arr = np.asarray(x)
    if arr.size <= 8:
        return f"{np.array2string(arr, precision=9, separator=', ')} ({arr.dtype})"
    return f"array of shape {arr.shape} ({arr.dtype})"


def function(name: str):
    """The activation function `name` from the package; a clear failure if it is missing."""
    f = getattr(activations, name, None)
    if f is None:
        pytest.fail(f"tinytorch.core.activations has no function {name!r}: "
                    "define it in activations_dev.py and export it")
    return f


def layer_class(name: str):
    cls = getattr(activations, CLASS_OF[name], None)
    if cls is None:
        pytest.fail(f"tinytorch.core.activations has no class {CLASS_OF[name]!r}")
    return cls


def _unwrap(result, what: str, x) -> np.ndarray:
    if not isinstance(result, Tensor):
        pytest.fail(f"{what} must return a Tensor, got {type(result).__name__} (input {show(x)})")
    return result.data


def guarded(what: str, x, thunk, prop: str):
    """Run thunk(); turn NotImplementedError and crashes into failures that say what and where."""
    try:
        return thunk()
    except NotImplementedError as error:
        pytest.fail(f"{what} is not implemented yet ({error or 'NotImplementedError'}); "
                    f"checking: {prop}; input {show(x)}")
    except Warning as warning:  # warnings turned into errors by the caller's filters
        pytest.fail(f"{what} warned '{warning}' while checking {prop}; input {show(x)}")
    except Exception as error:  # noqa: BLE001 - any crash is the learner's to see
        pytest.fail(f"{what} raised {type(error).__name__}: {error}; checking: {prop}; input {show(x)}")


def call(name: str, x, prop: str, **params) -> np.ndarray:
    """f(Tensor(x)) as an array, with NumPy warnings recorded (see call_recording)."""
    data, caught = call_recording(name, x, prop, **params)
    return data


def call_recording(name: str, x, prop: str, **params):
    """(f(Tensor(x)).data, [warning messages]) with NumPy set to warn on over/invalid/divide."""
    f = function(name)
    what = label(name, params)
    x = np.asarray(x)
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
        warnings.simplefilter("always")
        data = guarded(what, x, lambda: _unwrap(f(Tensor(x), **params), what, x), prop)
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    return data, messages


def run_backward(name: str, x, grad, prop: str, **params):
    """(forward output, input gradient) through the class: layer(x), layer.backward(grad)."""
    cls = layer_class(name)
    what = f"{CLASS_OF[name]}({', '.join(f'{k}={v!r}' for k, v in params.items())})"
    x, grad = np.asarray(x), np.asarray(grad)

    def both():
        layer = cls(**params)
        y = _unwrap(layer(Tensor(x)), what + " forward", x)
        g = _unwrap(layer.backward(Tensor(grad)), what + ".backward", x)
        return y, g

    with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        return guarded(what + " forward/backward", x, both, prop)


def worst_message(header: str, error: np.ndarray, mask: np.ndarray, x, got, hi, unit: str) -> str:
    """'header: 7.3 ULP at x = -16.5 (got ..., exact ...)' for the worst element under mask."""
    error = np.where(mask, error, -1.0)
    i = np.unravel_index(int(np.argmax(error)), error.shape)
    return (f"{header}: {error[i]:.4g} {unit} at x = {np.asarray(x)[i].item()!r} "
            f"(got {np.asarray(got)[i].item()!r}, exact {np.asarray(hi)[i].item()!r})")
