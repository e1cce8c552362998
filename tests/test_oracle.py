"""The judge of module 02's accuracy, its oracle (tests/activation_oracle), checked against
Python's math module: exact to a few ULP, its conventions as stated, and independent of the
package it judges."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ORACLE_HOME = ROOT / "assignments" / "source" / "02_activations" / "tests"
sys.path.append(str(ORACLE_HOME))

from activation_oracle import reference_grad, reference_values, ulp_distance  # noqa: E402


def test_reference_is_exact_and_independent():
    """The judge itself: the oracle agrees with Python's math module and follows its rules."""
    x = np.array([-3.5, -0.25, 1e-300, 0.5, 2.0, 17.0])  # where math's own erfc is accurate
    checks = {
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "tanh": math.tanh,
        "elu": lambda v: v if v > 0 else math.expm1(v),
        "gelu": lambda v: 0.5 * v * math.erfc(-v / math.sqrt(2)),
        "softplus": lambda v: max(v, 0) + math.log1p(math.exp(-abs(v))),
    }
    for name, exact in checks.items():
        hi, lo = reference_values(name, x)
        want = np.array([exact(v) for v in x])
        error = ulp_distance(want, hi, lo, np.float64)
        assert np.all(error <= 2), f"reference {name} disagrees with math: {error.max():.3g} ULP"
        assert np.all(np.abs(lo) <= np.spacing(np.abs(hi))), f"reference {name}: lo is not a remainder"
    hi, _ = reference_grad("sigmoid", np.array([0.0]))
    assert hi[0] == 0.25
    hi, _ = reference_values("log_softmax", np.array([0.0, -200.0, -1000.0]))
    assert np.allclose(hi, [0.0, -200.0, -1000.0], rtol=0, atol=1e-80)

    # the conventions of ulp_distance
    nan, inf = np.nan, np.inf
    got = np.array([nan, nan, 1.0, inf, inf, -0.0, 0.0, 1.0 + 2 ** -52])
    hi = np.array([nan, 1.0, nan, inf, -inf, 0.0, 1e-310, 1.0])
    error = ulp_distance(got, hi, np.zeros_like(hi), np.float64)
    assert error[0] == 0 and np.isinf(error[1:3]).all() and error[3] == 0 and np.isinf(error[4])
    assert error[5] == 0, "+0 and -0 count as equal"
    assert abs(error[6] - 1e-310 / 2.0 ** -1074) < 1, "below the normal range the unit is the smallest subnormal"
    assert error[7] == 1.0
    assert ulp_distance(np.float32([3.0e38]), np.array([3.0e38 * 2]), np.array([0.0]), np.float32)[0] == np.inf

    # independent: judging the package must not depend on it
    probe = (f"import sys; sys.path.append({str(ORACLE_HOME)!r}); import activation_oracle; "
             "sys.exit(any(m.startswith('tinytorch') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT).returncode == 0, \
        "the oracle must not import tinytorch"
