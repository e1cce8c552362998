"""Properties: range, zero point, symmetry, monotonic, zero-centred, derivative sign;
row-wise: rows sum to 1, shift invariance, order, gradient sums to 0. The predicates
themselves are activation_oracle.properties, shared with the module tests."""
from __future__ import annotations

import numpy as np
from activation_oracle.properties import decreasing, outside, symmetry_broken

from .checking import SEED, Checks
from .exact import judge, plot_grids
from .results import FAIL, INFO, PASS, Check, fmt, fmt_exact, fmt_row, json_float


class PropertyChecks(Checks):
    def _ulp_slack(self) -> float:
        """How many ULP a property may be off: what two results within tolerance can differ by."""
        return 2 * self.tol.bound + 2 if self.tol.kind == "ulp" else 4.0

    def range(self) -> Check:
        y, _ = self.standard()
        lo, hi = self.a.bounds
        with np.errstate(invalid="ignore"):
            broken = outside(y, self.a.bounds) & ~np.isnan(self.ref.x)
            below, above = broken & (y < lo), broken & (y > hi)
        for mask, side, bound in ((below, "below", lo), (above, "above", hi)):
            if mask.any():
                i = np.unravel_index(int(np.argmax(mask)), mask.shape)
                return Check("range", "properties", FAIL,
                             f"output {fmt(y[i], y.dtype)} at {self._x_text(i)} is {side} {fmt(bound)}: "
                             f"the range is {self.a.range_text}", value=f"{side} {fmt(bound)}",
                             details={"input": self._json_x(i), "got": json_float(y[i])})
        return Check("range", "properties", PASS, f"every output within {self.a.range_text}",
                     value=self.a.range_text)

    def zero_point(self) -> Check:
        if self.a.rowwise:
            x = np.zeros((1, 5), dtype=self.dtype)
        else:
            x = np.array([0.0, -0.0], dtype=self.dtype)
        y, _ = self.impl.forward(x.copy())
        hi, lo = self.ref.values(x)
        j = judge(self.tol, y, x, hi, lo, self.dtype)
        name = "f(0)" if not self.a.rowwise else "f(0, 0, 0, 0, 0)"
        exact = fmt_exact(float(hi.flat[0]), float(lo.flat[0]))
        if not j.ok:
            i = j.worst
            where = "-0.0" if (not self.a.rowwise and i == 1) else "0"
            return Check("zero point", "properties", FAIL,
                         f"f({where}) = {fmt(y.flat[i], y.dtype)}, should be {exact}", value=f"{name} wrong",
                         details={"got": json_float(y.flat[i]), "exact": json_float(hi.flat[0])})
        return Check("zero point", "properties", PASS, f"{name} = {exact}" + (" each" if self.a.rowwise else ""),
                     value=f"f(0) = {float(hi.flat[0]):.4g}" + (" each" if self.a.rowwise else ""))

    def symmetry(self) -> Check:
        kind = self.a.symmetry[0]
        top = 20.0 if self.tol.domain is None else min(20.0, self.tol.domain)
        x = np.linspace(top / 400, top, 400).astype(self.dtype)
        y, _ = self.impl.forward(np.concatenate([x, -x]))
        yp, yn = y[:x.size].astype(np.float64), y[x.size:].astype(np.float64)
        bad, law = symmetry_broken(kind, x, yp, yn, self.dtype, self._ulp_slack(), self.a.linear_slope)
        if bad.any():
            i = int(np.argmax(bad))
            return Check("symmetry", "properties", FAIL,
                         f"{law} broken at x = {fmt(x[i], self.dtype)}: f(x) = {fmt(yp[i], self.dtype)}, "
                         f"f(-x) = {fmt(yn[i], self.dtype)}",
                         value="broken", details={"input": json_float(x[i]), "law": law})
        return Check("symmetry", "properties", PASS, f"{law} for 0 < x <= {top:g}", value=law)

    def monotonic(self) -> Check:
        if self.a.rowwise:
            return self._order()
        x = np.unique(np.concatenate([self.ref.x[np.isfinite(self.ref.x)],
                                      np.linspace(-20, 20, 4001).astype(self.dtype)]))
        y, _ = self.impl.forward(x.copy())
        bad = decreasing(y, self.dtype, self._ulp_slack())
        if bad.any():
            i = int(np.argmax(bad))
            return Check("monotonic", "properties", FAIL,
                         f"decreases from {fmt(y[i], y.dtype)} at x = {fmt(x[i], self.dtype)} to "
                         f"{fmt(y[i + 1], y.dtype)} at x = {fmt(x[i + 1], self.dtype)}", value="no",
                         details={"input": json_float(x[i]), "next_input": json_float(x[i + 1])})
        return Check("monotonic", "properties", PASS,
                     "non-decreasing over the whole float range (within rounding)", value="yes")

    def zero_centred(self) -> Check:
        x = plot_grids(self.a, self.dtype)["symmetric"]
        y, _ = self.impl.forward(x.copy())
        mean = float(np.mean(y.astype(np.float64)))
        exact = float(np.mean(self.ref.values(x)[0]))
        if not self.a.zero_centred:  # a fact about the function, not a property it must have
            return Check("zero-centred", "properties", INFO,
                         f"mean output over x in [-3, 3] is {mean:.3g} (exact {exact:.3g}): "
                         f"{self.a.title} is not zero-centred", value=f"no (mean {mean:.2f})",
                         details={"mean": mean, "exact": exact})
        said = "zero-centred"
        if not abs(mean - exact) <= 1e-4 * max(1.0, abs(exact)):
            return Check("zero-centred", "properties", FAIL,
                         f"mean output over x in [-3, 3] is {mean:.6g}, should be {exact:.6g} ({said})",
                         value=f"mean {mean:.3g}", details={"mean": mean, "exact": exact})
        return Check("zero-centred", "properties", PASS,
                     f"mean output over x in [-3, 3] = {exact:.3f}: {said}", value=f"mean {exact:.2f}",
                     details={"mean": mean, "exact": exact})

    def derivative_sign(self) -> Check:
        x = np.linspace(-20, 20, 801).astype(self.dtype)
        grad, _ = self.impl.backward(x.copy(), np.ones_like(x))
        true = self.ref.grad(x)
        with np.errstate(invalid="ignore"):
            significant = np.abs(true) > 1e-3
            bad = significant & ~(np.sign(grad.astype(np.float64)) == np.sign(true))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            want = "positive" if true[i] > 0 else "negative"
            return Check("derivative sign", "properties", FAIL,
                         f"backward gives f'(x) = {fmt(grad[i], grad.dtype)} at x = {fmt(x[i], self.dtype)}; "
                         f"it should be {want}", value="wrong",
                         details={"input": json_float(x[i]), "got": json_float(grad[i])})
        shape = "f'(x) >= 0 everywhere" if np.all(true >= 0) else "f'(x) < 0 left of the minimum, > 0 right of it"
        return Check("derivative sign", "properties", PASS, shape, value="ok")

    # -- properties (row-wise) --------------------------------------------------------
    def _finite_rows(self) -> tuple[np.ndarray, np.ndarray]:
        y, _ = self.standard()
        keep = np.isfinite(self.ref.x).all(axis=1)
        return self.ref.x[keep], y[keep]

    def rows_sum(self) -> Check:
        x, y = self._finite_rows()
        y64 = y.astype(np.float64)
        total = y64.sum(axis=1) if self.a.function == "softmax" else np.exp(y64).sum(axis=1)
        allowed = x.shape[1] * 4 * self.tol.bound + 8 * float(np.finfo(self.dtype).eps)
        off = np.abs(total - 1.0)
        with np.errstate(invalid="ignore"):
            bad = ~(off <= allowed)
        law = "sum of outputs" if self.a.function == "softmax" else "sum of exp(outputs)"
        if bad.any():
            r = int(np.argmax(np.where(bad, off, 0)))
            return Check("rows sum to 1", "properties", FAIL,
                         f"{law} is {total[r]:.9g} for row {fmt_row(x[r], self.dtype)}", value="no",
                         details={"input": [json_float(v) for v in x[r]], "sum": json_float(total[r])})
        return Check("rows sum to 1", "properties", PASS,
                     f"{law} = 1 in every row (max off {off.max():.1g})", value="yes")

    def shift_invariance(self) -> Check:
        rng = np.random.default_rng(SEED)
        x = np.round(rng.normal(0.0, 3.0, (64, 6)) * 1024) / 1024  # exact in float32 after +64
        x = x.astype(self.dtype)
        shifted = (x + 64).astype(self.dtype)
        y, _ = self.impl.forward(np.concatenate([x, shifted]))
        a, b = y[:64], y[64:]
        hi, lo = self.ref.values(x)
        j = judge(self.tol, b, shifted, hi, lo, self.dtype)
        if not j.ok:
            r = np.unravel_index(j.worst, j.ratio.shape)[0]
            return Check("shift invariance", "properties", FAIL,
                         f"f(x + 64) differs from f(x) for row {fmt_row(x[r], self.dtype)}: "
                         f"{fmt_row(b[r], b.dtype)} vs {fmt_row(a[r], a.dtype)}", value="no")
        return Check("shift invariance", "properties", PASS, "f(x + c) = f(x) for c = 64", value="yes")

    def _order(self) -> Check:
        x, y = self._finite_rows()
        order = np.argsort(x, axis=1, kind="stable")
        xs = np.take_along_axis(x, order, 1).astype(np.float64)
        ys = np.take_along_axis(y, order, 1).astype(np.float64)
        drop = ys[:, :-1] - ys[:, 1:]
        strict = xs[:, 1:] > xs[:, :-1]
        scale = np.maximum(np.abs(ys[:, :-1]), np.abs(ys[:, 1:]))
        allowed = 2 * self.tol.bound * scale + float(np.finfo(self.dtype).smallest_normal)
        with np.errstate(invalid="ignore"):
            bad = strict & ~(drop <= allowed)
        if bad.any():
            r = int(np.argwhere(bad)[0][0])
            return Check("order", "properties", FAIL,
                         f"a larger logit got a smaller output in row {fmt_row(x[r], self.dtype)}", value="no",
                         details={"input": [json_float(v) for v in x[r]]})
        return Check("order", "properties", PASS, "a larger logit never gets a smaller output", value="yes")

    def gradient_sums_to_zero(self) -> Check:
        x, _ = self._finite_rows()
        x = x[np.abs(x).max(axis=1) < 1000]
        g = self.grad_input()[: len(x), : x.shape[1]]
        grad, _ = self.impl.backward(x.copy(), g)
        grad64 = grad.astype(np.float64)
        total = grad64.sum(axis=1)
        eps = float(np.finfo(self.dtype).eps)
        allowed = 16 * x.shape[1] * eps * (np.abs(grad64).sum(axis=1) + np.abs(g.astype(np.float64)).sum(axis=1))
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(total) <= allowed)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            return Check("gradient sums to 0", "properties", FAIL,
                         f"the input gradient of row {fmt_row(x[r], self.dtype)} sums to {total[r]:.3g}, "
                         f"not 0 (shifting every logit changes nothing)", value="no")
        return Check("gradient sums to 0", "properties", PASS,
                     "every row's input gradient sums to 0", value="yes")
