"""Calling a learner's activation safely: NumPy in, NumPy out, every problem named.

An `Implementation` wraps one activation object (`forward`/`backward`, as in
tinytorch.core.activations) and, when there is one, its functional form. Each call:
- wraps the NumPy input in the package's Tensor and unwraps the result;
- records every warning it emits (numpy's "overflow encountered in exp" ...);
- turns NotImplementedError into `Missing`, any other exception into `Broken` (with
  the line of the learner's code that raised), and a call that runs longer than
  `timeout` seconds into `TimedOut` (tito.watchdog's time limit; the worker process
  around it has its own hard limit).
A stub or a timeout is remembered: later calls fail at once instead of waiting again.
"""
from __future__ import annotations

import os
import warnings

import numpy as np

from tito.export import shown_location
from tito.watchdog import TimeLimit, place, time_limit


class Problem(Exception):
    """The implementation could not produce a result; `reason` says why in one line."""

    status = "fail"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Missing(Problem):
    status = "missing"


class Broken(Problem):
    pass


class TimedOut(Problem):
    pass


def describe_exception(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):  # the place is the broken line, not a frame
        return f"SyntaxError: {exc.msg} ({os.path.basename(exc.filename or '?')}:{exc.lineno})"
    where = place(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return f"{text} ({where})" if where else text


def as_array(result, what: str) -> np.ndarray:
    """The NumPy array inside a Tensor (or array) the learner's code returned."""
    if isinstance(result, np.ndarray):
        return result
    if hasattr(result, "data") and not isinstance(result, (bytes, memoryview)):
        return np.asarray(result.data)
    if result is None:
        raise Broken(f"{what} returned None: return a Tensor")
    return np.asarray(result)


class Implementation:
    """One activation as written: `obj` has forward/backward; `function` is optional."""

    def __init__(self, label: str, obj, tensor_type, function=None, params=None,
                 timeout: float | None = 10.0):
        self.label = label  # e.g. "Sigmoid()"
        self.obj = obj
        self.function = function
        self.params = dict(params or {})
        self.tensor_type = tensor_type
        self.timeout = timeout
        self._sticky: dict[str, Problem] = {}  # "forward"/"backward"/"function" -> lasting problem
        self.warnings: list[tuple[str, str]] = []  # (call, message) of the latest call

    # -- plumbing -------------------------------------------------------------
    def tensor(self, array: np.ndarray):
        return self.tensor_type(array) if self.tensor_type is not None else array

    def _call(self, kind: str, what: str, thunk):
        """Run `thunk` (a call into the learner's code); returns (result, warnings)."""
        if kind in self._sticky:
            raise self._sticky[kind]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                    with time_limit(self.timeout):
                        result = thunk()
            except TimeLimit as stop:
                where = stop.where
                problem = TimedOut(f"{what} did not finish within {self.timeout:g} s (an endless loop?)"
                                   + (f" at {where}" if where else ""))
                self._sticky[kind] = problem
                raise problem from None
            except NotImplementedError as exc:
                message = str(exc).strip() or "not implemented yet"
                problem = Missing(f"{what} raises NotImplementedError: {message}")
                self._sticky[kind] = problem
                raise problem from None
            except Problem:
                raise
            except Exception as exc:  # the learner's bug: name it, keep going
                raise Broken(f"{what} raised {describe_exception(exc)}") from None
            except SystemExit:
                raise Broken(f"{what} called exit()") from None
        found = []
        for w in caught:
            where = f" ({shown_location(w.filename, w.lineno)})" if w.filename else ""
            found.append(f"{w.category.__name__}: {w.message}{where}")
        return result, found

    def _checked(self, out, x: np.ndarray, what: str) -> np.ndarray:
        array = as_array(out, what)
        if array.shape != x.shape:
            raise Broken(f"{what} returned shape {array.shape} for input shape {x.shape}")
        return array

    # -- the three calls --------------------------------------------------------
    def forward(self, x: np.ndarray, keep: list | None = None):
        """(output array, warnings) of obj.forward(Tensor(x)); `keep` collects the Tensors."""
        def run():
            xt = self.tensor(x)
            if keep is not None:
                keep.append(xt)
            return self.obj.forward(xt)
        out, found = self._call("forward", f"{self.label}.forward", run)
        return self._checked(out, x, f"{self.label}.forward"), found

    def backward(self, x: np.ndarray, grad_output: np.ndarray, keep: list | None = None):
        """(gradient array, warnings): forward(x), then backward(Tensor(grad_output))."""
        _, found = self.forward(x, keep)

        def run():
            gt = self.tensor(grad_output)
            if keep is not None:
                keep.append(gt)
            return self.obj.backward(gt)
        grad, more = self._call("backward", f"{self.label}.backward", run)
        return self._checked(grad, x, f"{self.label}.backward"), found + more

    def call_function(self, x: np.ndarray):
        """(output, warnings) of the functional form, e.g. gelu(x, approximate='tanh')."""
        if self.function is None:
            raise Missing("no functional form to check")
        name = getattr(self.function, "__name__", "function")
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        what = f"{name}(x{', ' + args if args else ''})"
        out, found = self._call("function", what, lambda: self.function(self.tensor(x), **self.params))
        return self._checked(out, x, what), found
