"""The judge: runs a module's tests against one submission it never imports.

Started by tito grade as `python -m tito.grading.judge SPEC` (a JSON file). It makes
`tinytorch` a proxy (tito.grading.proxy) of the package a sandboxed worker imported
(tito.grading.worker), runs pytest with the grading plugin, and writes every test's
outcome to a pipe that tito grade reads. Every file it reads (the spec, the tests) is read
before the first worker starts, so nothing a worker writes later (without isolation it
runs as the same user) changes what the judge runs.
"""
from __future__ import annotations

import ast
import fnmatch
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tito.grading import proxy, sandbox


class FrozenTests(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The module's test files, read before any worker starts, are what pytest imports.

    Without isolation a worker runs as the grading user and could rewrite a test file that
    pytest has not yet read (every file after the first that imports tinytorch). Python
    files in the tests folder are imported from these bytes, asserts rewritten as pytest
    rewrites them; whatever is on disk later is never read."""

    def __init__(self, folder: Path):
        self.files = {os.path.realpath(p): p.read_bytes() for p in sorted(folder.rglob("*.py"))
                      if "__pycache__" not in p.parts and p.is_file() and not p.is_symlink()}
        self.config = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_load_initial_conftests(self, early_config):
        """After pytest put its assertion rewriter first on sys.meta_path, before any test file."""
        self.config = early_config
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        sys.meta_path.insert(0, self)

    def find_spec(self, name, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.origin is None or os.path.realpath(spec.origin) not in self.files:
            return None
        return importlib.util.spec_from_file_location(name, spec.origin, loader=self,
                                                      submodule_search_locations=spec.submodule_search_locations)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        origin = module.__spec__.origin
        source = self.files[os.path.realpath(origin)]
        tree = ast.parse(source, filename=origin)
        name = os.path.basename(origin)
        if self.config is not None and (name == "conftest.py" or any(
                fnmatch.fnmatch(name, pattern) for pattern in self.config.getini("python_files"))):
            from _pytest.assertion.rewrite import rewrite_asserts

            rewrite_asserts(tree, source, origin, self.config)
        exec(compile(tree, origin, "exec", dont_inherit=True), module.__dict__)


def _worker_starter(spec: dict):
    box = sandbox.Sandbox(**spec["sandbox"])
    limits = sandbox.Limits(**{k: (float("inf") if k == "timeout" and v is None else v)
                               for k, v in spec["limits"].items()})

    def start():
        to_worker_r, to_worker_w = os.pipe()
        to_judge_r, to_judge_w = os.pipe()
        argv = [sys.executable, "-m", "tito.grading.worker", str(to_worker_r), str(to_judge_w)]
        job = sandbox.Job(argv, spec["worker_env"], Path(spec["worker_folder"]), limits, spec["number"],
                          spec["hide"], spec["keep"], pass_fds=(to_worker_r, to_judge_w))
        running = sandbox.start(job, box)
        os.close(to_worker_r)
        os.close(to_judge_w)
        return running, to_judge_r, to_worker_w

    return start


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sandbox.guard_judge()
    frozen = FrozenTests(Path(spec["tests"]))   # before any worker exists
    if spec.get("numerics"):   # the reference run's exact values, read before any worker exists
        from tito.numerics import reference
        reference.preload(Path(spec["numerics"]))
    sys.meta_path.insert(0, frozen)
    judge = proxy.Judge(_worker_starter(spec), max_restarts=spec.get("max_restarts", 10),
                        limit_mb=spec["limits"]["memory_mb"])

    def stop(signum, frame):
        judge.close()
        sandbox.sweep()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    proxy.install(judge)
    from tito.grading import plugin  # imported before any worker starts

    try:
        status = pytest.main(spec["pytest_args"], plugins=[frozen])
    finally:
        judge.close()
        sandbox.sweep()
    results = dict(plugin.results(), exitstatus=int(status), ended=judge.ended)
    with os.fdopen(spec["results_fd"], "wb") as pipe:   # to tito grade, never through a file
        pipe.write(json.dumps(results).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
