"""A generic report card for any module: rows of named checks, a score, the next step.

A module's feedback provider (see `tito.offers`) builds a `Card` from `Row`s, each a list
of `Check`s with a status:

    pass     the check holds
    warn     it holds, with something worth knowing
    fail     it does not hold (the detail says on which input)
    missing  the learner's code raises NotImplementedError: not started yet
    untested written, but no passing test ran it (not counted as holding)
    info     a fact shown for understanding, never judged (not counted in the score)

`tito check` builds every module's card from the module's own tests (one row per exercise
of its dev file, see `tito.commands.check`); a module's feedback provider may add a report
of its own beside it.

`attempt(fn)` runs one call into learner code and turns what goes wrong into a Check:
NotImplementedError is "missing", any other exception "fail" naming the learner's file and
line. The card prints as a colour table (rich), and as JSON for other tools.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

PASS, WARN, FAIL, MISSING, UNTESTED, INFO = "pass", "warn", "fail", "missing", "untested", "info"
SEVERITY = {INFO: -1, PASS: 0, WARN: 1, UNTESTED: 2, MISSING: 3, FAIL: 4}
STYLE = {PASS: "green", WARN: "yellow", FAIL: "red", MISSING: "bright_black", UNTESTED: "yellow", INFO: "cyan"}
LABEL = {PASS: "PASS", WARN: "WARN", FAIL: "FAIL", MISSING: "MISSING", UNTESTED: "UNTESTED", INFO: "INFO"}
MARK = {PASS: "✓", WARN: "!", FAIL: "✗", MISSING: "·", UNTESTED: "?", INFO: "i"}


@dataclass
class Check:
    name: str
    status: str
    detail: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Row:
    name: str
    checks: list[Check] = field(default_factory=list)

    @property
    def judged(self) -> list[Check]:
        return [c for c in self.checks if c.status != INFO]

    @property
    def status(self) -> str:
        return max((c.status for c in self.judged), key=SEVERITY.__getitem__, default=PASS)

    @property
    def score(self) -> float:
        """Share of this row's judged checks that hold (warn counts as holding)."""
        judged = self.judged
        return 100.0 * sum(c.status in (PASS, WARN) for c in judged) / len(judged) if judged else 100.0

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "score": round(self.score, 1),
                "checks": [c.to_json() for c in self.checks]}


@dataclass
class Card:
    module: str
    rows: list[Row] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    done: str = ""  # what `next` says when everything passes
    first: str = ""  # what `next` says before any row's problem (an earlier module to finish)
    extra: object = None  # a report of the module's own provider, shown after the rows (ok, to_json, rich)

    @property
    def score(self) -> int:
        if not self.rows:
            return 0
        if all(r.status in (PASS, WARN) for r in self.rows):
            return 100 if all(r.status == PASS for r in self.rows) else 99
        return min(99, math.floor(sum(r.score for r in self.rows) / len(self.rows)))

    @property
    def ok(self) -> bool:
        """Nothing red, missing or untested, in the rows and the extra report: what `tito check` exits 0 on."""
        return (bool(self.rows) and all(r.status in (PASS, WARN) for r in self.rows)
                and bool(getattr(self.extra, "ok", True)))

    def next_step(self) -> str:
        """The first thing to fix, in the order of the rows (the module's order)."""
        if self.first and not self.ok:
            return self.first
        for row in self.rows:
            for status, verb in ((FAIL, "fix"), (MISSING, "implement"), (UNTESTED, "test")):
                bad = [c for c in row.checks if c.status == status]
                if bad:
                    check = "" if len(row.checks) == 1 else f" ({bad[0].name})"  # a row of one check: the row says it
                    return f"{verb} {row.name}{check}: {bad[0].detail}"
        if self.extra is not None and not self.ok and hasattr(self.extra, "next_step"):
            return self.extra.next_step()
        for row in self.rows:
            for check in row.checks:
                if check.status == WARN:
                    return f"polish {row.name} ({check.name}): {check.detail}"
        return self.done or "nothing: every check passes."

    def to_json(self) -> dict:
        report = {"module": self.module, "score": self.score, "ok": self.ok, "next": self.next_step(),
                  "seconds": round(self.seconds, 2), "notes": self.notes,
                  "rows": [r.to_json() for r in self.rows]}
        if self.extra is not None:  # its own fields beside the card's (its score, ok and next under "extra")
            extra = self.extra.to_json()
            report["notes"] = self.notes + [n for n in extra.pop("notes", []) if n not in self.notes]
            report["extra"] = {k: extra.pop(k) for k in ("module", "score", "ok", "next", "seconds") if k in extra}
            report.update({k: v for k, v in extra.items() if k not in report})
        return report

    def __rich__(self):
        return render(self)


