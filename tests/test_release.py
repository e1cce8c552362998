"""tito release: the student edition, and a learner working in it with --from / TINYTORCH_SOURCE."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import jupytext
import nbformat
import pytest

from tito import PYTEST_PLUGINS
from tito.commands.test import pytest_command
from tito.console import TitoError
from tito.export import build_package, export_dev_file
from tito.modules import all_modules
from tito.release import make_edition, strip_hidden_tests, stub_solutions

ROOT = Path(__file__).resolve().parents[1]
REAL_MODULES = all_modules(ROOT / "assignments" / "source")

STUB = re.compile(r'^( *)raise NotImplementedError\("(.+): not implemented yet"\)$', re.M)
BLOCK = re.compile(r"^ *### BEGIN SOLUTION\n(.*?)^ *### END SOLUTION\n", re.M | re.S)


def restore_solutions(edition: str, source: str) -> str:
    """The edition with each stub replaced by the source's solution, in order: a learner's work."""
    blocks = BLOCK.findall(source)
    stubs = STUB.findall(edition)
    assert len(blocks) == len(stubs) > 0, (len(blocks), len(stubs))
    solutions = iter(blocks)
    return STUB.sub(lambda m: next(solutions).rstrip("\n"), edition)


def check_nbgrader_v3(notebook) -> dict:
    """nbgrader's cell-metadata rules (schema 3), checked independently; returns grade_id -> metadata."""
    allowed = {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points", "checksum", "cell_type"}
    ids = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        assert set(meta) <= allowed, set(meta) - allowed
        assert meta["schema_version"] == 3
        for key in ("grade", "locked", "solution"):
            assert isinstance(meta[key], bool), key
        if meta["grade"] or meta["solution"] or meta["locked"]:
            assert re.fullmatch(r"[a-zA-Z0-9_\-]+", meta["grade_id"]), meta["grade_id"]
            assert meta["grade_id"] not in ids, f"duplicate grade id {meta['grade_id']}"
            ids[meta["grade_id"]] = (cell, meta)
        if meta["grade"]:
            assert isinstance(meta["points"], (int, float)) and meta["points"] >= 0
        if cell.cell_type == "markdown":
            assert meta["grade"] == meta["solution"], "markdown: grade and solution go together"
    return ids


CLASS_DEV = '''\
# %%
#| default_exp core.act

# %%
#| export
import numpy as np

# %%
#| export
class Sigmoid:
    """sigma(x) = 1 / (1 + exp(-x))."""

    def forward(self, x):
        # TODO: the logistic function.
        # HINTS: np.exp
        ### BEGIN SOLUTION
        return 1 / (1 + np.exp(-x))
        ### END SOLUTION

    @staticmethod
    def helper(x):
        def inner(y):
            ### BEGIN SOLUTION
            return y
            ### END SOLUTION
        return inner(x)

# %% [markdown]
# Check it.

# %%
#| points 3
assert Sigmoid().forward(0.0) == 0.5
### BEGIN HIDDEN TESTS
assert Sigmoid().forward(100.0) == 1.0
### END HIDDEN TESTS

# %%
x = np.linspace(-3, 3)  # a demo cell
'''


def test_stub_names_method_and_nested_function_and_keeps_scaffolding():
    stubbed, stubs = stub_solutions(CLASS_DEV, "act_dev.py")
    assert stubs == ["Sigmoid.forward", "Sigmoid.helper.inner"]
    assert '        raise NotImplementedError("Sigmoid.forward: not implemented yet")\n' in stubbed
    assert '            raise NotImplementedError("Sigmoid.helper.inner: not implemented yet")\n' in stubbed
    assert "# TODO: the logistic function.\n        # HINTS: np.exp\n        raise" in stubbed
    assert "SOLUTION" not in stubbed and "1 / (1 + np.exp(-x))" not in stubbed
    namespace = {}
    exec(compile(stubbed.split("# %% [markdown]")[0], "act_dev.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Sigmoid.forward: not implemented yet"):
        namespace["Sigmoid"]().forward(0.0)


def test_hidden_tests_are_removed_with_their_markers():
    text, blocks = strip_hidden_tests(CLASS_DEV, "act_dev.py")
    assert blocks == 1
    assert "forward(100.0)" not in text and "HIDDEN" not in text
    assert "assert Sigmoid().forward(0.0) == 0.5" in text


@pytest.mark.parametrize(
    "broken, message",
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "act_dev.py:2: `### BEGIN SOLUTION` is never closed"),
        ("def f():\n    return 1\n    ### END SOLUTION\n", "act_dev.py:3: `### END SOLUTION` without a BEGIN"),
        (
            "# %%\n#| export\n### BEGIN SOLUTION\nX = 1\n### END SOLUTION\n",
            "act_dev.py:3: a solution block outside any function",
        ),
    ],
)
def test_malformed_solution_blocks_are_refused_with_their_line(broken, message):
    with pytest.raises(TitoError, match=re.escape(message)):
        stub_solutions(broken, "act_dev.py")


