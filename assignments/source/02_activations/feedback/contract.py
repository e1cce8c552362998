"""Contract: shape, dtype, no mutation, the functional form, the PyTorch-style API."""
from __future__ import annotations

import numpy as np

from .checking import Checks
from .exact import judge
from .probe import Broken, Problem
from .results import FAIL, PASS, WARN, Check, fmt, fmt_exact


class ContractChecks(Checks):
    def shape(self) -> Check:
        shapes = [(), (0,), (2, 3, 4), (1, 5)]
        for shape in shapes:
            x = np.linspace(-2, 2, int(np.prod(shape))).reshape(shape).astype(self.dtype)
            try:
                self.impl.forward(x.copy())
                self.impl.backward(x.copy(), np.ones_like(x))
            except Broken as problem:
                return Check("shape", "contract", FAIL, f"input of shape {shape}: {problem.reason}",
                             value=f"{shape}", details={"shape": list(shape)})
        return Check("shape", "contract", PASS,
                     "output and gradient keep the input's shape: (), (0,), (2, 3, 4), (1, 5)", value="ok")

    def dtypes(self) -> Check:
        keeps_int = self.a.function == "relu" or (
            self.a.function == "leaky_relu" and float(self.a.params["negative_slope"]).is_integer())
        cases = [(np.float32, np.float32), (np.float64, np.float64),
                 (np.int64, np.int64 if keeps_int else np.float32)]
        for given, wanted in cases:
            x = np.array([-2, -1, 0, 1, 2], dtype=given)
            if self.a.rowwise:
                x = x.reshape(1, -1)
            y, _ = self.impl.forward(x.copy())
            if y.dtype != np.dtype(wanted):
                return Check("dtype", "contract", FAIL,
                             f"{np.dtype(given).name} input gave {y.dtype.name} output, expected "
                             f"{np.dtype(wanted).name}", value=f"{np.dtype(given).name}->{y.dtype.name}")
            if np.dtype(given).kind == "f":
                grad, _ = self.impl.backward(x.copy(), np.ones_like(x))
                if grad.dtype != np.dtype(given):
                    return Check("dtype", "contract", FAIL,
                                 f"{np.dtype(given).name} input gave a {grad.dtype.name} gradient",
                                 value=f"grad {grad.dtype.name}")
        return Check("dtype", "contract", PASS,
                     "float32 -> float32, float64 -> float64, int64 -> "
                     + ("int64" if keeps_int else "float32"), value="ok")

    def no_mutation(self) -> Check:
        x = np.linspace(-5, 5, 41).astype(self.dtype)
        if self.a.rowwise:
            x = x.reshape(1, -1)
        g = np.full_like(x, 0.5)
        kept: list = []  # the Tensors handed to forward and backward
        self.impl.backward(x, g, keep=kept)
        for label, given, tensor in (("input", x, kept[0]), ("grad_output", g, kept[-1])):
            before = np.linspace(-5, 5, 41).astype(self.dtype).reshape(x.shape) if label == "input" \
                else np.full_like(x, 0.5)
            for now in (given, np.asarray(getattr(tensor, "data", tensor))):
                if now.shape != before.shape or not np.array_equal(now, before, equal_nan=True):
                    return Check("no mutation", "contract", FAIL,
                                 f"forward/backward changed its {label} in place", value=f"{label} changed")
        return Check("no mutation", "contract", PASS, "input and grad_output left unchanged", value="ok")

    def functional_form(self) -> Check:
        y_cls, _ = self.standard()
        y_fn, _ = self.impl.call_function(self.ref.x.copy())
        j = judge(self.tol, y_fn, self.ref.x, self.ref.hi, self.ref.lo, self.dtype)
        name = self.a.function
        if not j.ok:
            i = np.unravel_index(j.worst, j.ratio.shape)
            return Check("functional form", "contract", FAIL,
                         f"{name}() at {self._x_text(i)}: got {fmt(y_fn[i], y_fn.dtype)}, exact "
                         f"{fmt_exact(self.ref.hi[i], self.ref.lo[i])}", value="wrong")
        same = np.array_equal(y_fn, y_cls, equal_nan=True)
        return Check("functional form", "contract", PASS,
                     f"{name}() " + ("gives the same results as " if same else "is as accurate as ")
                     + self.impl.label, value="ok")

    def api(self) -> Check:
        obj = self.impl.obj
        problems = []
        expected = self.a.constructor
        text = repr(obj)
        if text != expected:
            problems.append(f"repr is {text[:40]!r}, PyTorch shows {expected}")
        try:
            params = list(obj.parameters())
            if params:
                problems.append(f"parameters() returned {len(params)} items; an activation has none")
        except Exception as exc:  # missing method and the like
            problems.append(f"parameters() failed: {type(exc).__name__}")
        fresh = _fresh(obj, self.a.params)
        if fresh is not None:
            def call():
                return fresh.backward(self.impl.tensor(np.ones(3, dtype=self.dtype)))
            try:
                self.impl._call("api", "backward before forward", call)
                problems.append("backward before any forward returned a value; raise a RuntimeError")
            except Broken as problem:
                if "RuntimeError" not in problem.reason:
                    problems.append(f"{problem.reason}; expected a clear RuntimeError")
            except Problem:
                pass  # a stub: the other checks report it
        if problems:
            return Check("api", "contract", WARN, "; ".join(problems), value="see note")
        return Check("api", "contract", PASS,
                     f"{expected}: repr, parameters() == [], RuntimeError on backward before forward",
                     value="ok")



def _fresh(obj, params):
    """A new instance like `obj`, or None if its class cannot be built again."""
    for kwargs in (params, {}):
        try:
            return type(obj)(**kwargs)
        except Exception:
            continue
    return None
