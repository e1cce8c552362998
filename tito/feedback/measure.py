"""The measurements behind the report card and the plots: one place, used by both.

`measure(activation, implementation, dtype)` runs every check on one activation and
returns a `Result`: a list of `Check`s (status, one-line reason, numbers) and the
curves the plots draw (the implementation on a grid, its derivative, its error over
the standard inputs). The exact values and the tolerances come from `tito.numerics`;
nothing here decides what "correct" means, it only measures against that contract.

Checks, by group (names as in `tito check --json`):
- accuracy:   accuracy (max ULP / relative / absolute error, worst input)
- stability:  warnings, extreme inputs, gradient at extremes
- properties: range, zero point, symmetry, monotonic, zero-centred, derivative sign
              (row-wise: range, zero point, rows sum to 1, shift invariance, order,
              gradient sums to 0)
- gradient:   backward (against the exact derivative), central differences
- contract:   shape, dtype, no mutation, functional form, api
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from tito import numerics
from tito.feedback.functions import Activation
from tito.feedback.probe import Broken, Implementation, Problem, TimedOut
from tito.numerics.properties import decreasing, outside, symmetry_broken
from tito.numerics.tolerances import GRAD_RELATIVE

PASS, WARN, FAIL, MISSING, INFO = "pass", "warn", "fail", "missing", "info"
SEVERITY = {INFO: -1, PASS: 0, WARN: 1, MISSING: 2, FAIL: 3}
# INFO: a fact shown for understanding (ReLU's mean output), never judged nor scored.
GROUPS = {"accuracy": 30, "stability": 20, "properties": 20, "gradient": 20, "contract": 10}
_SEED = 7
_DIFF_STEP = 1e-4  # central differences in float64: truncation ~1e-9, rounding ~1e-11


# ----------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------

@dataclass
class Check:
    name: str
    group: str
    status: str
    reason: str  # one line: what was measured, or what is wrong and where
    value: str = ""  # short figure for a table cell: "2.1 ULP", "ok", "x = -89"
    details: dict = field(default_factory=dict)  # numbers for --json

    def to_json(self) -> dict:
        return {"name": self.name, "group": self.group, "status": self.status,
                "reason": self.reason, "value": self.value, **self.details}


@dataclass
class Result:
    name: str
    title: str
    dtype: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    curves: dict = field(default_factory=dict)  # arrays for the plots (not in --json)

    @property
    def judged(self) -> list[Check]:
        """The checks that count (every status but info)."""
        return [c for c in self.checks if c.status != INFO]

    @property
    def status(self) -> str:
        if not self.judged:
            return MISSING
        return max((c.status for c in self.judged), key=SEVERITY.__getitem__)

    def group_status(self, group: str) -> str | None:
        found = [c.status for c in self.checks if c.group == group]
        return max(found, key=SEVERITY.__getitem__) if found else None

    @property
    def score(self) -> int:
        """The function's score, 0..100: the one number its report-card row and its figure show.

        Each group's share of passing checks (warn counts half), weighted by GROUPS,
        rounded down; 100 only when every judged check passes.
        """
        total = weight = 0.0
        for group, w in GROUPS.items():
            found = [c for c in self.judged if c.group == group]
            if found:
                total += w * sum({PASS: 1.0, WARN: 0.5}.get(c.status, 0.0) for c in found) / len(found)
                weight += w
        if self.status == PASS:
            return 100
        return min(99, math.floor(100.0 * total / weight)) if weight else 0

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "status": self.status,
                "score": self.score, "seconds": round(self.seconds, 3),
                "checks": [c.to_json() for c in self.checks]}


# ----------------------------------------------------------------------------
# Numbers as a learner reads them
# ----------------------------------------------------------------------------

def fmt(value, dtype=np.float64) -> str:
    """Shortest text that gives back the same number in `dtype`: -88.72284, 1e-45, -inf."""
    v = np.dtype(dtype).type(value) if np.dtype(dtype).kind == "f" else np.float64(value)
    if not np.isfinite(v):
        return str(float(v))
    if v == 0 or 1e-4 <= abs(v) < 1e6:
        return np.format_float_positional(v, unique=True, trim="-")
    return np.format_float_scientific(v, unique=True, trim="-", exp_digits=1)


def fmt_exact(hi, lo=0.0) -> str:
    """A true value to 10 significant digits."""
    if not math.isfinite(hi):
        return str(hi)
    return f"{hi + lo:.10g}"


def fmt_err(value: float) -> str:
    """An error for a table cell: 2.6, 32.6, 1.2e+8 -> '1.2e8', 3.9e-06 -> '3.9e-6'."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.2g}" if value < 10 else f"{value:.3g}" if value < 1000 else f"{value:.1e}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def fmt_row(row: np.ndarray, dtype) -> str:
    shown = [fmt(v, dtype) for v in row[:8]]
    return "[" + ", ".join(shown) + (", ...]" if row.size > 8 else "]")


