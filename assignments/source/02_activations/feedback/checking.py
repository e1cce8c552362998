"""The shared calls of every group of checks: the standard inputs, run once."""
from __future__ import annotations

import numpy as np

from .exact import Reference
from .functions import Activation
from .probe import Implementation, Problem
from .results import fmt, fmt_row, json_float

SEED = 7


class Checks:
    """The checks of one activation share one Implementation, one Reference and their calls."""

    def __init__(self, a: Activation, impl: Implementation, ref: Reference):
        self.a, self.impl, self.ref = a, impl, ref
        self.dtype = ref.dtype
        self.tol = ref.tolerance
        self.curves: dict = {}
        self._memo: dict = {}

    # -- shared calls, made once ------------------------------------------------
    def _once(self, key, compute):
        if key not in self._memo:
            try:
                self._memo[key] = (compute(), None)
            except Problem as problem:
                self._memo[key] = (None, problem)
        value, problem = self._memo[key]
        if problem is not None:
            raise problem
        return value

    def standard(self):
        """(output, warnings) over the standard inputs."""
        return self._once("standard", lambda: self.impl.forward(self.ref.x.copy()))

    def grad_input(self) -> np.ndarray:
        rng = np.random.default_rng(SEED)
        g = rng.uniform(-2.0, 2.0, self.ref.x.shape)
        return g.astype(self.dtype)

    def standard_backward(self):
        """(gradient, warnings) over the standard inputs, with a random grad_output."""
        return self._once("standard_backward",
                          lambda: self.impl.backward(self.ref.x.copy(), self.grad_input()))

    def _x_text(self, index) -> str:
        """How to name the input at `index`: 'x = -3' or 'row [1000, -1000, ...]'."""
        if self.a.rowwise:
            row = index[0] if isinstance(index, tuple) else index
            return f"row {fmt_row(self.ref.x[row], self.dtype)}"
        return f"x = {fmt(self.ref.x[index], self.dtype)}"


    def _json_x(self, index):
        if self.a.rowwise:
            row = index[0] if isinstance(index, tuple) else index
            return [json_float(v) for v in self.ref.x[row]]
        return json_float(self.ref.x[index])
