"""The measurements behind the report card and the plots: one place, used by both.

`measure(activation, implementation, dtype)` runs every check on one activation and
returns a `Result`: a list of `Check`s (status, one-line reason, numbers) and the
curves the plots draw (the implementation on a grid, its derivative, its error over
the standard inputs). The exact values and the tolerances come from the oracle (`tests/activation_oracle`);
nothing here decides what "correct" means, it only measures against that contract.

Checks, by group (names as in `tito check --json`):
- accuracy:   accuracy (max ULP / relative / absolute error, worst input)
- stability:  warnings, extreme inputs, gradient at extremes
- properties: range, zero point, symmetry, monotonic, zero-centred, derivative sign
              (row-wise: range, zero point, rows sum to 1, shift invariance, order,
              gradient sums to 0)
- gradient:   backward (against the exact derivative), central differences
- contract:   shape, dtype, no mutation, functional form, api
- notes:      sign-of-zero and sub-normal differences (status "info": shown, never scored)

Each group lives in a module of its own (accuracy, stability, property_checks,
gradient, contract, notes: one mixin each over `checking.Checks`); the exact values and
the judging rule are in `exact`, the Check / Result records and number formatting in
`results`. This module puts them together and keeps the names other code imports.
"""
from __future__ import annotations

import time

import numpy as np

from .accuracy import AccuracyChecks
from .contract import ContractChecks
from .exact import NOT_A_NUMBER, Judgement, Reference, judge, not_a_number, plot_grids, reference, reference_vjp  # noqa: F401 (the API)
from .functions import Activation
from .gradient import GradientChecks
from .notes import NoteChecks
from .probe import Implementation, Problem, TimedOut
from .property_checks import PropertyChecks
from .results import FAIL, GROUPS, INFO, MISSING, PASS, SEVERITY, WARN, Check, Result, fmt, fmt_err, fmt_exact, fmt_row  # noqa: F401
from .stability import StabilityChecks


class Measurement(AccuracyChecks, StabilityChecks, PropertyChecks, GradientChecks, ContractChecks, NoteChecks):
    """Runs the checks of one activation; each check is a method returning a Check."""


def problem_check(name: str, problem: Problem) -> Check:
    """The check `name` when the implementation could not produce what it needs."""
    value = "missing" if problem.status == MISSING else "timeout" if isinstance(problem, TimedOut) else "error"
    return Check(name, group_of(name), problem.status, problem.reason, value=value)



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
    plan += [("api", "api"), ("notes", "notes")]
    return plan


_GROUP_OF = {"accuracy": "accuracy", "warnings": "stability", "extreme inputs": "stability",
             "gradient at extremes": "stability", "backward": "gradient",
             "central differences": "gradient", "shape": "contract", "dtype": "contract",
             "no mutation": "contract", "functional form": "contract", "api": "contract",
             "notes": "notes"}


def checks_that_count(a: Activation) -> list[tuple[str, str]]:
    """The plan without the notes: what a call that fails or times out fails."""
    return [(name, method) for name, method in check_plan(a) if group_of(name) != "notes"]


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
        if check is None:  # nothing to note
            continue
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
        grid = plot_grids(a, ref.dtype)["rows"]
        out["x"] = grid[:, 0].astype(np.float64)
        e0 = np.zeros_like(grid)
        e0[:, 0] = 1
        out["exact_grad"] = reference_vjp(a.function, grid, e0, -1)[:, 0]
        calls = {"y": lambda: impl.forward(grid.copy())[0],
                 "grad": lambda: impl.backward(grid.copy(), e0)[0][:, 0]}
    else:
        grid = plot_grids(a, ref.dtype)["grid"]
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
