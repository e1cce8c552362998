"""tito doctor: what the environment has, what is missing, and the command that fixes it."""
from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from rich.table import Table

from tito import HIDE_TORCH_ENV, torch_is_hidden
from tito.console import console
from tito.modules import project_root

NAME = "doctor"
ORDER = 60
HELP = "check Python, the virtual environment and every dependency"

FIX_ALL = "source bin/activate-tinytorch.sh"
# What the extras are for: the set-up installs them, because the tests use them.
FOR_TESTS = {"torch": "the tests' oracle", "nbgrader": "tested with"}


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
            found.append((match[1], match[2].strip()))
    return found


def _pin_broken(version: str, spec: str) -> bool:
    """Whether an exact pin (==X) is not met; a local build tag (2.13.0+cpu) still meets it."""
    pins = [part.strip()[2:].strip() for part in spec.split(",") if part.strip().startswith("==")]
    return any(version.split("+", 1)[0] != pin for pin in pins)


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
        label = name + (f" {spec}" if spec else "") + (f" ({FOR_TESTS[name]})" if name in FOR_TESTS else "")
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            table.add_row(label, "-", "[red]missing[/]")
            problems.append((f"install it: {FIX_ALL}", True))
            continue
        if _pin_broken(version, spec):
            table.add_row(label, version, "[red]wrong version[/]")
            problems.append((f"install {name}{spec}: rm -rf .venv && {FIX_ALL}", True))
        else:
            table.add_row(label, version, "[green]ok[/]")
    if torch_is_hidden():
        table.add_row("PyTorch visible", f"no: {HIDE_TORCH_ENV} is set",
                      "[yellow]hidden: the cross-checks skip[/]")
        problems.append((f"unset {HIDE_TORCH_ENV} to run the cross-checks against PyTorch", False))

    console.print(table)
    needed = [fix for fix, must in problems if must]
    notes = [fix for fix, must in problems if not must]
    for title, fixes in (("To fix:", needed), ("Note:", notes)):
        if fixes:
            console.print(f"[bold]{title}[/]")
            for fix in dict.fromkeys(fixes):
                console.print(f"  {fix}", markup=False)
    if not needed:
        console.print("[green]everything TinyTorch and its tests need is here[/]")
    return 1 if needed else 0
