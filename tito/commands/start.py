"""tito start: make your own edition of the modules, once, and work in it from then on."""
from __future__ import annotations

from rich.markup import escape

from tito.console import TitoError, console
from tito.modules import (
    WORKSPACE_FILE,
    all_modules,
    describe_workspace,
    project_root,
    record_workspace,
    recorded_workspace,
    resolve_workspace,
)

NAME = "start"
ORDER = 5
HELP = "make your own edition of the modules and work in it from now on (once, after git clone)"
DESCRIPTION = f"""\
Start your own TinyTorch, once, after `git clone`:

  1. make your edition in assignments/release/: every module's chapter with each
     solution replaced by `raise NotImplementedError(...)` under its TODO and hints
     (the code `tito release` writes). An edition that is already there is your
     work: it is kept as it is, never replaced.
  2. record in {WORKSPACE_FILE} (not committed: git ignores it) that every command of
     this clone works on your edition from now on: tito test, check, plot, bench,
     sync, status, jupyter. Each says first which edition it judges.
  3. export your edition into the tinytorch package (`tito sync`), so the package,
     the notebooks and the milestones use your code: a function is a stub until you
     write it and sync.

The reference solutions stay in assignments/source/; `--from source` on any
command judges them instead (for instructors, and for CI on a fresh clone, which
never ran `tito start`). To work on the reference by default again, delete
{WORKSPACE_FILE}.

  tito start                 once
  tito jupyter -m tensor     then open the first chapter
  tito test tensor           and test your code as you write it
"""


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    root = project_root()
    release = root / "assignments" / "release"
    recorded = recorded_workspace(root)
    if recorded:
        path = resolve_workspace(recorded, root)
        console.print(f"You already work on {escape(describe_workspace(path, root, how=False))}, "
                      f"set by `tito start` ({WORKSPACE_FILE}); nothing was changed.")
        _next_steps(path)
        return 0
    if release.is_dir() and all_modules(release):
        console.print(f"Your edition is already there ({release.relative_to(root)}/): kept as it is.")
    else:
        source = root / "assignments" / "source"
        if not source.is_dir():
            raise TitoError("neither assignments/release/ nor assignments/source/ is here",
                            hint="run tito start in a TinyTorch clone")
        from tito.commands.release import write_edition

        with console.status("making your edition ..."):
            built = write_edition(all_modules(source), release, root)
        stubs = sum(count for _, count, _ in built)
        console.print(f"Made your edition in {release.relative_to(root)}/: {len(built)} modules, "
                      f"{stubs} functions to write.")
    record_workspace("release", root)
    console.print(f"Recorded in {WORKSPACE_FILE}: every command works on it from now on "
                  "(--from source: the reference).")
    _sync(root, release)
    _next_steps(release)
    return 0


def _sync(root, release) -> None:
    """Export the edition into the package; a dev file that does not export is said, not fatal."""
    from tito.commands.sync import export_workspace

    try:
        written = export_workspace(root, all_modules(release)).written
    except TitoError as error:
        console.print(f"[yellow]The package was not changed:[/] {escape(error.message)}")
        if error.hint:
            console.print(f"[yellow]hint:[/] {escape(error.hint)}")
        return
    console.print(f"Exported it into tinytorch/ ({len(written)} file(s) changed): the package holds "
                  "your code.")


def _next_steps(path) -> None:
    first = next(iter(all_modules(path)), None)
    if first is None:
        return
    console.print("Next:")
    for command, what in ((f"tito jupyter -m {first.name}", "open the first chapter"),
                          (f"tito test {first.name}", "test your code as it is now"),
                          ("tito sync", "export what you wrote into the package"),
                          ("tito status", "where each module stands")):
        console.print(f"  {command:<24} {what}", markup=False)
