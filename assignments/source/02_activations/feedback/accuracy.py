"""Accuracy: the largest error over the standard inputs, in the tolerance's unit."""
from __future__ import annotations

import activation_oracle as numerics
import numpy as np

from .checking import Checks
from .exact import NOT_A_NUMBER, judge, max_abs_error, not_a_number
from .results import FAIL, PASS, Check, fmt, fmt_err, fmt_exact, json_float


class AccuracyChecks(Checks):
    def _bound_applies(self) -> np.ndarray:
        """Where the headline bound of the tolerance applies (ULP: normal results in the domain)."""
        ref = self.ref
        if self.tol.kind != "ulp":
            return np.ones(ref.x.shape, dtype=bool)
        inside = numerics.is_normal(ref.hi, self.dtype)
        if self.tol.domain is not None:
            with np.errstate(invalid="ignore"):
                inside &= np.abs(ref.x.astype(np.float64)) <= self.tol.domain
        return inside

    def accuracy(self) -> Check:
        y, _ = self.standard()
        ref = self.ref
        keep = ~ref.extreme if not self.a.rowwise else np.repeat(~ref.extreme[:, None], ref.x.shape[1], 1)
        j = judge(self.tol, y, ref.x, ref.hi, ref.lo, self.dtype)
        # The headline is the worst error a user could notice: one under the underflow floor
        # (silu(-91) = x * a subnormal sigmoid) is not, whatever its ULP (the tolerance's rule).
        noticeable = ~(numerics.absolute_error(y, ref.hi, ref.lo) <= numerics.underflow_floor(ref.x, self.dtype))
        headline = np.where(keep & self._bound_applies() & noticeable, j.error, -1.0)
        at = np.unravel_index(int(np.argmax(headline)), headline.shape)
        ratio = np.where(keep, j.ratio, 0.0)
        bad = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        failed = bool(ratio[bad] > 1)
        worst = bad if failed else at
        self.curves["error"] = {"x": ref.x, "exact": ref.hi, "error": j.error, "ratio": j.ratio, "unit": j.unit,
                                "bound": self.tol.bound, "domain": self.tol.domain,
                                "judged": keep, "applies": self._bound_applies(), "worst": worst,
                                "status": FAIL if failed else PASS}
        error = float(j.error[worst]) if failed or headline[at] >= 0 else 0.0
        shown = fmt_err(error)
        value = f"{shown} ULP" if j.unit == "ULP" else f"{j.unit} {shown}"
        max_abs = max_abs_error(np.where(keep, y, ref.hi), ref.hi, ref.lo)
        details = {"max_error": json_float(error), "unit": j.unit, "max_abs_error": max_abs,
                   "worst_input": self._json_x(worst), "limit": self.tol.describe()}
        if failed:
            details.update(got=json_float(y[worst]), exact=json_float(ref.hi[worst]))
            if not_a_number(y[worst], ref.hi[worst]):
                return Check("accuracy", "accuracy", FAIL,
                             f"got {fmt(y[worst], y.dtype)} at {self._x_text(worst)}, where the exact value is "
                             f"{fmt_exact(ref.hi[worst], ref.lo[worst])}: {NOT_A_NUMBER}",
                             value=f"got {fmt(y[worst], y.dtype)}", details=details)
            return Check("accuracy", "accuracy", FAIL,
                         f"{value} at {self._x_text(worst)}: got {fmt(y[worst], y.dtype)}, exact "
                         f"{fmt_exact(ref.hi[worst], ref.lo[worst])} (limit {self.tol.describe()})",
                         value=value, details=details)
        where = f"at {self._x_text(worst)}" if error > 0 else "(exact everywhere)"
        return Check("accuracy", "accuracy", PASS,
                     f"max {value} {where}, max abs error {max_abs:.2g} "
                     f"(limit {self.tol.describe()})", value=value, details=details)
