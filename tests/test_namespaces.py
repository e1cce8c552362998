"""The PyTorch-style namespaces are generated from the modules' declarations, and hold.

`tito sync` writes tinytorch/__init__.py, tinytorch/nn/, ... from each module.yaml's
`exports`; a student edition with the later modules still stubs imports and works.
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
    env = dict(os.environ, TINYTORCH_ROOT=str(ROOT))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_dir), env.get("PYTHONPATH")]))
    return env

DECLARED = "title: Demo\nexports:\n  tinytorch: [double]\n  tinytorch.extra.deep: [\"double as twice\"]\n"


def _declare(project, text=DECLARED):
    (project.module() / "module.yaml").write_text(text)


def _python(project, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=project.root, capture_output=True, text=True,
                          timeout=120)


def test_sync_generates_every_namespace_from_the_declarations(project):
    _declare(project)
    project.tito("sync", check=True)
    top = (project.root / "tinytorch" / "__init__.py").read_text()
    assert "from tinytorch.core.demo import double" in top and "from tinytorch import extra" in top
    assert (project.root / "tinytorch" / "extra" / "__init__.py").exists()
    deep = (project.root / "tinytorch" / "extra" / "deep.py").read_text()
    assert "from tinytorch.core.demo import double as twice" in deep and '__all__ = ["twice"]' in deep
    done = _python(project, "import tinytorch; print(tinytorch.double(3), tinytorch.extra.deep.twice(4))")
    assert done.stdout.split() == ["6", "8"], done.stderr
    assert project.tito("sync", "--check").returncode == 0


def test_sync_check_notices_a_namespace_edited_by_hand(project):
    _declare(project)
    project.tito("sync", check=True)
    deep = project.root / "tinytorch" / "extra" / "deep.py"
    deep.write_text(deep.read_text() + "oops = 1\n")
    done = project.tito("sync", "--check")
    assert done.returncode == 1 and "tinytorch/extra/deep.py" in done.stdout


def test_a_namespace_no_longer_declared_is_removed(project):
    _declare(project)
    project.tito("sync", check=True)
    _declare(project, "title: Demo\nexports:\n  tinytorch: [double]\n")
    assert project.tito("sync", "--check").returncode == 1
    project.tito("sync", check=True)
    assert not (project.root / "tinytorch" / "extra" / "deep.py").exists()
    assert "extra" not in (project.root / "tinytorch" / "__init__.py").read_text()


@pytest.mark.parametrize("exports, expected", [
    ("  tinytorch: [triple]\n", "triple"),
    ("  tinytorch: [double, double]\n", "declared twice"),
    ("  tinytorch.core.demo: [double]\n", "not a namespace"),
    ("  tinytorch: [\"double as 2x\"]\n", "not a name"),
    ("  tinytorch.datasets: [double]\n", "hand-written"),
], ids=["undefined", "twice", "core", "bad name", "hand-written"])
def test_a_bad_declaration_is_a_clear_error_and_nothing_is_written(project, exports, expected):
    handwritten = project.root / "tinytorch" / "datasets" / "__init__.py"
    handwritten.parent.mkdir()
    handwritten.write_text('"""Hand-written: loaders."""\n')
    _declare(project, "title: Demo\nexports:\n" + exports)
    done = project.tito("sync")
    assert done.returncode == 2 and expected in done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (project.root / "tinytorch" / "core" / "demo.py").exists()
    assert handwritten.read_text() == '"""Hand-written: loaders."""\n'


def test_a_name_declared_by_two_modules_names_both(project):
    _declare(project, "title: Demo\nexports:\n  tinytorch: [double]\n")
    other = project.module("02_other")
    other.mkdir(parents=True)
    (other / "other_dev.py").write_text("# %%\n#| default_exp core.other\n\n# %%\n#| export\ndouble = 2\n")
    (other / "module.yaml").write_text("title: Other\nexports:\n  tinytorch: [double]\n")
    done = project.tito("sync")
    assert done.returncode == 2 and "01_demo" in done.stderr and "02_other" in done.stderr


# ---- the real modules: a student edition with the later modules still stubs ------------------

LATER = {"autograd", "nn", "losses", "optim", "data", "training"}


@pytest.fixture(scope="module")
def student_package(tmp_path_factory):
    """The package with modules 01-02 solved and the later ones as the student edition."""
    where = tmp_path_factory.mktemp("student")
    exports = []
    for module in all_modules(SOURCE):
        dev = module.dev_file
        if module.name in LATER:
            text, _ = stub_solutions(dev.read_text(encoding="utf-8"), dev.name)
            dev = where / "editions" / module.folder / dev.name
            dev.parent.mkdir(parents=True)
            dev.write_text(text, encoding="utf-8")
        exports.append(export_dev_file(dev, ROOT))
    return build_package(where / "package", exports, ROOT, all_modules(SOURCE))


STUDENT = """
import sys
sys.path.pop(0)  # not the checkout's own tinytorch/: the package on PYTHONPATH
import numpy as np
import tinytorch
from tinytorch.core import activations, nn as layers
assert tinytorch.nn.ReLU is layers.ReLU  # module 04's layer, whatever its state
for name in ("nn", "optim", "utils", "autograd", "datasets"):
    assert hasattr(tinytorch, name), name
x = tinytorch.Tensor([-1.0, 2.0])
assert np.array_equal(tinytorch.nn.functional.relu(x).data, activations.relu(x).data)
print("ok")
"""


def test_a_student_edition_with_later_modules_not_started_imports(student_package):
    done = subprocess.run([sys.executable, "-c", STUDENT], cwd=ROOT, env=package_env(student_package),
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stdout + done.stderr


@pytest.mark.parametrize("folder", ["01_tensor", "02_activations"])
def test_modules_01_02_pass_with_the_later_modules_not_started(student_package, folder):
    tests = find_module(folder, SOURCE).tests_dir
    done = subprocess.run([*pytest_command(), str(tests), "-q", "-x", "-p", "no:cacheprovider", "--no-header"],
                          cwd=ROOT, env=package_env(student_package), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
