"""Running a catalogue: learner mistakes injected into a module's exported code must make
its tests fail; correct variants written differently must make them pass.

A catalogue test builds the package from the reference dev files once, then for each
entry writes a copy with one module's code patched, and runs that module's tests on it
in a subprocess (TINYTORCH_HYPOTHESIS_PROFILE=fast), two at a time. A catalogue file
lists its entries and takes its tests from `catalogue_tests`:

    globals().update(catalogue_tests("data", MISTAKES, VARIANTS, at_least=15))
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def package_env(package_dir: Path) -> dict:
    """The environment in which `import tinytorch` gives the package in `package_dir`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(package_dir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["TINYTORCH_ROOT"] = str(ROOT)
    env["TINYTORCH_HYPOTHESIS_PROFILE"] = "fast"
    return env


def run_module_tests(module_name: str, package_dir: Path, first: Sequence[str] = (),
                     stop_first: bool = True) -> subprocess.CompletedProcess:
    """The module's tests against the package in `package_dir` (Hypothesis's fast profile).

    first: test files to run before the others (stopping at the first failure, the tests
    that catch most mistakes soonest make a catalogue quicker).
    """
    tests = find_module(module_name, SOURCE).tests_dir
    files = [str(tests / name) for name in first if (tests / name).exists()]
    files += [str(path) for path in sorted(tests.glob("test_*.py")) if path.name not in first]
    command = [*pytest_command(), *(files or [str(tests)]), "-q", "-p", "no:cacheprovider",
               "--tb=line", "--no-header"] + (["-x"] if stop_first else [])
    return subprocess.run(command, cwd=ROOT, env=package_env(package_dir), capture_output=True,
                          text=True, timeout=600)


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if ("Error" in line or "Failed" in line or "assert" in line) and len(line) > 20:
            return line.strip()[:150]
    return output.strip().splitlines()[-1][:150] if output.strip() else "(no output)"


def run_entries(module_name: str, package_dir: Path, scratch: Path, entries: list[Entry],
                first: Sequence[str] = (), suffix: str = "", stop_first: bool = True):
    """(entry, exit code, first failure, seconds, output) for each entry, its module's code
    rewritten (and `suffix` appended after the entry's own code)."""
    relative = Path("tinytorch", "core", f"{module_name}.py")
    code = (package_dir / relative).read_text(encoding="utf-8")
    patched = {e.name: e.apply(code) + suffix for e in entries}  # a patch that does not apply fails here

    def run(entry: Entry):
        where = scratch / entry.name
        shutil.copytree(package_dir / "tinytorch", where / "tinytorch")
        (where / relative).write_text(patched[entry.name], encoding="utf-8")
        start = time.perf_counter()
        done = run_module_tests(module_name, where, first, stop_first)
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


def run_together(module_name: str, package_dir: Path, scratch: Path, entries: list[Entry],
                 first: Sequence[str] = (), suffix: str = "") -> subprocess.CompletedProcess:
    """The module's tests (all of them) with every entry applied at once."""
    relative = Path("tinytorch", "core", f"{module_name}.py")
    code = (package_dir / relative).read_text(encoding="utf-8")
    for entry in entries:
        code = entry.apply(code)
    shutil.copytree(package_dir / "tinytorch", scratch / "together" / "tinytorch")
    (scratch / "together" / relative).write_text(code + suffix, encoding="utf-8")
    return run_module_tests(module_name, scratch / "together", first, stop_first=False)


def catalogue_tests(module_name: str, mistakes: list[Entry], variants: list[Entry], at_least: int = 12,
                    first: Sequence[str] = (), suffix: str = "", together: bool = False,
                    variants_at_least: int = 3) -> dict:
    """The tests of a module's catalogue, for its test file's globals: the reference passes
    the fast run, every mistake is caught (at least `at_least` of them), every variant passes.

    together: the variants rewrite different code, so they all apply at once, in one run.
    """

    @pytest.fixture(scope="module")
    def package(tmp_path_factory):
        return reference_package(tmp_path_factory.mktemp("reference"))

    def test_reference_passes_the_fast_run(package):
        """The catalogue's quick configuration passes on the reference (else every mistake 'is caught')."""
        done = run_module_tests(module_name, package, first)
        assert done.returncode == 0, f"the module's tests fail on the reference:\n{done.stdout[-3000:]}"

    def test_every_mistake_is_caught(package, tmp_path):
        results = run_entries(module_name, package, tmp_path, mistakes, first, suffix)
        missed = judge("mistake caught", results, want_code=1)
        assert len(mistakes) >= at_least
        assert not missed, f"mistakes the {module_name} tests did not catch:\n" + "\n".join(missed)

    def test_every_correct_variant_passes(package, tmp_path):
        assert len(variants) >= variants_at_least
        if together:
            done = run_together(module_name, package, tmp_path, variants, first, suffix)
            print(f"\n{len(variants)} correct variants together: exit code {done.returncode}")
            assert done.returncode == 0, f"the {module_name} tests reject correct code:\n{done.stdout[-3000:]}"
            return
        results = run_entries(module_name, package, tmp_path, variants, first, suffix)
        failed = judge("variant passes", results, want_code=0)
        assert not failed, f"correct variants the {module_name} tests reject:\n" + "\n".join(failed)

    tests = {"package": package, "test_reference_passes_the_fast_run": test_reference_passes_the_fast_run,
             "test_every_mistake_is_caught": test_every_mistake_is_caught}
    if variants:
        tests["test_every_correct_variant_passes"] = test_every_correct_variant_passes
    return tests