def render(card: Card, verbose: bool = False):
    """The card as rich renderables: one line per row, the problems, score and next step."""
    table = Table(title=card.title or f"TinyTorch {card.module} report card", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("row", "status", "checks"):
        table.add_column(column, no_wrap=column != "checks")
    for row in card.rows:
        judged = row.judged
        held = sum(c.status in (PASS, WARN) for c in judged)
        # a row of one check shows what it found; a row of several, how many hold
        shown = row.checks[0].detail if len(row.checks) == 1 else f"{held}/{len(judged)}"
        table.add_row(Text(row.name, style="bold"), Text(LABEL[row.status], style=f"bold {STYLE[row.status]}"),
                      Text(shown, style=STYLE[row.status]))
    lines = Text()
    for row in card.rows:
        for check in row.checks:
            if (check.status == PASS and not verbose) or len(row.checks) == 1:
                continue
            if lines:
                lines.append("\n")
            lines.append(f"{MARK[check.status]} ", style=STYLE[check.status])
            lines.append(f"{row.name} · {check.name}: ", style=f"bold {STYLE[check.status]}")
            lines.append(check.detail)
    parts = [table] + ([lines] if lines else [])
    parts += [Text(note, style="yellow") for note in card.notes]
    if card.extra is not None:
        parts.append(card.extra)
    parts += closing_lines(card.score, card.ok, [r.status for r in card.rows], card.seconds, card.next_step())
    return Group(*parts)


def closing_lines(score: int, ok: bool, statuses: list[str], seconds: float, next_step: str) -> list[Text]:
    """The last two lines of every report card: the score with the rows per status, and next."""
    style = "green" if score == 100 else "yellow" if ok else "red"
    summary = Text()
    summary.append(f"score {score}/100", style=f"bold {style}")
    counts = {s: statuses.count(s) for s in (PASS, WARN, FAIL, MISSING, UNTESTED)}
    summary.append("   " + ", ".join(f"{n} {LABEL[s].lower()}" for s, n in counts.items() if n))
    summary.append(f"   {seconds:.1f} s", style="bright_black")
    return [summary, Text.assemble(("next: ", "bold"), next_step)]


def where(error: BaseException) -> str:
    """'file.py:12' of the innermost frame outside tito itself (the learner's line)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/tito/" not in f.filename]
    if not frames:
        return ""
    from tito.export import shown_location

    frame = frames[-1]
    return shown_location(frame.filename, frame.lineno)


def describe(error: BaseException) -> str:
    """One line: the exception, its message and where it was raised."""
    place = where(error)
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"{text} ({place})" if place else text


def attempt(name: str, fn, passed: str = "") -> Check:
    """Run `fn()`; a Check named `name`.

    `fn` returns None (the check holds, detail `passed`), a string (the check fails with
    that detail) or a Check. NotImplementedError is "missing", AssertionError a failure
    with its message, any other exception a failure naming the line that raised it.
    """
    try:
        outcome = fn()
    except NotImplementedError as error:
        return Check(name, MISSING, str(error) or "not implemented yet")
    except AssertionError as error:
        return Check(name, FAIL, str(error) or describe(error))
    except Exception as error:  # the learner's code crashed: say what and where
        return Check(name, FAIL, describe(error))
    if isinstance(outcome, Check):
        return outcome
    if outcome:
        return Check(name, FAIL, str(outcome))
    return Check(name, PASS, passed)
