"""Running a catalogue: learner mistakes injected into a module's exported code must make
its tests fail; correct variants written differently must make them pass.

A catalogue test builds the package from the reference dev files once, then for each
entry writes a copy with one module's code patched, and runs that module's tests on it
in a subprocess (TINYTORCH_HYPOTHESIS_PROFILE=fast), two at a time.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tito.commands.test import pytest_command
from tito.export import build_package, export_dev_file
from tito.modules import all_modules, find_module

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "source"
WORKERS = 2


@dataclass(frozen=True)
class Entry:
    """One rewrite of a module's exported code: a mistake (must fail) or a variant (must pass)."""

    name: str
    what: str  # the mistake or the variant, as a learner would write it
    replace: tuple[str, str] | None = None  # (old, new): old must occur exactly once
    append: str = ""  # code appended to the module (overrides a function or method)

    def apply(self, code: str) -> str:
        if self.replace:
            old, new = self.replace
            count = code.count(old)
            assert count == 1, f"{self.name!r}: the patch target occurs {count} times, not once"
            code = code.replace(old, new)
        if self.append:
            code += "\n\n# --- injected ---\n" + self.append.strip() + "\n"
        compile(code, f"<{self.name}>", "exec")
        return code


def reference_package(target: Path) -> Path:
    """The package built from every reference dev file, in `target`."""
    exports = [export_dev_file(m.dev_file, ROOT) for m in all_modules(SOURCE) if m.dev_file.exists()]
    return build_package(target, exports, ROOT)


def run_module_tests(module_name: str, package_dir: Path, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    module = find_module(module_name, SOURCE)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(package_dir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["TINYTORCH_ROOT"] = str(ROOT)
    env["TINYTORCH_HYPOTHESIS_PROFILE"] = "fast"
    command = [*pytest_command(), str(module.tests_dir), "-x", "-q", "-p", "no:cacheprovider",
               "--tb=line", "--no-header", *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if ("Error" in line or "Failed" in line or "assert" in line) and len(line) > 20:
            return line.strip()[:150]
    return output.strip().splitlines()[-1][:150] if output.strip() else "(no output)"


def run_entries(module_name: str, package_dir: Path, scratch: Path, entries: list[Entry]):
    """(entry, exit code, first failure, seconds) for each entry, its module's code rewritten."""
    relative = Path("tinytorch", "core", f"{module_name}.py")
    code = (package_dir / relative).read_text(encoding="utf-8")
    patched = {e.name: e.apply(code) for e in entries}  # a patch that does not apply fails here

    def run(entry: Entry):
        where = scratch / entry.name
        shutil.copytree(package_dir / "tinytorch", where / "tinytorch")
        (where / relative).write_text(patched[entry.name], encoding="utf-8")
        start = time.perf_counter()
        done = run_module_tests(module_name, where)
        return entry, done.returncode, _first_failure(done.stdout), time.perf_counter() - start, done.stdout

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, entries))


def judge(kind: str, results, want_code: int) -> list[str]:
    """Print the table; the entries whose exit code is not `want_code` (1: caught, 0: passed)."""
    ok = [r for r in results if r[1] == want_code]
    print(f"\n{kind:34s} {'ok':6s} {'s':>5s}  first failure")
    for entry, code, first, seconds, _ in results:
        verdict = "yes" if code == want_code else f"NO ({code})"
        print(f"{entry.name:34s} {verdict:6s} {seconds:5.1f}  {first if code else ''}")
    print(f"{kind}: {len(ok)}/{len(results)}")
    return [f"{e.name} ({e.what}): exit code {code}\n{out[-1500:]}" for e, code, _, _, out in results
            if code != want_code]
