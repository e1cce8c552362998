"""Running a module's tests against a package with one injected mistake (or correct variant).

The catalogues of modules 04 and 05 share this; the mistake format and the reporting are
those of test_activations_catalogue.py, reused from there.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from test_activations_catalogue import Mistake, _fast_env, _first_failure  # noqa: F401 - Mistake is re-exported

from tito.commands.test import pytest_command
from tito.export import build_package, export_dev_file
from tito.modules import all_modules

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2


def reference_package(target: Path, module_target: str) -> tuple[Path, str]:
    """A package built from every dev file, and the exported code of `module_target`."""
    exports = [export_dev_file(m.dev_file, ROOT) for m in all_modules(ROOT / "assignments" / "source")
               if m.dev_file.exists()]
    build_package(target, exports, ROOT)
    return target, next(e.code for e in exports if e.target == module_target)


def run_tests(package_dir: Path, tests_dir: Path) -> subprocess.CompletedProcess:
    command = [*pytest_command(), str(tests_dir), "-x", "-q", "-p", "no:cacheprovider", "--tb=line", "--no-header"]
    return subprocess.run(command, cwd=ROOT, env=_fast_env(package_dir), capture_output=True, text=True, timeout=600)


def run_all(package_dir: Path, code: str, module_file: str, tests_dir: Path, entries: list, tmp_path: Path):
    """[(entry, completed process, seconds)] with each entry's patch applied to `code`."""
    patched = {e.name: e.apply(code) for e in entries}  # a patch that does not apply fails here

    def run(entry):
        where = tmp_path / entry.name
        shutil.copytree(package_dir / "tinytorch", where / "tinytorch")
        (where / "tinytorch" / "core" / module_file).write_text(patched[entry.name], encoding="utf-8")
        start = time.perf_counter()
        done = run_tests(where, tests_dir)
        return entry, done, time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, entries))


def report(results, kind: str) -> None:
    print(f"\n{kind:34s} {'exit':5s} {'s':>5s}  first failure")
    for entry, done, seconds in results:
        print(f"{entry.name:34s} {done.returncode:<5d} {seconds:5.1f}  {_first_failure(done.stdout)}")


def reference_passes(package_dir: Path, tests_dir: Path) -> None:
    """The catalogue's quick configuration passes on the reference (else every mistake 'is caught')."""
    done = run_tests(package_dir, tests_dir)
    assert done.returncode == 0, f"the module's tests fail on the reference:\n{done.stdout[-3000:]}"


def judge(reference, module, module_file: str, mistakes: list, variants: list, tmp_path: Path) -> None:
    """Every mistake makes the module's tests fail (exit 1); every correct variant passes them."""
    package_dir, code = reference
    results = run_all(package_dir, code, module_file, module.tests_dir, mistakes + variants, tmp_path)
    report(results, "mistake / variant")
    caught = [(m, done) for m, done, _ in results[:len(mistakes)]]
    passed = [(v, done) for v, done, _ in results[len(mistakes):]]
    print(f"mistakes caught: {sum(d.returncode == 1 for _, d in caught)}/{len(mistakes)}; "
          f"correct variants passing: {sum(d.returncode == 0 for _, d in passed)}/{len(variants)}")
    missed = [f"{m.name} ({m.what}): exit {done.returncode}" for m, done in caught if done.returncode != 1]
    wrongly = [f"{v.name} ({v.what}):\n{done.stdout[-1500:]}" for v, done in passed if done.returncode != 0]
    assert len(mistakes) >= 12
    assert not missed, f"mistakes the {module.name} tests did not catch:\n" + "\n".join(missed)
    assert not wrongly, f"correct variants the {module.name} tests reject:\n" + "\n".join(wrongly)
