"""The report card: a colour-coded table, a score from 0 to 100, the next thing to fix.

Built from the `Result`s of `measure`; printed with rich (terminal or Jupyter) or as
JSON. Status, score and labels follow tito.card, the one model of every module's card:
a row's status is the worst of its checks (fail > missing > warn > pass), a warning
holds, and a note (info) is shown under its row and never changes the status or the score.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tito import card
from tito.card import LABEL, MARK, STYLE, closing_lines
from tito.feedback.plots import first_display_in_cell

from .functions import ACTIVATIONS
from .measure import FAIL, GROUPS, INFO, MISSING, PASS, SEVERITY, WARN, Result

# Which problem to fix first inside a row: nan or inf where a number belongs (it breaks
# the dtype, symmetry and other checks too, and a NumPy warning often comes with it),
# then basics before numbers before niceties.
_FIX_ORDER = ("shape", "dtype", "accuracy", "extreme inputs", "warnings", "backward",
              "central differences", "gradient at extremes")


@dataclass
class Report:
    module: str
    dtype: str
    results: list[Result]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. the package is older than the dev file

    @property
    def as_card(self) -> card.Card:
        """The report card (tito.card) whose rules score it: one row per function."""
        return card.Card(self.module, [r.row for r in self.results])

    @property
    def score(self) -> int:
        return self.as_card.score

    @property
    def status(self) -> str:
        return max((r.status for r in self.results), key=SEVERITY.__getitem__, default=MISSING)

    @property
    def ok(self) -> bool:
        """Nothing red, nothing missing: what `tito check` exits 0 on."""
        return self.as_card.ok

    def next_step(self) -> str:
        """The first thing to fix, in the order a learner works through the module."""
        for result in self.results:
            if result.status in (FAIL, MISSING):
                check = _first_problem(result)
                title = ACTIVATIONS[result.name].title if result.name in ACTIVATIONS else result.name
                if check.status == MISSING:
                    return f"implement {title}: {check.reason}"
                if all(c.reason == check.reason for c in result.checks if c.status == FAIL):
                    return f"fix {title}: {check.reason}"  # one cause behind every red check
                return f"fix {title} ({check.name}): {check.reason}"
        for result in self.results:
            if result.status == WARN:
                check = next(c for c in result.checks if c.status == WARN)
                return f"polish {result.title} ({check.name}): {check.reason}"
        return "nothing: every check passes. See the figures with `tito plot activations`."

    def to_json(self) -> dict:
        return {"module": self.module, "dtype": self.dtype, "score": self.score,
                "status": self.status, "ok": self.ok, "next": self.next_step(),
                "seconds": round(self.seconds, 2), "notes": self.notes,
                "functions": [r.to_json() for r in self.results]}

    def __rich__(self):
        return render(self)

    def _ipython_display_(self):  # Jupyter: the coloured table, once per cell
        if not first_display_in_cell(self):
            return
        from IPython.display import HTML, display

        console = Console(record=True, width=120, force_jupyter=False, force_terminal=True)
        with console.capture():
            console.print(render(self))
        display(HTML(console.export_html(inline_styles=True)))


def first_cause(check) -> tuple[int, int]:
    """Sort key of a problem: nan/inf where a number belongs first, then _FIX_ORDER."""
    order = _FIX_ORDER.index(check.name) if check.name in _FIX_ORDER else len(_FIX_ORDER)
    return (0 if check.details.get("not_a_number") else 1, order)


def _first_problem(result: Result):
    bad = [c for c in result.checks if c.status in (FAIL, MISSING)]
    fails = [c for c in bad if c.status == FAIL] or bad
    return sorted(fails, key=first_cause)[0]


def _cell(result: Result, group: str) -> Text:
    checks = [c for c in result.checks if c.group == group]
    if not checks:
        return Text("-", style="bright_black")
    status = result.group_status(group)
    style = STYLE[status]
    if group in ("accuracy",):
        return Text(f"{MARK[status]} {checks[0].value}", style=style)
    judged = [c for c in checks if c.status != INFO]  # facts are shown, not counted
    passed = sum(c.status == PASS for c in judged)
    return Text(f"{MARK[status]} {passed}/{len(judged)}" if judged else MARK[status], style=style)


def render(report: Report, verbose: bool = False):
    """The report card as rich renderables: table, problems, score, next step."""
    table = Table(title=f"TinyTorch activations report card ({report.dtype})", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("function", no_wrap=True)
    table.add_column("status", no_wrap=True)  # and the function's score, the one its figure shows
    for group in GROUPS:
        table.add_column(group, no_wrap=True)
    for result in report.results:
        status = result.status
        table.add_row(Text(result.name, style="bold"),
                      Text(f"{LABEL[status]} {result.score:>3}", style=f"bold {STYLE[status]}"),
                      *(_cell(result, g) for g in GROUPS))
    parts = [table]
    lines = Text()
    for result in report.results:
        shown = [c for c in result.checks if verbose or c.status not in (PASS, INFO)]
        shown.sort(key=lambda c: 0 if c.details.get("not_a_number") else 1)  # the first cause first
        groups: dict[tuple[str, str], list[str]] = {}  # one line per distinct reason
        for check in shown:
            groups.setdefault((check.status, check.reason), []).append(check.name)
        for (status, reason), names in groups.items():
            if lines:
                lines.append("\n")
            what = names[0] if len(names) <= 2 else f"{names[0]}, {names[1]} and {len(names) - 2} more"
            if len(names) == 2:
                what = f"{names[0]}, {names[1]}"
            lines.append(f"{MARK[status]} ", style=STYLE[status])
            lines.append(f"{result.name} · {what}: ", style=f"bold {STYLE[status]}")
            lines.append(reason)
    if lines:
        parts.append(lines)
    for note in report.notes:
        parts.append(Text(note, style="yellow"))
    parts += closing_lines(report.score, report.ok, [r.status for r in report.results], report.seconds,
                           report.next_step())
    return Group(*parts)