def test_notebook_carries_nbgrader_metadata():
    edition = make_edition(CLASS_DEV, "act_dev.py")
    nbformat.validate(edition.notebook)
    ids = check_nbgrader_v3(edition.notebook)
    roles = {gid.split("-")[0]: meta for gid, (_, meta) in ids.items()}
    assert roles["solution"] == {"grade": False, "solution": True, "locked": False, "task": False,
                                 "schema_version": 3, "grade_id": "solution-Sigmoid"}
    check_cell, check = next((c, m) for c, m in ids.values() if m["grade"])
    assert check["points"] == 3 and check["locked"] and "forward(100.0)" not in check_cell.source
    assert roles["prose"]["locked"] and not roles["prose"]["solution"]
    assert roles["package"]["locked"]  # the default_exp and import cells
    for cell, meta in ids.values():
        assert cell.metadata.get("editable", True) is not meta["locked"]
    demo = edition.notebook.cells[-1]
    assert "nbgrader" not in demo.metadata and "linspace" in demo.source
    # The notebook holds the same cells as the edition's .py.
    py_cells = jupytext.reads(edition.py, fmt="py:percent").cells
    assert [c.source for c in edition.notebook.cells] == [c.source for c in py_cells]


def test_release_writes_the_edition(project):
    tests = project.module() / "tests"
    (tests / "test_hidden.py").write_text(
        "from tinytorch.core.demo import double\n\ndef test_visible():\n    assert double(1) == 2\n"
        "### BEGIN HIDDEN TESTS\ndef test_secret():\n    assert double(5) == 10\n### END HIDDEN TESTS\n")
    (project.module() / "README.md").write_text("# Demo guide\n")
    (project.module() / "catalogue.py").write_text("MISTAKES = []\n")  # instructor material
    done = project.tito("release", check=True)
    edition = project.root / "assignments" / "release" / "01_demo"
    assert sorted(p.name for p in edition.iterdir()) == ["README.md", "demo_dev.ipynb", "demo_dev.py",
                                                          "module.yaml", "tests"]
    dev = (edition / "demo_dev.py").read_text()
    assert '    raise NotImplementedError("double: not implemented yet")\n' in dev
    assert "return 2 * np.asarray(x)" not in dev and "SOLUTION" not in dev
    assert dev.startswith("# ---\n# jupyter:") and '"""Twice x."""' in dev
    hidden = (edition / "tests" / "test_hidden.py").read_text()
    assert "test_visible" in hidden and "test_secret" not in hidden and "HIDDEN" not in hidden
    assert (edition / "tests" / "test_demo.py").read_text() == (tests / "test_demo.py").read_text()
    notebook = nbformat.reads((edition / "demo_dev.ipynb").read_text(), as_version=4)
    nbformat.validate(notebook)
    check_nbgrader_v3(notebook)
    assert any('raise NotImplementedError("double' in c.source for c in notebook.cells)
    assert "01_demo" in done.stdout and "--from release" in done.stdout


