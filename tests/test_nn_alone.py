"""Modules 01-02 on their own: tinytorch.nn's activation layers before and after module 04.

A learner who has done modules 01-02 has the later modules as the student edition (every
exercise raises NotImplementedError). Then `tinytorch.nn.ReLU` is module 02's class and
module 02's tests pass; once module 04 (with module 03 beneath it) works, it is module
04's Module subclass of it. A bug in module 04 is raised, not hidden behind module 02.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tito.commands.test import pytest_command
from tito.export import build_package, export_dev_file
from tito.modules import all_modules, find_module
from tito.release import stub_solutions

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "source"


def package_env(package_dir: Path) -> dict:
    """The environment in which `import tinytorch` gives the package in `package_dir`."""
    path = os.pathsep.join([str(package_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return dict(os.environ, PYTHONPATH=path, TINYTORCH_ROOT=str(ROOT), TINYTORCH_HYPOTHESIS_PROFILE="fast")


LATER = {"autograd", "nn", "losses", "optim", "data", "training"}

WHICH = """
import sys
sys.path.pop(0)  # not the checkout's own tinytorch/: the package on PYTHONPATH
import tinytorch.nn as nn
from tinytorch.core import activations, nn as layers
names = ["ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Softmax", "LogSoftmax"]
if all(getattr(nn, n) is getattr(activations, n) for n in names):
    print("module 02")
elif all(getattr(nn, n) is getattr(layers, n) and issubclass(getattr(nn, n), nn.Module) for n in names):
    print("module 04")
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """package(editions): the package with the student edition of those modules (each built once)."""
    built = {}

    def make(editions):
        key = frozenset(editions)
        if key not in built:
            built[key] = _build(tmp_path_factory.mktemp("package"), editions)
        return built[key]
    return make


def _build(where, editions):
    """The package with the student edition of the modules named in `editions`."""
    exports = []
    for module in all_modules(SOURCE):
        dev = module.dev_file
        if module.name in editions:
            text, _ = stub_solutions(dev.read_text(encoding="utf-8"), dev.name)
            dev = where / "editions" / module.folder / dev.name
            dev.parent.mkdir(parents=True)
            dev.write_text(text, encoding="utf-8")
        exports.append(export_dev_file(dev, ROOT))
    return build_package(where / "package", exports, ROOT)


def which_classes(package_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WHICH], cwd=ROOT, env=package_env(package_dir),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("editions, want", [
    (set(), "module 04"),
    (LATER, "module 02"),            # a learner who has done modules 01-02
    ({"nn"}, "module 02"),           # module 04 not started
    ({"autograd"}, "module 02"),     # module 04 works, but the forward needs module 03
], ids=["all done", "01-02 done", "04 not done", "03 not done"])
def test_tinytorch_nn_activations_follow_module_04(package, editions, want):
    done = which_classes(package(editions))
    assert done.returncode == 0 and done.stdout.strip() == want, done.stdout + done.stderr


def test_module_02_tests_pass_with_the_later_modules_not_done(package):
    package_dir = package(LATER)
    tests = find_module("activations", SOURCE).tests_dir
    done = subprocess.run([*pytest_command(), str(tests / "test_api.py"), "-q", "-p", "no:cacheprovider",
                           "--no-header"], cwd=ROOT, env=package_env(package_dir), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_bug_in_module_04_is_raised_not_hidden(tmp_path):
    package_dir = _build(tmp_path, set())
    nn_file = package_dir / "tinytorch" / "core" / "nn.py"
    code = nn_file.read_text(encoding="utf-8")
    old = "    def eval(self):\n"
    assert code.count(old) == 1
    nn_file.write_text(code.replace(old, "    def eval(self):\n        raise ValueError('a bug')\n"), encoding="utf-8")
    done = which_classes(package_dir)
    assert done.returncode == 1 and "ValueError: a bug" in done.stderr, done.stdout + done.stderr
