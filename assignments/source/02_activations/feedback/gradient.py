"""Gradient: backward against the exact derivative and against central differences."""
from __future__ import annotations

import numpy as np
from activation_oracle.tolerances import GRAD_RELATIVE

from .checking import SEED, Checks
from .exact import reference_vjp
from .results import FAIL, PASS, Check, fmt, fmt_err, fmt_exact, fmt_row, json_float

_DIFF_STEP = 1e-4  # central differences in float64: truncation ~1e-9, rounding ~1e-11


class GradientChecks(Checks):
    def backward(self) -> Check:
        grad, _ = self.standard_backward()
        g = self.grad_input().astype(np.float64)
        if self.a.rowwise:
            keep = np.isfinite(self.ref.x).all(axis=1) & ~self.ref.extreme
            x, grad, g = self.ref.x[keep], grad[keep], g[keep]
            true = reference_vjp(self.a.function, x, g, self.a.params.get("dim", -1))
        else:
            keep = ~self.ref.extreme
            x, grad, g = self.ref.x[keep], grad[keep], g[keep]
            true = g * self.ref.grad_hi[keep]
        error = np.abs(grad.astype(np.float64) - true)
        limit = GRAD_RELATIVE[self.dtype]
        ratio = error / (limit * np.maximum(1.0, np.abs(true)))
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        i = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        worst = float(np.max(np.where(np.isfinite(error), error, np.inf))) if error.size else 0.0
        where = f"row {fmt_row(x[i[0]], self.dtype)}" if self.a.rowwise else f"x = {fmt(x[i], self.dtype)}"
        if ratio[i] > 1:
            what = "input gradient" if self.a.rowwise else "g * f'(x)"
            return Check("backward", "gradient", FAIL,
                         f"{what} at {where}: got {fmt(grad[i], grad.dtype)}, exact {fmt_exact(true[i])} "
                         f"(limit {limit:g} relative)", value=f"err {fmt_err(float(error[i]))}",
                         details={"max_error": json_float(error[i]), "limit": limit})
        return Check("backward", "gradient", PASS,
                     f"matches the exact derivative within {limit:g} (max error {worst:.2g} at {where})",
                     value=f"err {worst:.1g}", details={"max_error": worst, "limit": limit})

    def central_differences(self) -> Check:
        rng = np.random.default_rng(SEED + 1)
        h = _DIFF_STEP
        if self.a.rowwise:
            x = rng.normal(0.0, 2.0, (8, 5))
            g = rng.uniform(-2.0, 2.0, x.shape)
            numeric = np.empty_like(x)
            for j in range(x.shape[1]):
                step = np.zeros_like(x)
                step[:, j] = h
                up, _ = self.impl.forward(x + step)
                down, _ = self.impl.forward(x - step)
                numeric[:, j] = (g * (up.astype(np.float64) - down.astype(np.float64))).sum(axis=1) / (2 * h)
        else:
            x = np.linspace(-5.95, 5.95, 120)  # steps of 0.1, never within 0.05 of the kink at 0
            g = rng.uniform(-2.0, 2.0, x.shape)
            y, _ = self.impl.forward(np.concatenate([x + h, x - h]))
            y = y.astype(np.float64)
            numeric = g * (y[: x.size] - y[x.size:]) / (2 * h)
        grad, _ = self.impl.backward(x.copy(), g.copy())
        error = np.abs(grad.astype(np.float64) - numeric)
        limit = GRAD_RELATIVE[np.dtype(np.float64)]
        ratio = error / (limit * np.maximum(1.0, np.abs(numeric)))
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        i = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        where = f"row {fmt_row(x[i[0]], np.float64)}" if self.a.rowwise else f"x = {fmt(x[i])}"
        if ratio[i] > 1:
            return Check("central differences", "gradient", FAIL,
                         f"float64 backward at {where}: {fmt(grad[i], grad.dtype)}, central difference "
                         f"{numeric[i]:.10g}", value="differs",
                         details={"max_error": json_float(error[i]), "limit": limit})
        return Check("central differences", "gradient", PASS,
                     f"float64 backward agrees with (f(x+h) - f(x-h)) / 2h within {limit:g} "
                     f"(max error {float(np.max(error)):.2g})", value="agrees",
                     details={"max_error": float(np.max(error)), "limit": limit})
