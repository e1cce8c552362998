"""One folder per module: every module has its parts, tito names none of them, and a new
module is one folder that every command picks up with nothing else edited."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "source"
MODULES = sorted(p for p in SOURCE.iterdir() if p.is_dir() and re.fullmatch(r"\d{2}_[a-z][a-z0-9_]*", p.name))
# what tito reads from a module.yaml: its title, the names it adds to the namespaces, and
# (optionally) a feedback provider outside its folder
MODULE_YAML_KEYS = {"title", "exports", "feedback"}


@pytest.mark.parametrize("folder", MODULES, ids=lambda p: p.name)
def test_every_module_folder_has_its_parts(folder: Path):
    name = folder.name[3:]
    dev = folder / f"{name}_dev.py"
    assert dev.is_file(), f"{folder.name}: no {dev.name}"
    assert re.search(rf"^#\| default_exp core\.{name}\s*$", dev.read_text(encoding="utf-8"), re.M), \
        f"{dev.name}: no `#| default_exp core.{name}`"
    assert (folder / "README.md").is_file(), f"{folder.name}: no README.md"
    assert (folder / "catalogue.py").is_file(), f"{folder.name}: no catalogue.py"
    tests = folder / "tests"
    assert tests.is_dir() and any(tests.glob("test_*.py")), f"{folder.name}: no tests/test_*.py"
    meta = yaml.safe_load((folder / "module.yaml").read_text(encoding="utf-8")) or {}
    extra = set(meta) - MODULE_YAML_KEYS
    assert not extra, f"{folder.name}/module.yaml: keys tito never reads: {sorted(extra)}"
    assert isinstance(meta.get("title"), str) and meta["title"], f"{folder.name}/module.yaml: no title"


def test_no_file_of_tito_names_a_module():
    """tito finds modules; it never names one: no folder name (02_activations), no provider
    path (tito.feedback.nn) and no feedback_module("conv") in its code or its docs."""
    names = "|".join(re.escape(p.name[3:]) for p in MODULES)
    pattern = re.compile(rf"\b\d{{2}}_({names})\b|tito\.feedback\.({names})\b|"
                         rf"(feedback_module|find_module)\(\s*[\"']({names})[\"']")
    hits = []
    for path in sorted((ROOT / "tito").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "tito names a module:\n" + "\n".join(hits)


# ----------------------------------------------------------------------------
# A learner's edition is judged by the source edition's feedback
# ----------------------------------------------------------------------------

FEEDBACK_INIT = '''\
"""A provider as a package: its files import each other relatively."""
from .card import check
'''

FEEDBACK_CARD = '''\
from tito.card import Card, Row, attempt


def check(ctx):
    from tinytorch.core.demo import double

    row = Row("double", [attempt("of three", lambda: None if double(3) == 6 else "double(3) != 6")])
    return Card("demo", [row])
'''


def test_a_feedback_folder_judges_the_learners_edition_which_carries_none(project):
    feedback = project.module() / "feedback"
    feedback.mkdir()
    (feedback / "__init__.py").write_text(FEEDBACK_INIT)
    (feedback / "card.py").write_text(FEEDBACK_CARD)
    project.tito("release", check=True)
    edition = project.root / "assignments" / "release" / "01_demo"
    assert not (edition / "feedback").exists(), "the feedback is instructor material, never released"

    reference = project.tito("check", "demo", "--json")
    assert reference.returncode == 0, reference.stdout + reference.stderr
    learner = project.tito_env({"TINYTORCH_SOURCE": "release"}, "check", "demo", "--json")
    assert "has no report card" not in learner.stderr, learner.stderr
    assert learner.returncode != 0, "the learner's stub must not pass: " + learner.stdout
    assert '"missing"' in learner.stdout, learner.stdout + learner.stderr


def test_a_module_without_feedback_says_so_in_either_edition(project):
    """No feedback: no figures and no benchmarks, said as such (its card comes from its tests)."""
    project.tito("release", check=True)
    for env in ({}, {"TINYTORCH_SOURCE": "release"}):
        for command, said in (("plot", "has no figures"), ("bench", "has no benchmarks")):
            done = project.tito_env(env, command, "demo")
            assert done.returncode != 0 and said in done.stderr, done.stdout + done.stderr
            assert "Traceback" not in done.stderr
        assert project.tito_env(env, "check", "demo").returncode in (0, 1)


# ----------------------------------------------------------------------------
# A new module is one folder
# ----------------------------------------------------------------------------

NEW_DEV = '''\
# %% [markdown]
# # Demo: the last module

# %%
#| default_exp core.demo

# %%
#| export
import numpy as np


def triple(x):
    """Three times x."""
    ### BEGIN SOLUTION
    return 3 * np.asarray(x)
    ### END SOLUTION


# %%
assert triple(2) == 6
'''

NEW_TEST = '''\
import numpy as np
from tinytorch.core.demo import triple


def test_triple_of_values():
    assert np.array_equal(triple([1, -2, 0.5]), [3, -6, 1.5])
'''

NEW_CATALOGUE = '''\
from tito.catalogue import Mistake, Variant

MISTAKES = [Mistake("doubles", "adds x to itself once too few", """
def triple(x):
    return 2 * np.asarray(x)
""")]
VARIANTS = [Variant("sum_of_three", "x + x + x", """
def triple(x):
    x = np.asarray(x)
    return x + x + x
""")]
'''


def test_a_new_module_is_one_folder_every_command_picks_up(real_project):
    numbers = [int(p.name[:2]) for p in MODULES]
    folder = f"{max(numbers) + 1:02d}_demo"
    module = real_project.root / "assignments" / "source" / folder
    (module / "tests").mkdir(parents=True)
    (module / "demo_dev.py").write_text(NEW_DEV)
    (module / "tests" / "test_demo.py").write_text(NEW_TEST)
    (module / "catalogue.py").write_text(NEW_CATALOGUE)
    (module / "README.md").write_text("# Demo\n\nA module added as one folder.\n")
    (module / "module.yaml").write_text('title: "Demo: the last module"\nexports: {}\n')

    status = real_project.tito("status", check=True).stdout
    assert "demo" in status, status
    tested = real_project.tito("test", "demo")
    assert tested.returncode == 0 and "1 passed" in tested.stdout, tested.stdout + tested.stderr
    real_project.tito("sync", "--module", "demo", check=True)
    synced = real_project.root / "tinytorch" / "core" / "demo.py"
    assert "def triple" in synced.read_text(encoding="utf-8")
    out = real_project.root / "edition"
    real_project.tito("release", "--module", "demo", "--out", str(out), check=True)
    stubbed = (out / folder / "demo_dev.py").read_text(encoding="utf-8")
    assert "NotImplementedError" in stubbed and "3 * np.asarray" not in stubbed
    assert (out / folder / "tests" / "test_demo.py").is_file() and not (out / folder / "catalogue.py").exists()
    catalogue = real_project.tito("catalogue", "demo")
    assert catalogue.returncode == 0, catalogue.stdout + catalogue.stderr
    assert "doubles" in catalogue.stdout and "sum_of_three" in catalogue.stdout, catalogue.stdout