# ----------------------------------------------------------------------------
# The exact values one activation is judged against (computed once, cached)
# ----------------------------------------------------------------------------

def _reference_params(a: Activation) -> dict:
    return dict(a.params)


def _extreme(x: np.ndarray, dtype) -> np.ndarray:
    """Inputs the stability checks own: non-finite, |x| >= 1e4, subnormal."""
    tiny = np.finfo(dtype).smallest_normal
    with np.errstate(invalid="ignore"):
        ax = np.abs(x.astype(np.float64))
        return ~np.isfinite(ax) | (ax >= 1e4) | ((ax > 0) & (ax < tiny))


def _extra_rows(dtype, columns: int) -> np.ndarray:
    """Row-wise stability cases beyond the standard set: nan, all -inf, subnormals."""
    sub = float(np.finfo(dtype).smallest_subnormal)
    rows = np.zeros((3, columns))
    rows[0, 0] = np.nan
    rows[0, 1:] = np.linspace(-1.0, 1.0, columns - 1)
    rows[1] = -np.inf
    rows[2] = sub * np.arange(columns)
    return rows.astype(dtype)


@dataclass
class Reference:
    """Inputs and exact results for one activation in one dtype."""

    activation: Activation
    dtype: np.dtype
    tolerance: numerics.Tolerance
    x: np.ndarray  # standard inputs (1-D, or 2-D rows for softmax)
    hi: np.ndarray
    lo: np.ndarray
    extreme: np.ndarray  # elementwise: per element; row-wise: per row
    grad_hi: np.ndarray | None = None  # exact f'(x) (elementwise)
    extra_x: np.ndarray | None = None  # row-wise stability rows
    extra_hi: np.ndarray | None = None
    extra_lo: np.ndarray | None = None

    def values(self, x) -> tuple[np.ndarray, np.ndarray]:
        return numerics.reference_values(self.activation.reference, x, **_reference_params(self.activation))

    def grad(self, x) -> np.ndarray:
        return numerics.reference_grad(self.activation.reference, x, **_reference_params(self.activation))[0]


def reference(a: Activation, dtype) -> Reference:
    """Load (or compute, the first time: a few seconds) everything `a` is judged against."""
    dtype = np.dtype(dtype)
    params = _reference_params(a)
    tol = numerics.tolerance(a.reference, dtype, **params)
    if a.rowwise:
        x = numerics.softmax_inputs(dtype, "full")
        hi, lo = numerics.reference_values(a.reference, x, **params)
        with np.errstate(invalid="ignore"):
            extreme = (~np.isfinite(x) | (np.abs(x) >= 1000)).any(axis=1)
        extra = _extra_rows(dtype, x.shape[1])
        ehi, elo = numerics.reference_values(a.reference, extra, **params)
        ref = Reference(a, dtype, tol, x, hi, lo, extreme, None, extra, ehi, elo)
        numerics.reference_values("softmax", x)  # the probabilities behind the exact gradients
    else:
        x = numerics.standard_inputs(dtype, "full")
        hi, lo = numerics.reference_values(a.reference, x, **params)
        grad_hi = numerics.reference_grad(a.reference, x, **params)[0]
        ref = Reference(a, dtype, tol, x, hi, lo, _extreme(x, dtype), grad_hi)
    for grid in _plot_grids(a, dtype).values():
        ref.values(grid)
        if not a.rowwise:
            ref.grad(grid)
    return ref


def _plot_grids(a: Activation, dtype) -> dict[str, np.ndarray]:
    lo, hi = a.plot_range
    t = np.linspace(lo, hi, 801)
    if a.rowwise:  # three classes: logits [t, 1, -1]
        rows = np.stack([t, np.ones_like(t), -np.ones_like(t)], axis=1)
        return {"rows": rows.astype(dtype)}
    return {"grid": t.astype(dtype), "symmetric": np.linspace(-3.0, 3.0, 601).astype(dtype)}


