"""tito doctor: what the environment has, what is missing, and the command that fixes it."""
from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from rich.table import Table

from tito import TORCH_INSTALL
from tito.console import console
from tito.modules import project_root

NAME = "doctor"
ORDER = 60
HELP = "check Python, the virtual environment and every dependency"

FIX_ALL = "source bin/activate-tinytorch.sh"
OPTIONAL = {"torch": f"{TORCH_INSTALL}   (PyTorch, the test oracle)"}


def add_arguments(parser) -> None:
    pass


def _requirements() -> list[tuple[str, str]]:
    """(name, specifier) of tinytorch's declared dependencies, extras included."""
    try:
        declared = metadata.requires("tinytorch") or []
    except metadata.PackageNotFoundError:
        return []
    found = []
    for line in declared:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*([^;]*)(;.*)?$", line)
        if match:
            found.append((match[1], match[2].strip() + (" (extra)" if match[3] else "")))
    return found


def run(args) -> int:
    root = project_root()
    problems: list[tuple[str, bool]] = []  # (the fix, whether TinyTorch needs it)
    table = Table(title="TinyTorch environment", title_justify="left")
    for column in ("check", "found", "status"):
        table.add_column(column)

    py_ok = sys.version_info >= (3, 10)
    table.add_row("Python >= 3.10", sys.version.split()[0], "[green]ok[/]" if py_ok else "[red]too old[/]")
    if not py_ok:
        problems.append(("install Python 3.10 or newer, then: rm -rf .venv && " + FIX_ALL, True))

    venv = Path(sys.prefix)
    in_venv = sys.prefix != sys.base_prefix
    expected = (root / ".venv").resolve()
    venv_ok = in_venv and venv.resolve() == expected
    table.add_row("virtual environment", str(venv) if in_venv else "none (system Python)",
                  "[green]ok[/]" if venv_ok else "[yellow]not the project's .venv[/]")
    if not venv_ok:
        problems.append((f"activate the project's environment: {FIX_ALL}", True))

    requirements = _requirements()
    if not requirements:
        table.add_row("tinytorch installed", "no", "[red]missing[/]")
        problems.append((f"install the project: {FIX_ALL}", True))
    for name, spec in requirements:
        try:
            version = metadata.version(name)
            status = "[green]ok[/]"
        except metadata.PackageNotFoundError:
            version = "-"
            optional = "(extra)" in spec
            status = "[yellow]optional, missing[/]" if optional else "[red]missing[/]"
            fix = (OPTIONAL.get(name, f"pip install '{name}{spec.replace(' (extra)', '')}'") if optional
                   else f"install it: {FIX_ALL}  (or pip install '{name}{spec}')")
            problems.append((fix, not optional))
        table.add_row(name + (f" {spec}" if spec else ""), version, status)

    console.print(table)
    needed = [fix for fix, must in problems if must]
    optional = [fix for fix, must in problems if not must]
    for title, fixes in (("To fix:", needed), ("Optional:", optional)):
        if fixes:
            console.print(f"[bold]{title}[/]")
            for fix in dict.fromkeys(fixes):
                console.print(f"  {fix}", markup=False)
    if not needed:
        console.print("[green]everything TinyTorch needs is here[/]")
    return 1 if any(needed for _, needed in problems) else 0
