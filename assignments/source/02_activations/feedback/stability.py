"""Stability: no NumPy warning, right results and derivatives at extreme inputs."""
from __future__ import annotations

import numpy as np
from activation_oracle.tolerances import GRAD_RELATIVE

from .checking import Checks
from .exact import judge
from .probe import Problem
from .results import FAIL, PASS, Check, fmt, fmt_exact, fmt_row, json_float


class StabilityChecks(Checks):
    def warnings(self) -> Check:
        _, found = self.standard()
        culprit = self._first_warning(lambda x: self.impl.forward(x)[1]) if found else None
        kind = "forward"
        if culprit is None:
            try:
                _, found = self.standard_backward()
            except Problem:
                found = []
            if found:
                g = self.grad_input()
                culprit = self._first_warning(lambda x: self.impl.backward(x, g[:len(x)])[1])
                kind = "backward"
        if culprit is None:
            return Check("warnings", "stability", PASS,
                         "no numpy warning for any standard input, forward or backward", value="none")
        index, message = culprit
        return Check("warnings", "stability", FAIL,
                     f"{kind} at {self._x_text(index)}: {message}", value=f"{self._x_text(index)}",
                     details={"input": self._json_x(index), "warning": message, "call": kind})

    def _first_warning(self, warns_for):
        """(index, message) of the first standard input whose call warns, by bisection."""
        x = self.ref.x
        lo, hi = 0, len(x)
        first = warns_for(x[lo:hi].copy())
        if not first:  # warns only in company (rare): name the whole set
            return None
        message = first[0]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            left = warns_for(x[lo:mid].copy())
            if left:
                hi, message = mid, left[0]
            else:
                lo = mid
                right = warns_for(x[lo:hi].copy())
                if not right:
                    return lo, message
                message = right[0]
        return lo, message

    def extreme_inputs(self) -> Check:
        y, _ = self.standard()
        ref = self.ref
        if self.a.rowwise:
            rows = np.flatnonzero(ref.extreme)
            x = np.concatenate([ref.x[rows], ref.extra_x])
            got = np.concatenate([y[rows], self.impl.forward(ref.extra_x.copy())[0]])
            hi = np.concatenate([ref.hi[rows], ref.extra_hi])
            lo = np.concatenate([ref.lo[rows], ref.extra_lo])
        else:
            idx = np.flatnonzero(ref.extreme)
            x, got, hi, lo = ref.x[idx], y[idx], ref.hi[idx], ref.lo[idx]
        j = judge(self.tol, got, x, hi, lo, self.dtype)
        if j.ok:
            what = "rows with ±inf, ±1000 logits, nan, subnormals" if self.a.rowwise \
                else "subnormals, ±1e4, ±max, ±inf, nan"
            return Check("extreme inputs", "stability", PASS, f"right results at {what}", value="ok")
        bad = np.unravel_index(j.worst, j.ratio.shape)
        row = bad[0]
        where = f"row {fmt_row(x[row], self.dtype)}" if self.a.rowwise else f"x = {fmt(x[bad], self.dtype)}"
        return Check("extreme inputs", "stability", FAIL,
                     f"{where}: got {fmt(got[bad], got.dtype)}, exact {fmt_exact(hi[bad], lo[bad])}",
                     value=where if len(where) < 24 else "wrong",
                     details={"input": [json_float(v) for v in np.atleast_1d(x[row])] if self.a.rowwise
                              else json_float(x[bad]),
                              "got": json_float(got[bad]), "exact": json_float(hi[bad])})

    def gradient_at_extremes(self) -> Check:
        if self.a.rowwise:
            rows = self.ref.x[self.ref.extreme]
            finite_rows = rows[np.isfinite(rows).all(axis=1)]
            g = self.grad_input()[: len(finite_rows), : rows.shape[1]]
            grad, _ = self.impl.backward(finite_rows.copy(), g)
            bad = ~np.isfinite(grad)
            if bad.any():
                r = int(np.argwhere(bad)[0][0])
                return Check(
                    "gradient at extremes",
                    "stability",
                    FAIL,
                    f"backward gives {fmt(grad[bad][0], grad.dtype)} for row {fmt_row(finite_rows[r], self.dtype)}",
                    value="not finite",
                )
            return Check("gradient at extremes", "stability", PASS,
                         "backward finite for logits of ±1000 and ±1e4", value="ok")
        info = np.finfo(self.dtype)
        # nan is left out: PyTorch's relu gives 0 there, other forms nan; both are fine.
        x = np.array([1e4, -1e4, np.inf, -np.inf, info.max, -info.max], dtype=self.dtype)
        grad, _ = self.impl.backward(x.copy(), np.ones_like(x))
        true = self.ref.grad(x)
        error = np.abs(grad.astype(np.float64) - true)
        allowed = GRAD_RELATIVE[self.dtype] * np.maximum(1.0, np.abs(np.where(np.isfinite(true), true, 0)))
        with np.errstate(invalid="ignore"):
            bad = ~((error <= allowed) | (np.isnan(grad) & np.isnan(true)) | (grad == true))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return Check("gradient at extremes", "stability", FAIL,
                         f"backward at x = {fmt(x[i], self.dtype)}: got f'(x) = {fmt(grad[i], grad.dtype)}, "
                         f"exact {fmt_exact(true[i])}", value=f"x = {fmt(x[i], self.dtype)}",
                         details={"input": json_float(x[i]), "got": json_float(grad[i]),
                                  "exact": json_float(true[i])})
        return Check("gradient at extremes", "stability", PASS,
                     "right derivative at ±1e4, ±max, ±inf", value="ok")