# ----------------------------------------------------------------------------
# Judging outputs against the contract
# ----------------------------------------------------------------------------

@dataclass
class Judgement:
    """Errors of an output, in the unit of its tolerance, and where they break it."""

    error: np.ndarray  # in the tolerance's unit (ULP / relative / scaled absolute)
    ratio: np.ndarray  # error / the limit that applies at that element (> 1: broken)
    unit: str  # "ULP", "rel", "abs"
    limit_text: str

    @property
    def ok(self) -> bool:
        return not bool(np.any(self.ratio > 1))

    @property
    def worst(self) -> int:
        return int(np.argmax(self.ratio)) if self.ratio.size else 0


def judge(tol: numerics.Tolerance, got, x, hi, lo, dtype) -> Judgement:
    """Measure `got` against hi + lo with the rule of `tol` (see tito.numerics.tolerances)."""
    error, ratio, unit = tol.measure(got, x, hi, lo, dtype)
    return Judgement(error, ratio, unit, tol.describe())


NOT_A_NUMBER = "nan or inf where a number belongs"


def not_a_number(got, exact) -> bool:
    """True when the learner's value is nan or ±inf where the exact value is a finite number.

    Such a result is the first cause to fix: it also breaks the checks that use the
    value (dtype, symmetry, central differences, ...), and a NumPy warning often comes with it.
    """
    try:
        got, exact = float(got), float(exact)
    except (TypeError, ValueError):
        return False
    return math.isfinite(exact) and not math.isfinite(got)


def _max_abs_error(got, hi, lo) -> float:
    got = np.asarray(got, dtype=np.float64)
    both = np.isfinite(got) & np.isfinite(hi)
    if not both.any():
        return 0.0
    return float(np.max(np.abs((got[both] - hi[both]) - lo[both])))


# ----------------------------------------------------------------------------
# Measuring one activation
# ----------------------------------------------------------------------------

