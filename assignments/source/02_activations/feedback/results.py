"""What the checks of `tito check` produce: a Check, the Result of one activation,
and how their numbers are written for a learner."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tito import card
from tito.card import FAIL, INFO, MISSING, PASS, SEVERITY, WARN  # noqa: F401 (the API)

# The statuses and the rules that score them are tito.card's, the one model of every
# module's report card: a row holds when each judged check passes or warns, and its score
# is the share of judged checks that hold; info (a note no user of the result can notice,
# or a fact shown for understanding) is never judged, so a row of notes passes.
GROUPS = ("accuracy", "stability", "properties", "gradient", "contract")  # the card's columns


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
    def row(self) -> card.Row:
        """This function's row of the report card (tito.card), which decides status and score."""
        return card.Row(self.name, [card.Check(c.name, c.status, c.reason) for c in self.checks])

    @property
    def judged(self) -> list[Check]:
        """The checks that count (every status but info: notes and facts are never scored)."""
        return [c for c in self.checks if c.status != INFO]

    @property
    def status(self) -> str:
        return self.row.status

    def group_status(self, group: str) -> str | None:
        found = [c.status for c in self.checks if c.group == group]
        return max(found, key=SEVERITY.__getitem__) if found else None

    @property
    def score(self) -> int:
        """The function's score, 0..100: the one number its report-card row and its figure show,
        scored as a card of this one row (tito.card.Card.score)."""
        return card.Card(self.name, [self.row]).score

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


def json_float(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v