def test_release_refuses_to_overwrite_without_force(project):
    project.tito("release", check=True)
    dev = project.root / "assignments" / "release" / "01_demo" / "demo_dev.py"
    dev.write_text(dev.read_text().replace('raise NotImplementedError("double: not implemented yet")',
                                           "return x + x  # my work"))
    done = project.tito("release")
    assert done.returncode == 2 and "already exists" in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert "my work" in dev.read_text(), "a refused release must leave the learner's edition alone"
    project.tito("release", "--force", check=True)
    assert "my work" not in dev.read_text() and "not implemented yet" in dev.read_text()


def test_release_out_and_module_options(project, tmp_path):
    out = tmp_path / "course"
    project.tito("release", "--module", "demo", "--out", str(out), check=True)
    assert (out / "01_demo" / "demo_dev.py").exists()
    assert not (project.root / "assignments" / "release").exists()


def test_a_broken_dev_file_writes_no_edition(project):
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text().replace("    ### END SOLUTION\n", ""))
    done = project.tito("release")
    assert done.returncode == 2 and "never closed" in done.stderr
    assert not (project.root / "assignments" / "release" / "01_demo").exists()


def test_learner_works_in_the_edition_with_from_and_the_setting(project):
    project.tito("release", check=True)
    done = project.tito("test", "demo", "--from", "release")
    assert done.returncode == 1 and "double  not started  (2 tests wait for it)" in done.stdout, done.stdout
    assert "0 passed, 0 failed, 0 skipped, 2 not run" in done.stdout
    edition = project.root / "assignments" / "release" / "01_demo" / "demo_dev.py"
    source = (project.module() / "demo_dev.py").read_text()
    edition.write_text(restore_solutions(edition.read_text(), source))
    assert "2 passed, 0 failed" in project.tito("test", "demo", "--from", "release", check=True).stdout
    project.tito("sync", "--from", "release", check=True)
    package = (project.root / "tinytorch" / "core" / "demo.py").read_text()
    assert "from assignments/release/01_demo/demo_dev.py" in package
    # The same through the setting, which `tito status` honours too.
    import os
    env_before = os.environ.get("TINYTORCH_SOURCE")
    os.environ["TINYTORCH_SOURCE"] = "release"
    try:
        assert project.tito("sync", "--check").returncode == 0
        assert "in sync" in project.tito("status", check=True).stdout
    finally:
        os.environ.pop("TINYTORCH_SOURCE") if env_before is None else os.environ.update(TINYTORCH_SOURCE=env_before)
    assert project.tito("sync", "--check").returncode == 1, "the source differs from the learner's package"


def test_a_clone_with_only_the_edition_uses_it_without_from(project):
    import shutil
    project.tito("release", check=True)
    shutil.rmtree(project.root / "assignments" / "source")
    done = project.tito("test", "demo")
    assert done.returncode == 1 and "next: write double (it still raises NotImplementedError)" in done.stdout, (
        done.stdout
    )


def test_unknown_workspace_is_a_clear_error(project):
    done = project.tito("test", "demo", "--from", "release")
    assert done.returncode == 2 and "tito release" in done.stderr and "Traceback" not in done.stderr
    done = project.tito("sync", "--from", "no/such/folder")
    assert done.returncode == 2 and "does not exist" in done.stderr


# ---- the real modules ----------------------------------------------------------------------