class Measurement:
    """Runs the checks of one activation; each check is a method returning a Check."""

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
        rng = np.random.default_rng(_SEED)
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

    # -- accuracy -------------------------------------------------------------------
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
        headline = np.where(keep & self._bound_applies(), j.error, -1.0)
        at = np.unravel_index(int(np.argmax(headline)), headline.shape)
        ratio = np.where(keep, j.ratio, 0.0)
        bad = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        failed = bool(ratio[bad] > 1)
        worst = bad if failed else at
        self.curves["error"] = {"x": ref.x, "exact": ref.hi, "error": j.error, "ratio": j.ratio, "unit": j.unit,
                                "bound": self.tol.bound, "domain": self.tol.domain,
                                "judged": keep, "applies": self._bound_applies(), "worst": worst,
                                "status": FAIL if failed else PASS}
        error = float(j.error[worst])
        shown = fmt_err(error)
        value = f"{shown} ULP" if j.unit == "ULP" else f"{j.unit} {shown}"
        max_abs = _max_abs_error(np.where(keep, y, ref.hi), ref.hi, ref.lo)
        details = {"max_error": _json_float(error), "unit": j.unit, "max_abs_error": max_abs,
                   "worst_input": self._json_x(worst), "limit": self.tol.describe()}
        if failed:
            details.update(got=_json_float(y[worst]), exact=_json_float(ref.hi[worst]))
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

    def _json_x(self, index):
        if self.a.rowwise:
            row = index[0] if isinstance(index, tuple) else index
            return [_json_float(v) for v in self.ref.x[row]]
        return _json_float(self.ref.x[index])

    # -- stability ------------------------------------------------------------------
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
                     details={"input": [_json_float(v) for v in np.atleast_1d(x[row])] if self.a.rowwise
                              else _json_float(x[bad]),
                              "got": _json_float(got[bad]), "exact": _json_float(hi[bad])})

    def gradient_at_extremes(self) -> Check:
        if self.a.rowwise:
            rows = self.ref.x[self.ref.extreme]
            finite_rows = rows[np.isfinite(rows).all(axis=1)]
            g = self.grad_input()[: len(finite_rows), : rows.shape[1]]
            grad, _ = self.impl.backward(finite_rows.copy(), g)
            bad = ~np.isfinite(grad)
            if bad.any():
                r = int(np.argwhere(bad)[0][0])
                return Check("gradient at extremes", "stability", FAIL,
                             f"backward gives {fmt(grad[bad][0], grad.dtype)} for row {fmt_row(finite_rows[r], self.dtype)}",
                             value="not finite")
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
                         details={"input": _json_float(x[i]), "got": _json_float(grad[i]),
                                  "exact": _json_float(true[i])})
        return Check("gradient at extremes", "stability", PASS,
                     "right derivative at ±1e4, ±max, ±inf", value="ok")

    # -- properties (elementwise) -----------------------------------------------------
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
                             details={"input": self._json_x(i), "got": _json_float(y[i])})
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
                         details={"got": _json_float(y.flat[i]), "exact": _json_float(hi.flat[0])})
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
                         value="broken", details={"input": _json_float(x[i]), "law": law})
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
                         details={"input": _json_float(x[i]), "next_input": _json_float(x[i + 1])})
        return Check("monotonic", "properties", PASS,
                     "non-decreasing over the whole float range (within rounding)", value="yes")

    def zero_centred(self) -> Check:
        x = _plot_grids(self.a, self.dtype)["symmetric"]
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
                         details={"input": _json_float(x[i]), "got": _json_float(grad[i])})
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
                         details={"input": [_json_float(v) for v in x[r]], "sum": _json_float(total[r])})
        return Check("rows sum to 1", "properties", PASS,
                     f"{law} = 1 in every row (max off {off.max():.1g})", value="yes")

    def shift_invariance(self) -> Check:
        rng = np.random.default_rng(_SEED)
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
                         details={"input": [_json_float(v) for v in x[r]]})
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

    # -- gradient ---------------------------------------------------------------------
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
                         details={"max_error": _json_float(error[i]), "limit": limit})
        return Check("backward", "gradient", PASS,
                     f"matches the exact derivative within {limit:g} (max error {worst:.2g} at {where})",
                     value=f"err {worst:.1g}", details={"max_error": worst, "limit": limit})

    def central_differences(self) -> Check:
        rng = np.random.default_rng(_SEED + 1)
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
                         details={"max_error": _json_float(error[i]), "limit": limit})
        return Check("central differences", "gradient", PASS,
                     f"float64 backward agrees with (f(x+h) - f(x-h)) / 2h within {limit:g} "
                     f"(max error {float(np.max(error)):.2g})", value="agrees",
                     details={"max_error": float(np.max(error)), "limit": limit})

    # -- contract -------------------------------------------------------------------
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


def problem_check(name: str, problem: Problem) -> Check:
    """The check `name` when the implementation could not produce what it needs."""
    value = "missing" if problem.status == MISSING else "timeout" if isinstance(problem, TimedOut) else "error"
    return Check(name, group_of(name), problem.status, problem.reason, value=value)


def _fresh(obj, params):
    """A new instance like `obj`, or None if its class cannot be built again."""
    for kwargs in (params, {}):
        try:
            return type(obj)(**kwargs)
        except Exception:
            continue
    return None


