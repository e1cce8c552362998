"""The test of every module's tests: its catalogue (catalogue.py in the module folder).

For each module that has one: the reference passes the catalogues' quick run, every
mistake is caught with PyTorch hidden (so it is caught with PyTorch too), every correct
variant passes with PyTorch present, and the catalogue keeps at least AT_LEAST mistakes.
One child process per module (tito.catalogue); `tito test --all` spreads the modules
over the machine's cores.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tito.catalogue import catalogued, problems, run_catalogue, table

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", catalogued(ROOT), ids=lambda m: m.folder)
def test_catalogue(module):
    result = run_catalogue(module, ROOT)
    print(table(result))
    wrong = problems(result)
    assert not wrong, f"the catalogue of {module.folder}:\n" + "\n".join(wrong)


# -- the runner itself ------------------------------------------------------------------------

TARGET = '''
import functools

def wrapped(f):
    @functools.wraps(f)
    def run(*args):
        return f(*args)
    return run

RULES = {}

def register(f):
    RULES[f.__name__] = f
    return f

@wrapped
def double(x):
    return 2 * x

@register
def triple(x):
    return 3 * x

class Base:
    def scale(self):
        return 1

class Layer(Base):
    def forward(self, x):
        return double(x) * self.scale()

    @property
    def size(self):
        return 4
'''


@pytest.fixture
def target(monkeypatch):
    """A throwaway module of the package, and a second one that imported its names."""
    import sys
    import types

    from tito.catalogue import Patch  # noqa: F401

    module = types.ModuleType("tinytorch.core._catalogue_demo")
    exec(compile(TARGET, "demo.py", "exec"), module.__dict__)
    user = types.ModuleType("tinytorch.core._catalogue_user")
    user.double, user.Layer = module.double, module.Layer
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(sys.modules, user.__name__, user)
    return module, user


def patch(module, code, kind=None):
    from tito.catalogue import Mistake, Patch

    return Patch((kind or Mistake)("demo", "a demo", code), module)


def test_a_function_is_rewritten_in_place_for_every_alias_and_put_back(target):
    module, user = target
    original, code = module.double, module.double.__wrapped__.__code__
    applied = patch(module, "def double(x):\n    return x + x + 1\n")
    assert module.double is original and user.double(3) == 7 and module.Layer().forward(1) == 3
    assert applied.codes == {code} and not applied.wide  # the tests that called double run
    applied.undo()
    assert user.double(3) == 6 and module.double is original


def test_a_class_gets_only_the_methods_written_and_super_works(target):
    module, _ = target
    layer = module.Layer()
    applied = patch(module, '''
class Layer:
    def forward(self, x):
        return super().scale() + 10 * x

    @property
    def size(self):
        return 5

    def scale(self):
        return 7
''')
    assert layer.forward(1) == 11 and layer.size == 5 and layer.scale() == 7
    assert module.Base.scale.__code__ in applied.codes  # scale was inherited: its callers are tested
    applied.undo()
    assert layer.forward(1) == 2 and layer.size == 4 and "scale" not in vars(module.Layer)


def test_helpers_and_registries_are_undone(target):
    from tito.catalogue import _package_state

    module, _ = target
    rule = module.RULES["triple"]
    with _package_state():
        applied = patch(module, '''
HELPER = 5

@register
def triple(x):
    return HELPER * x
''')
        assert module.triple(2) == 10 and module.RULES["triple"](2) == 10
        applied.undo()
    assert module.RULES["triple"] is rule and module.triple(2) == 6 and not hasattr(module, "HELPER")


def test_an_entry_that_replaces_nothing_is_an_error_and_changes_nothing(target):
    module, _ = target
    before = dict(vars(module))
    with pytest.raises(ValueError, match="replaces nothing"):
        patch(module, "def doubel(x):\n    return 2 * x\n")
    assert vars(module) == before


def test_a_constant_makes_every_test_of_the_module_run(target):
    module, _ = target
    applied = patch(module, "RULES = {}\n")
    assert applied.wide
    applied.undo()
    assert module.RULES


DEMO_CATALOGUE = '''
from tito.catalogue import Mistake, Variant

AT_LEAST = 3
WRONG_FOR_FLOATS = """
def double(x):
    a = np.asarray(x)
    return 3 * a if a.dtype.kind == "f" else 2 * a
"""
MISTAKES = [
    Mistake("adds_two", "x + 2", "def double(x):\\n    return np.asarray(x) + 2\\n"),
    Mistake("only_torch_sees_it", "wrong for floats, which only the PyTorch test tries", WRONG_FOR_FLOATS),
    Mistake("hangs", "an endless loop", "def double(x):\\n    while True:\\n        pass\\n"),
    Mistake("misspelt", "a function the module does not have", "def doubel(x):\\n    return x\\n"),
]
VARIANTS = [
    Variant("times_two", "x * 2", "def double(x):\\n    return np.asarray(x) * 2\\n"),
    Variant("torch_sees_it", "the same float mistake, as a variant", WRONG_FOR_FLOATS),
]
'''


def test_mistakes_run_without_pytorch_variants_with_it_and_a_hang_is_stopped(project):
    pytest.importorskip("torch")  # the demo's variant needs PyTorch to be told apart
    from tito.catalogue import run_catalogue
    from tito.modules import find_module

    module = project.module()
    (module / "tests" / "conftest.py").write_text("from tito.testing import torch_fixture  # noqa: F401\n")
    (module / "tests" / "test_demo_torch.py").write_text(
        "from tinytorch.core.demo import double\n\n"
        "def test_double_matches_torch(torch):\n"
        "    assert double(2.5) == (torch.tensor(2.5) * 2).item()\n")
    (module / "catalogue.py").write_text(DEMO_CATALOGUE)
    result = run_catalogue(find_module("demo", module.parent), project.root, limit=10)
    verdicts = {v.name: v for v in result.verdicts}
    assert not result.error and not result.reference and result.tests == 3, table(result)
    assert verdicts["adds_two"].outcome == "caught" and verdicts["adds_two"].tests < 3  # stops at the first
    assert verdicts["only_torch_sees_it"].outcome == "missed"  # PyTorch hidden: its test skips
    assert verdicts["torch_sees_it"].outcome == "fails"  # PyTorch present for the variants
    assert verdicts["times_two"].outcome == "passes" and verdicts["times_two"].tests == 3
    assert verdicts["hangs"].outcome == "caught" and "stopped" in verdicts["hangs"].test
    assert verdicts["misspelt"].outcome == "error" and "replaces nothing" in verdicts["misspelt"].message
    assert [v.name for v in result.verdicts][:2] == ["times_two", "torch_sees_it"]  # every entry judged once
    assert len(result.verdicts) == 6 and len(problems(result)) == 3