def test_edition_of_every_real_module_gives_the_reference_once_solutions_are_back(real_project):
    """Each module's edition, its stubs replaced by the solutions, exports exactly the reference's
    code, and its released tests are the reference's minus the hidden ones: so the module
    groups of `tito test --all`, which pass on the reference, pass on it. One module is tested
    as a learner would test it, through `tito test --from release` (every module would repeat
    those groups: minutes)."""
    source = real_project.root / "assignments" / "source"
    modules = sorted(p.name for p in source.iterdir() if re.match(r"\d\d_", p.name))
    real_project.tito("release", check=True)
    release = real_project.root / "assignments" / "release"
    # The edition imports: its package builds and loads.
    real_project.tito("sync", "--from", "release", check=True)
    for folder in modules:
        dev = next((release / folder).glob("*_dev.py"))
        reference = next((source / folder).glob("*_dev.py"))
        dev.write_text(restore_solutions(dev.read_text(), reference.read_text()))
        ours, theirs = export_dev_file(dev), export_dev_file(reference)
        ours_code = ours.code.replace("assignments/release/", "assignments/source/")  # the header names its file
        assert ours_code == theirs.code, f"{folder}: the edition with its solutions back exports other code"
        released = {p.relative_to(release / folder / "tests") for p in (release / folder / "tests").rglob("*.py")}
        assert released and released <= {p.relative_to(source / folder / "tests")
                                          for p in (source / folder / "tests").rglob("*.py")}, folder
    done = real_project.tito("test", modules[0], "--from", "release")
    assert done.returncode == 0, done.stdout[-3000:]
    summary = re.search(r"tito: (\d+) passed, (\d+) failed, (\d+) skipped", done.stdout)
    # Only the PyTorch cross-checks may skip, and only where PyTorch is missing.
    may_skip = importlib.util.find_spec("torch") is None
    assert int(summary[1]) > 0 and summary[2] == "0" and (may_skip or summary[3] == "0"), summary[0]


@pytest.mark.parametrize("module", REAL_MODULES, ids=[m.folder for m in REAL_MODULES])
def test_untouched_edition_fails_every_test_with_not_implemented(tmp_path, module):
    """With the other modules' references, each of the module's tests (hidden ones too) fails
    on its untouched edition, and says why: no test passes with the learner's code missing.
    (Plain pytest on the package; `tito grade` of an untouched edition is tested in
    test_grade_modules and test_nbgrader.)"""
    edition = make_edition(module.dev_file.read_text(encoding="utf-8"), module.dev_file.name)
    dev = tmp_path / "edition" / module.folder / module.dev_file.name
    dev.parent.mkdir(parents=True)
    dev.write_text(edition.py, encoding="utf-8")
    exports = [export_dev_file(m.dev_file) for m in REAL_MODULES if m != module] + [export_dev_file(dev)]
    package = build_package(tmp_path / "package", exports, ROOT)
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TITO_")}  # tito.progress deselects nothing
    # the "fast" profile does not shrink (a stub fails alike on every example), and tito.progress ends a
    # Hypothesis test at its first stub
    env.update(PYTHONPATH=str(package), TINYTORCH_ROOT=str(ROOT), TINYTORCH_HYPOTHESIS_PROFILE="fast")
    subprocess.run([*pytest_command(), str(module.path / "tests"), *PYTEST_PLUGINS,
                    "-p", "tito.progress", "-q",
                    "--tb=line", f"--junitxml={junit}", "-o", "junit_family=xunit1"],
                   cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    cases = [c for c in ElementTree.parse(junit).getroot().iter("testcase")
             if c.find("skipped") is None]  # the PyTorch cross-checks skip where PyTorch is hidden
    outcomes = {f"{c.get('classname')}::{c.get('name')}": c.find("failure") if c.find("failure") is not None
                else c.find("error") for c in cases}
    assert outcomes, f"{module.folder}: no test ran"
    passed = [test for test, failure in outcomes.items() if failure is None]
    assert not passed, (f"{module.folder}: {len(passed)} test(s) pass on the untouched edition, so they test "
                        f"nothing the learner writes: {passed[:10]}")
    not_said = [test for test, failure in outcomes.items()
                if "not implemented" not in (failure.get("message") or "") + (failure.text or "")]
    assert not not_said, f"{module.folder}: failures that do not say 'not implemented': {not_said[:10]}"
