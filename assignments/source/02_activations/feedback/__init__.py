"""The activations module's feedback (instructor material, not released): the report card
(`tito check activations`), the figures (`tito plot activations`), the benchmarks
(`tito bench activations`), and the same measurements for the chapter's notebook cells
(notebook.py).

Everything here judges against the module's exact oracle, `tests/activation_oracle/`: it
sits with the tests, which are released, so a learner's tests use the same reference.
"""
import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if _TESTS not in sys.path:  # the oracle (`import activation_oracle`), as the tests import it
    sys.path.append(_TESTS)

from .notebook import (  # noqa: E402
    NAMES, check_activation, plot_activation, plot_comparison, plot_gradient_flow, report_card,
)
# No file of this folder may be named after these (bench.py, ...): importing it would
# replace the function on the package.
from .provider import FIGURES, bench, check, figures  # noqa: E402

__all__ = ["FIGURES", "NAMES", "bench", "check", "check_activation", "figures", "plot_activation",
           "plot_comparison", "plot_gradient_flow", "report_card"]
