"""tito milestone: run the historical milestones on your own tinytorch."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from tito import children
from tito.commands.test import positive_seconds
from tito.console import TitoError, console
from tito.modules import project_root, read_yaml

NAME = "milestone"
ORDER = 45
HELP = "run the milestones (perceptron 1957, XOR 1969, digits 1986, LSTM 1997, LeNet 1998, GPT 2018) on your tinytorch"
DESCRIPTION = """\
Run a milestone: a program from milestones/NN_name/ that trains a real network
with the tinytorch package (your synced code), shows its progress, writes its
figures and says whether it reached the result it states. Exit code 0 only when
every milestone run reached its result.

  tito milestone                 every milestone, in order
  tito milestone xor             one (also its number, 02, or its folder name)
  tito milestone --list          what there is and what each one claims
  tito milestone digits --out figs
                                 figures into figs/ (default: plots/milestones/
                                 under the current folder, one folder per
                                 milestone; git ignores plots/)
  tito milestone lenet --quick   the shortened run the test suite makes (a
                                 milestone that has one says so and states its
                                 shortened result; the others run in full)

Run `tito sync` first: a milestone uses the package, not the dev files. The first
line says which edition the package holds; a dev file that no longer exports, or
that differs from the package, is named before the milestone runs. A milestone
that makes no progress for --timeout seconds (an endless loop?) is stopped, and
the line it was on is named.
"""


DEFAULT_TIMEOUT = 600.0  # seconds a milestone may run without progress (a long one reports progress as it trains)


@dataclass(frozen=True)
class Milestone:
    number: str
    name: str
    path: Path
    meta: dict

    @property
    def script(self) -> Path:
        return self.path / self.meta["script"]

    @property
    def label(self) -> str:
        return f"{self.number} {self.name} ({self.meta.get('year', '?')})"


def milestones_dir(root: Path) -> Path:
    return root / "milestones"


def all_milestones(root: Path) -> list[Milestone]:
    """Every folder NN_name/ under milestones/ that declares itself in a milestone.yaml."""
    found = []
    folder = milestones_dir(root)
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        spec = path / "milestone.yaml"
        if not (path.is_dir() and spec.exists()):
            continue
        meta = read_yaml(spec)
        missing = [key for key in ("name", "script", "result") if key not in meta]
        if missing:
            raise TitoError(f"{spec} lacks {', '.join(missing)}")
        number = path.name.split("_", 1)[0]
        found.append(Milestone(number, str(meta["name"]), path, meta))
    return found


def find_milestones(spec: str | None, root: Path) -> list[Milestone]:
    known = all_milestones(root)
    if not known:
        raise TitoError(f"no milestones found in {milestones_dir(root)}")
    if spec is None:
        return known
    wanted = spec.strip().lower().rstrip("/")
    for milestone in known:
        if wanted in {milestone.name, milestone.number, milestone.path.name, str(int(milestone.number))}:
            return [milestone]
    names = ", ".join(m.name for m in known)
    raise TitoError(f"unknown milestone '{spec}'. Known milestones: {names}", hint="tito milestone --list")


def add_arguments(parser) -> None:
    parser.add_argument("name", nargs="?", help="milestone name or number (default: all)")
    parser.add_argument("--list", action="store_true", help="list the milestones and their stated results")
    parser.add_argument("--out", metavar="DIR", help="where the figures go (default: plots/milestones/<name>/)")
    parser.add_argument("--quick", action="store_true",
                        help="the shortened runs of the test suite, for the milestones that have one")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"longest one milestone may run without progress (default {DEFAULT_TIMEOUT:g})")


def _list(milestones: list[Milestone]) -> int:
    table = Table(title="TinyTorch milestones", title_justify="left")
    for column in ("#", "name", "year", "what", "stated result"):
        table.add_column(column)
    for m in milestones:
        table.add_row(m.number, m.name, str(m.meta.get("year", "")), str(m.meta.get("title", "")),
                      str(m.meta["result"]))
    console.print(table)
    return 0


def package_origin(root: Path) -> str:
    """Which edition the package's generated files come from, in words."""
    from tito.export import edition_of, exported_from
    from tito.modules import describe_workspace

    origins = map(exported_from, sorted((root / "tinytorch" / "core").glob("*.py")))
    found = list(dict.fromkeys(edition_of(origin, root) for origin in origins if origin))
    if not found:
        return "tinytorch/ (no module exported into it yet)"
    return "tinytorch/, exported from " + " and ".join(describe_workspace(e, root, how=False) for e in found)


def stale_notes(root: Path) -> list[str]:
    """One line per module of the workspace whose dev file the package does not hold now."""
    from tito.export import staleness_note
    from tito.modules import all_modules

    notes = (staleness_note(module, root, "run the milestones on your latest code") for module in all_modules())
    return [note for note in notes if note]


def _out_folder(args, milestone: Milestone, many: bool) -> Path:
    out = Path(args.out) if args.out else Path("plots") / "milestones" / milestone.name
    if args.out and many:
        out = out / milestone.name
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TitoError(f"cannot create {out} for the milestone's figures: {exc.strerror}",
                        hint="choose a folder you can write with --out") from None
    return out


def run(args) -> int:
    root = project_root()
    milestones = find_milestones(args.name, root)
    if args.list:
        return _list(milestones)
    console.print(f"[bold]running on[/] {escape(package_origin(root))}", soft_wrap=True)
    for note in stale_notes(root):
        console.print(f"[yellow]note:[/] {escape(note)}")
    folders = {m.name: _out_folder(args, m, len(milestones) > 1) for m in milestones}
    outcomes = []
    for milestone in milestones:
        out = folders[milestone.name]
        console.rule(f"[bold]{milestone.label}: {milestone.meta.get('title', '')}")
        console.print(f"stated result: {milestone.meta['result']}")
        start = time.perf_counter()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "tito.watchdog", str(milestone.script), "--out", str(out)]
        done = children.run(command + (["--quick"] if args.quick else []), env=env, timeout=args.timeout)
        seconds = time.perf_counter() - start
        if done.timed_out:
            console.print(f"[red]stopped after {args.timeout:g} s (an endless loop?) at "
                          f"{escape(done.stuck_at or 'an unknown place')}[/] (raise the limit with --timeout)")
        outcomes.append((milestone, "timeout" if done.timed_out else done.returncode, seconds, out))
    table = Table(title="milestones", title_justify="left")
    for column in ("milestone", "result", "seconds", "figures"):
        table.add_column(column)
    for milestone, code, seconds, out in outcomes:
        verdict = ("[green]reached[/]" if code == 0 else "[red]missed[/]" if code == 1
                   else "[red]stopped (time limit)[/]" if code == "timeout" else f"[red]error ({code})[/]")
        table.add_row(milestone.label, verdict, f"{seconds:.1f}", str(out))
    console.print(table)
    return 0 if all(code == 0 for _, code, _, _ in outcomes) else 1
