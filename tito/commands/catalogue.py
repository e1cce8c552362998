"""tito catalogue: run a module's catalogue of learner mistakes and correct variants."""
from __future__ import annotations

from rich.markup import escape

from tito.catalogue import catalogued, problems, run_catalogue, table
from tito.console import TitoError, console
from tito.modules import find_module, project_root

NAME = "catalogue"
ORDER = 85
HELP = "for instructors: check that a module's tests catch its catalogue of mistakes"
DESCRIPTION = """\
Run a module's catalogue (catalogue.py in its folder, instructor material): every
mistake must make at least one of the module's tests fail (with PyTorch hidden),
every correct variant must pass them all (with PyTorch present). Each entry runs
only the tests that reach the code it changes, in one process per module.

  tito catalogue nn                    every entry of module 04's catalogue
  tito catalogue nn weight_transposed  only the entries named
  tito catalogue --all                 every module that has a catalogue

It prints a table (entry, verdict, first failing test, seconds) and exits 1 when a
mistake slips through, a variant fails or the reference itself fails.
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module name or number")
    parser.add_argument("entries", nargs="*", help="only these entries")
    parser.add_argument("--all", action="store_true", help="every module that has a catalogue")


def run(args) -> int:
    root = project_root()
    source = root / "assignments" / "source"
    if args.all:
        modules = catalogued(root)
    elif args.module:
        modules = [find_module(args.module, source)]
        if not (modules[0].path / "catalogue.py").exists():
            raise TitoError(f"module {modules[0].folder} has no catalogue.py",
                            hint="see tito/catalogue.py for the format")
    else:
        raise TitoError("name a module, or --all", hint="e.g. `tito catalogue activations`")
    failed = 0
    for module in modules:
        with console.status(f"catalogue of {module.folder} ..."):
            result = run_catalogue(module, root, only=args.entries or None)
        console.print(table(result), markup=False, highlight=False, soft_wrap=True)
        wrong = problems(result, complete=not args.entries)
        for line in wrong:
            console.print(f"[red]- {escape(line)}[/]", soft_wrap=True)
        failed += bool(wrong)
    return 1 if failed else 0