def _json_float(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def reference_vjp(function: str, x: np.ndarray, g: np.ndarray, dim: int = -1) -> np.ndarray:
    """Exact input gradient of softmax / log_softmax for grad_output g (float64).

    With p = softmax(x) from the high-precision reference:
    softmax:     dL/dx = p * (g - sum(g * p))
    log_softmax: dL/dx = g - p * sum(g)
    """
    p = numerics.reference_values("softmax", x, dim=dim)[0]
    g = g.astype(np.float64)
    if function == "softmax":
        return p * (g - np.sum(g * p, axis=dim, keepdims=True))
    return g - p * np.sum(g, axis=dim, keepdims=True)


# ----------------------------------------------------------------------------
# Which checks apply, and running them
# ----------------------------------------------------------------------------

def check_plan(a: Activation, with_function: bool = True) -> list[tuple[str, str]]:
    """(check name, Measurement method) in report order."""
    plan = [("accuracy", "accuracy"), ("warnings", "warnings"), ("extreme inputs", "extreme_inputs"),
            ("gradient at extremes", "gradient_at_extremes")]
    if a.rowwise:
        plan += [("range", "range"), ("zero point", "zero_point"), ("rows sum to 1", "rows_sum"),
                 ("shift invariance", "shift_invariance"), ("order", "monotonic"),
                 ("gradient sums to 0", "gradient_sums_to_zero")]
    else:
        if a.bounds is not None:
            plan.append(("range", "range"))
        plan.append(("zero point", "zero_point"))
        if a.symmetry is not None:
            plan.append(("symmetry", "symmetry"))
        if a.monotonic:
            plan.append(("monotonic", "monotonic"))
        plan += [("zero-centred", "zero_centred"), ("derivative sign", "derivative_sign")]
    plan += [("backward", "backward"), ("central differences", "central_differences"),
             ("shape", "shape"), ("dtype", "dtypes"), ("no mutation", "no_mutation")]
    if with_function:
        plan.append(("functional form", "functional_form"))
    plan.append(("api", "api"))
    return plan


_GROUP_OF = {"accuracy": "accuracy", "warnings": "stability", "extreme inputs": "stability",
             "gradient at extremes": "stability", "backward": "gradient",
             "central differences": "gradient", "shape": "contract", "dtype": "contract",
             "no mutation": "contract", "functional form": "contract", "api": "contract"}


def group_of(check_name: str) -> str:
    return _GROUP_OF.get(check_name, "properties")


def measure(a: Activation, impl: Implementation, ref: Reference, curves: bool = False,
            on_check=None, checks: bool = True) -> Result:
    """Every check of `a` on `impl`; a failing or stubbed call fails only the checks that need it.

    `curves`: also the arrays the plots draw; `checks=False`: only those (the comparison).
    """
    start = time.perf_counter()
    m = Measurement(a, impl, ref)
    result = Result(a.name, a.title, ref.dtype.name)
    plan = check_plan(a, with_function=impl.function is not None) if checks else []
    for name, method in plan:
        try:
            with np.errstate(all="ignore"):  # our own arithmetic on odd results; the calls warn as they like
                check = getattr(m, method)()
        except Problem as problem:
            check = problem_check(name, problem)
        except Exception as exc:  # a result so odd that measuring it broke: say so, carry on
            check = Check(name, group_of(name), FAIL,
                          f"could not be measured: {type(exc).__name__}: {exc}", value="error")
        if check.status == FAIL and not_a_number(check.details.get("got"), check.details.get("exact")):
            check.details["not_a_number"] = True
        result.checks.append(check)
        if on_check is not None:
            on_check(check)
    if curves:
        with np.errstate(all="ignore"):
            result.curves = {**m.curves, **plot_curves(a, impl, ref)}
    result.seconds = time.perf_counter() - start
    return result


def plot_curves(a: Activation, impl: Implementation, ref: Reference) -> dict:
    """The implementation and the exact function on the plot grid, values and derivatives.

    Elementwise: x, exact, y, exact_grad, grad on a grid over `a.plot_range`.
    Row-wise: rows of logits [t, 1, -1]; x = t, exact/y are (n, 3), the derivative is
    d out_0 / d t (backward with grad_output e_0).
    `wrong`: where y breaks the accuracy contract; `<key>_problem`: why a curve is missing.
    """
    out: dict = {"label": impl.label}
    if a.rowwise:
        grid = _plot_grids(a, ref.dtype)["rows"]
        out["x"] = grid[:, 0].astype(np.float64)
        e0 = np.zeros_like(grid)
        e0[:, 0] = 1
        out["exact_grad"] = reference_vjp(a.function, grid, e0, -1)[:, 0]
        calls = {"y": lambda: impl.forward(grid.copy())[0],
                 "grad": lambda: impl.backward(grid.copy(), e0)[0][:, 0]}
    else:
        grid = _plot_grids(a, ref.dtype)["grid"]
        out["x"] = grid.astype(np.float64)
        out["exact_grad"] = ref.grad(grid)
        calls = {"y": lambda: impl.forward(grid.copy())[0],
                 "grad": lambda: impl.backward(grid.copy(), np.ones_like(grid))[0]}
    hi, lo = ref.values(grid)
    out["exact"] = hi
    for key, call in calls.items():
        try:
            out[key] = np.asarray(call())
        except Problem as problem:
            out[key] = None
            out[f"{key}_problem"] = problem.reason
    if out["y"] is not None:
        out["wrong"] = judge(ref.tolerance, out["y"], grid, hi, lo, ref.dtype).ratio > 1
        out["y"] = out["y"].astype(np.float64)
    if out["grad"] is not None:
        out["grad"] = out["grad"].astype(np.float64)
    return out
