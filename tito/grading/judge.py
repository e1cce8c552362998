"""The judge: runs a module's tests against one submission it never imports.

Started by tito grade as `python -s -c BOOT`: no folder but the install's is on its import
path (not its working folder, not the user's site folder), so a file a submission writes is
never code the judge runs. Before anything else it reads from its standard input all it
decides with: its spec, the module's test files (pytest imports them from these bytes, never
from disk) and the values the tests share (tito.testing.shared) from the reference run. It
makes `tinytorch` a proxy (tito.grading.proxy) of the package a sandboxed worker imported
(tito.grading.worker), runs pytest with the grading plugin, and writes every test's outcome
to a pipe that tito grade reads.
"""
from __future__ import annotations

import ast
import fnmatch
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import os
import signal
import struct
import sys

import numpy as np
import pytest

# How tito grade starts a judge: its working folder leaves the import path before anything is imported.
BOOT = "import sys; sys.path.pop(0); from tito.grading.judge import main; sys.exit(main())"


def frames(parts: list[bytes]) -> bytes:
    return b"".join(struct.pack("<Q", len(p)) + p for p in parts)


def unframe(data: bytes) -> list[bytes]:
    parts, at = [], 0
    while at < len(data):
        (size,) = struct.unpack_from("<Q", data, at)
        parts.append(data[at + 8:at + 8 + size])
        at += 8 + size
    return parts


def pack_values(values: dict[str, tuple]) -> bytes:
    """Shared values as NumPy's own archive (read back without pickle)."""
    if not values:
        return b""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{key}_{i}": array for key, arrays in values.items() for i, array in enumerate(arrays)})
    return buffer.getvalue()


def unpack_values(data: bytes) -> dict[str, tuple]:
    if not data:
        return {}
    grouped: dict[str, list] = {}
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        for name in sorted(archive.files, key=lambda n: (n.rsplit("_", 1)[0], int(n.rsplit("_", 1)[1]))):
            grouped.setdefault(name.rsplit("_", 1)[0], []).append(archive[name])
    return {key: tuple(arrays) for key, arrays in grouped.items()}


class FrozenTests(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The module's test files, as tito grade read them before any submission ran, are what pytest imports.

    Python files in the tests folder are imported from these bytes, asserts rewritten as
    pytest rewrites them; whatever is on disk is never read."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
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
    from pathlib import Path

    from tito.grading import sandbox

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


def main() -> int:
    spec_bytes, values, *files = unframe(sys.stdin.buffer.read())   # all of it, before any worker exists
    spec = json.loads(spec_bytes)
    tests = {os.path.realpath(files[i].decode()): files[i + 1] for i in range(0, len(files), 2)}

    from tito import testing
    from tito.grading import plugin, proxy, sandbox

    sandbox.guard_judge(spec["grader"])
    testing.shared_values().update(unpack_values(values))
    frozen = FrozenTests(tests)
    sys.meta_path.insert(0, frozen)
    judge = proxy.Judge(_worker_starter(spec), max_restarts=spec.get("max_restarts", 10),
                        limit_mb=spec["limits"]["memory_mb"], blind=spec.get("blind", False))

    def stop(signum, frame):
        judge.close()
        sandbox.sweep()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    proxy.install(judge)
    try:
        status = pytest.main(spec["pytest_args"], plugins=[frozen])
    finally:
        judge.close()
        sandbox.sweep()
    results = dict(plugin.results(), exitstatus=int(status), ended=judge.ended)
    shared = pack_values(testing.shared_values()) if spec.get("share") else b""
    with os.fdopen(spec["results_fd"], "wb") as pipe:   # to tito grade, never through a file
        pipe.write(frames([json.dumps(results).encode(), shared]))
    return 0
