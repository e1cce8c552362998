"""`tito check`: every module's report card, built from its own tests.

The first part runs `tito check` on a small throwaway module (conftest's demo): one row per
exercise, done only when a passing test ran it, and a score that is the share of exercises
done. The second part is module 02's own report beside its exercises (accuracy in ULP,
stability, properties): green for the reference, and naming each defect. The third runs the
activations checks in-process on subclasses of the reference with one thing wrong.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from feedback_helpers import (
    ACTIVATIONS,
    INACCURATE_SIGMOID,
    TANH_STUB,
    check_json,
    describe,
    dev_file,
    patch,
    rows,
    tito,
    workspace,
)

from tito.testing import torch_fixture  # noqa: F401 (the `torch` fixture: PyTorch, skipped without it)

GROUPS = {"accuracy", "stability", "properties", "gradient", "contract", "notes"}
STATUSES = {"pass", "warn", "fail", "missing", "untested", "info"}

TRIPLE = '''
# %%
#| export
def triple(x):
    """Three times x."""
    # TODO: one multiplication.
    ### BEGIN SOLUTION
    return 3 * np.asarray(x)
    ### END SOLUTION
'''
TRIPLE_TEST = ("from tinytorch.core.demo import triple\n\n\n"
               "def test_triple():\n    assert triple(2) == 6, 'triple(2) should be 6'\n")


def _card(project, *args):
    done = project.tito("check", "demo", "--json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def _statuses(card) -> dict:
    return {row["name"]: row["status"] for row in card["rows"]}


def _with_triple(project, test=TRIPLE_TEST):
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text() + TRIPLE)
    (project.module() / "tests" / "test_triple.py").write_text(test)


def _edit(project, old, new, folder="source"):
    dev = project.root / "assignments" / folder / "01_demo" / "demo_dev.py"
    text = dev.read_text()
    assert old in text
    dev.write_text(text.replace(old, new))


# ----------------------------------------------------------------------------
# The card of any module, from its tests
# ----------------------------------------------------------------------------

def test_the_reference_scores_100_with_one_row_per_exercise(project):
    _with_triple(project)
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass", "triple": "pass"}, card
    assert card["score"] == 100 and card["ok"] and code == 0
    assert card["rows"][0]["checks"][0]["detail"] == "2 passing tests ran it"
    text = project.tito("check", "demo")
    assert text.returncode == 0 and "score 100/100" in text.stdout and "double" in text.stdout, text.stdout


def test_a_broken_exercise_turns_its_row_red_and_halves_the_score(project):
    _with_triple(project)
    _edit(project, "    return 3 * np.asarray(x)", "    return 2 * np.asarray(x)")
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass", "triple": "fail"}, card
    detail = card["rows"][1]["checks"][0]["detail"]
    assert "test_triple" in detail and "triple(2) should be 6" in detail, detail
    assert card["score"] == 50 and not card["ok"] and code == 1
    assert card["next"].startswith("fix triple"), card["next"]


def test_the_card_judges_the_dev_file_as_it_is_now(project):
    """No `tito sync`: an edit shows at once, and the package is not touched."""
    _edit(project, "    return 2 * np.asarray(x)", "    return 2 * np.asarray(x) + 1")
    code, card = _card(project)
    assert _statuses(card) == {"double": "fail"} and card["score"] == 0 and code == 1
    assert not (project.root / "tinytorch" / "core" / "demo.py").exists()


def test_a_module_not_started_scores_0_and_says_what_to_implement(project):
    _with_triple(project)
    _edit(project, '    """Twice x."""\n', '    """Twice x."""\n    # TODO: one multiplication.\n')
    project.tito("start", check=True)
    code, card = _card(project)
    assert _statuses(card) == {"double": "missing", "triple": "missing"}, card
    assert card["score"] == 0 and code == 1
    assert card["rows"][0]["checks"][0]["detail"] == "not started (2 tests wait for it)", card
    assert card["next"] == "implement double: not started (2 tests wait for it)", card["next"]
    _edit(project, 'raise NotImplementedError("double: not implemented yet")', "return 2 * np.asarray(x)",
          folder="release")
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass", "triple": "missing"} and card["score"] == 50, card


def test_an_exercise_that_a_passing_test_only_names_is_untested(project):
    """Done means a passing test ran it: a test named after triple that never calls it proves nothing."""
    _with_triple(project, "def test_triple_is_documented():\n    assert True\n")
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass", "triple": "untested"}, card
    assert card["rows"][1]["checks"][0]["detail"] == "written; no test runs it"
    assert card["score"] == 50 and code == 1
    text = project.tito("check", "demo")
    assert "UNTESTED" in text.stdout and "score 50/100" in text.stdout, text.stdout


def test_a_failure_is_blamed_on_what_its_test_ran_not_on_its_name(project):
    """test_three_times names no exercise: the trace says it ran triple, so triple is broken."""
    _with_triple(project, "from tinytorch.core.demo import double, triple\n\n\ndef test_three_times():\n"
                          "    assert double(1) == 2\n    assert triple(2) == 6, 'triple(2) should be 6'\n")
    _edit(project, "    return 3 * np.asarray(x)", "    return 4 * np.asarray(x)")
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass", "triple": "fail"}, card
    assert "test_three_times" in card["rows"][1]["checks"][0]["detail"] and code == 1


def test_blame_goes_to_the_named_exercise_the_test_ran_else_to_the_last_it_entered():
    from tito.progress import Exercise, attribute

    def fresh():
        return [Exercise("forward", None), Exercise("Linear.backward", None), Exercise("relu", None)]

    items = fresh()
    left = attribute(items, [("t::test_values", "assert 1 == 2")], runs={"t::test_values": ["forward", "relu"]})
    assert left == [] and [e.status for e in items] == ["untested", "untested", "broken"]
    items = fresh()
    attribute(
        items, [("t::test_forward_values", "assert 1 == 2")], runs={"t::test_forward_values": ["forward", "relu"]}
    )
    assert [e.status for e in items] == ["broken", "untested", "untested"]
    items = fresh()  # a test that names relu but never ran it does not blame it
    attribute(items, [("t::test_relu_shape", "assert 1 == 2")], runs={"t::test_relu_shape": ["forward"]})
    assert [e.status for e in items] == ["broken", "untested", "untested"]


def test_a_failing_test_of_no_exercise_still_fails_the_card(project):
    (project.module() / "tests" / "test_given.py").write_text(
        "def test_given_code():\n    assert 1 == 2, 'given code broke'\n"
    )
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass", "other tests": "fail"}, card
    assert "given code broke" in card["rows"][1]["checks"][0]["detail"]
    assert code == 1 and not card["ok"]


def test_an_earlier_module_not_finished_comes_first(project):
    from test_editions import _second_module

    _second_module(project)
    project.tito("start", check=True)
    quad = project.root / "assignments" / "release" / "02_quad" / "quad_dev.py"
    quad.write_text(quad.read_text().replace('raise NotImplementedError("quad: not implemented yet")',
                                             "return double(double(x))"))
    done = project.tito("check", "quad", "--json")
    card = json.loads(done.stdout)
    assert done.returncode == 1
    assert card["rows"][0]["name"] == "quad" and card["rows"][0]["status"] == "untested", card
    assert (
        card["rows"][0]["checks"][0]["detail"]
        == "written; its tests stop first at double (module 01 demo: not started)"
    ), card
    assert card["next"].startswith("module 01 demo is not finished: double is not started"), card["next"]


def test_a_module_report_of_its_own_follows_the_exercises(project):
    from test_editions import _feedback

    _feedback(project)
    code, card = _card(project)
    assert _statuses(card) == {"double": "pass"} and code == 0
    assert card["extra"]["ok"] is True and card["extra"]["score"] == 100, card


def test_a_syntax_error_is_an_error_naming_its_line_not_a_score(project):
    _edit(project, "    return 2 * np.asarray(x)", "    return 2 * (")
    done = project.tito("check", "demo")
    assert done.returncode == 2 and "demo_dev.py:" in done.stderr and "score" not in done.stdout
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------------------
# Module 02's own report beside its exercises
# ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="module")
def reference_report(reference):
    return check_json(reference)


@pytest.fixture
def package(tmp_path):
    return workspace(tmp_path / "ws")


def test_reference_report_is_all_green(reference_report):
    code, report = reference_report
    assert all(row["status"] == "pass" for row in report["rows"]), report["rows"]
    assert [f["name"] for f in report["functions"]] == list(ACTIVATIONS)
    for row in report["functions"]:
        assert row["status"] == "pass", f"{row['name']}: {describe(row)}"
        assert all(c["status"] in ("pass", "info") for c in row["checks"]), f"{row['name']}: {describe(row)}"
    assert report["score"] == 100 and report["extra"]["score"] == 100
    assert code == 0


def test_sign_of_zero_is_a_note_not_a_failure(reference_report, torch):
    # the reference relu gives max(-0.0, 0) = 0.0 where PyTorch gives -0.0 (a note only PyTorch can give)
    _, report = reference_report
    relu = next(c for c in rows(report)["relu"]["checks"] if c["name"] == "notes")
    assert relu["status"] == "info" and "PyTorch returns -0 here" in relu["reason"], relu
    assert rows(report)["relu"]["score"] == 100


def test_subnormals_are_notes_not_failures(reference_report):
    # sigmoid's results below the smallest normal are rounded less well than the reference's
    _, report = reference_report
    sigmoid = next(c for c in rows(report)["sigmoid"]["checks"] if c["name"] == "notes")
    assert sigmoid["status"] == "info" and "sub-normal" in sigmoid["reason"], sigmoid
    assert rows(report)["sigmoid"]["score"] == 100


def test_json_report_has_the_documented_schema(reference_report):
    _, report = reference_report
    assert report["module"] == "activations"
    assert isinstance(report["score"], int) and 0 <= report["score"] <= 100
    assert isinstance(report["next"], str) and report["next"]
    for row in report["rows"]:
        assert row["status"] in STATUSES and len(row["checks"]) == 1, row
    for row in report["functions"]:
        assert row["status"] in STATUSES
        assert row["checks"], row["name"]
        for check in row["checks"]:
            assert {"name", "group", "status", "reason"} <= check.keys()
            assert check["status"] in STATUSES and check["group"] in GROUPS
            assert check["reason"] and "\n" not in check["reason"], check
    sigmoid = rows(report)["sigmoid"]
    accuracy = next(c for c in sigmoid["checks"] if c["name"] == "accuracy")
    assert accuracy["unit"] == "ULP" and 0 < accuracy["max_error"] <= 4
    assert isinstance(accuracy["worst_input"], float) and accuracy["max_abs_error"] < 1e-6
    names = {c["name"] for c in sigmoid["checks"]}
    assert {"accuracy", "warnings", "extreme inputs", "range", "zero point", "symmetry", "monotonic",
            "zero-centred", "derivative sign", "backward", "central differences", "shape", "dtype",
            "no mutation"} <= names


def test_text_report_of_the_reference(reference):
    done = tito(reference, "check", "activations")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ACTIVATIONS:
        assert name in done.stdout
    assert "score 100/100" in done.stdout
    assert "FAIL" not in done.stdout and "MISSING" not in done.stdout


def test_inaccurate_sigmoid_turns_its_rows_red(package):
    code, report = check_json(patch(package, INACCURATE_SIGMOID))
    failing = {r["name"] for r in report["rows"] if r["status"] == "fail"}
    assert "sigmoid" in failing and failing <= {"sigmoid", "sigmoid_backward"}, failing  # backward uses sigmoid(x)
    assert report["score"] < 100 and report["next"].startswith("fix sigmoid"), report["next"]
    by_name = rows(report)
    sigmoid = by_name["sigmoid"]
    assert sigmoid["status"] == "fail"
    accuracy = next(c for c in sigmoid["checks"] if c["name"] == "accuracy")
    assert accuracy["status"] == "fail" and accuracy["max_error"] > 1e6, accuracy
    assert accuracy["worst_input"] < -3, "0.5(1 + tanh(x/2)) cancels for negative x"
    assert "ULP at x = " in accuracy["reason"]
    for other in ("relu", "tanh", "softmax", "log_softmax"):
        assert by_name[other]["status"] == "pass", describe(by_name[other])
    assert code == 1
    assert report["extra"]["score"] < 100
    assert report["extra"]["next"].startswith("fix Sigmoid (accuracy)")


def test_stub_shows_as_missing_and_hides_nothing(package):
    code, report = check_json(patch(package, TANH_STUB))
    by_name = rows(report)
    tanh = by_name["tanh"]
    assert tanh["status"] == "missing"
    forward_checks = [c for c in tanh["checks"] if c["name"] != "api"]
    assert all(c["status"] == "missing" for c in forward_checks), describe(tanh)
    assert "NotImplementedError" in forward_checks[0]["reason"]
    for name in ACTIVATIONS:
        if name != "tanh":
            assert by_name[name]["status"] == "pass", f"{name}: {describe(by_name[name])}"
    assert code == 1, "a missing function is not done"


def test_deleted_dev_file_is_an_error_not_a_pass(package):
    dev_file(package).unlink()
    done = tito(package, "check", "activations", "--only", "relu")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "activations_dev.py does not exist" in done.stderr and "score" not in done.stdout
    assert "Traceback" not in done.stderr


def test_syntax_error_in_the_dev_file_names_its_line_and_gives_no_score(package):
    lines = len(dev_file(package).read_text().splitlines())
    patch(package, "def broken(:\n    pass\n")
    done = tito(package, "check", "activations", "--only", "sigmoid")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"activations_dev.py:{lines + 5}" in done.stderr, done.stderr
    assert "score" not in done.stdout and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------
# Learner mistakes found by each check (through the notebook API)
# ----------------------------------------------------------------------------

CATALOGUE = r'''
import json
import numpy as np
from tinytorch.core.tensor import Tensor
from tinytorch.core.activations import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh,
                                        softmax)
from tito.offers import feedback_module

check_activation = feedback_module("activations").check_activation


class IgnoresGradOutput(Sigmoid):
    def backward(self, grad_output):
        return super().backward(Tensor(np.ones_like(grad_output.data)))


class NegatedBackward(Tanh):
    def backward(self, grad_output):
        return Tensor(-super().backward(grad_output).data)


class GradientOneAtZero(ReLU):  # relu'(0) = 1
    def forward(self, x):
        self.x = x.data
        return super().forward(x)

    def backward(self, grad_output):
        return Tensor(grad_output.data * (self.x >= 0).astype(grad_output.data.dtype))


class MutatesInput(ReLU):
    def forward(self, x):
        np.maximum(x.data, 0, out=x.data)
        return Tensor(x.data.copy())


class Float64Output(Tanh):
    def forward(self, x):
        return Tensor(np.tanh(x.data.astype(np.float64)))


class Shifted(Tanh):
    def forward(self, x):
        y = super().forward(x).data
        return Tensor(y + y.dtype.type(1e-3) if y.dtype.kind == "f" else y)


class NaiveSigmoid(Sigmoid):
    def forward(self, x):
        d = x.data.astype(np.float32) if x.data.dtype.kind != "f" else x.data
        y = 1 / (1 + np.exp(-d))
        self.output = y
        return Tensor(y)


class NanBecomesZero(ReLU):
    def forward(self, x):
        d = x.data
        return Tensor(np.where(d > 0, d, 0).astype(d.dtype))


class WrongAxis(Softmax):
    def forward(self, x):
        y = softmax(x, dim=0) if x.data.ndim > 1 else super().forward(x)
        self.output = y.data
        return y


class LogOfSoftmax(LogSoftmax):
    def forward(self, x):
        return Tensor(np.log(softmax(x, dim=self.dim).data))


class Flattens(ReLU):
    def forward(self, x):
        return Tensor(super().forward(x).data.reshape(-1))


class SteeperSlope(LeakyReLU):
    def forward(self, x):
        d = x.data
        return Tensor(np.where(d > 0, d, d * d.dtype.type(0.1)) if d.dtype.kind == "f" else d)


class SigmoidGELU(GELU):  # the 1.702 approximation
    def forward(self, x):
        d = x.data
        with np.errstate(over="ignore"):
            return Tensor((d / (1 + np.exp(-1.702 * d))).astype(d.dtype))


class DiagonalOnlyBackward(Softmax):
    def forward(self, x):
        y = super().forward(x)
        self.s = y.data
        return y

    def backward(self, grad_output):
        return Tensor(self.s * (1 - self.s) * grad_output.data)


class PlainRepr(ELU):
    def __repr__(self):
        return "an ELU"


DEFECTS = {
    "backward ignores grad_output": ("sigmoid", IgnoresGradOutput),
    "negated backward": ("tanh", NegatedBackward),
    "relu'(0) = 1": ("relu", GradientOneAtZero),
    "mutates its input": ("relu", MutatesInput),
    "float64 output for float32 input": ("tanh", Float64Output),
    "shifted by 1e-3": ("tanh", Shifted),
    "naive sigmoid": ("sigmoid", NaiveSigmoid),
    "np.where turns nan into 0": ("relu", NanBecomesZero),
    "softmax over the wrong axis": ("softmax", WrongAxis),
    "log(softmax(x))": ("log_softmax", LogOfSoftmax),
    "flattens the output": ("relu", Flattens),
    "slope 0.1 instead of 0.01": ("leaky_relu", SteeperSlope),
    "GELU as x sigmoid(1.702 x)": ("gelu", SigmoidGELU),
    "softmax backward without off-diagonal terms": ("softmax", DiagonalOnlyBackward),
    "repr unlike PyTorch": ("elu", PlainRepr),
}
found = {}
for label, (name, cls) in DEFECTS.items():
    report = check_activation(name, cls(), show=False)
    row = report.results[0]
    found[label] = {"status": row.status, "ok": report.ok,
                    "checks": {c.name: [c.status, c.reason] for c in row.checks}}
print(json.dumps(found))
'''


@pytest.fixture(scope="module")
def catalogue(reference):
    done = subprocess.run([sys.executable, "-c", CATALOGUE], cwd=reference, capture_output=True, text=True,
                          timeout=600, env=tito_env(reference))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def tito_env(package):
    import os

    from feedback_helpers import ROOT
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(package), str(ROOT)]), NO_COLOR="1")


@pytest.mark.parametrize("defect, failing", [
    ("backward ignores grad_output", ["backward", "central differences"]),
    ("negated backward", ["derivative sign", "backward", "central differences"]),
    ("relu'(0) = 1", ["backward"]),
    ("mutates its input", ["no mutation"]),
    ("float64 output for float32 input", ["dtype"]),
    ("shifted by 1e-3", ["accuracy", "zero point", "symmetry"]),
    ("naive sigmoid", ["warnings"]),
    ("np.where turns nan into 0", ["extreme inputs"]),
    ("softmax over the wrong axis", ["accuracy"]),
    ("log(softmax(x))", ["warnings", "extreme inputs"]),
    ("flattens the output", ["shape"]),
    ("slope 0.1 instead of 0.01", ["accuracy", "symmetry"]),
    ("GELU as x sigmoid(1.702 x)", ["accuracy"]),
    ("softmax backward without off-diagonal terms", ["backward", "gradient sums to 0"]),
])
def test_each_learner_mistake_is_named_by_its_check(catalogue, defect, failing):
    row = catalogue[defect]
    assert row["status"] == "fail", row
    for name in failing:
        status, reason = row["checks"][name]
        assert status == "fail", f"{defect}: check {name!r} is {status}: {reason}"
    assert not row["ok"]


def test_naive_sigmoid_is_accurate_but_names_the_overflowing_input(catalogue):
    checks = catalogue["naive sigmoid"]["checks"]
    assert checks["accuracy"][0] == "pass", "1/(1+exp(-x)) is accurate: only its warning is wrong"
    reason = checks["warnings"][1]
    assert "overflow encountered in exp" in reason
    x = float(reason.split("x = ")[1].split(":")[0])
    assert x < -88.7, f"exp(-x) overflows float32 only for x < -88.7, not at {x}"


def test_relu_gradient_at_zero_names_zero(catalogue):
    reason = catalogue["relu'(0) = 1"]["checks"]["backward"][1]
    assert "x = 0" in reason or "x = -0" in reason, reason


def test_a_warning_alone_keeps_the_exit_code_zero(catalogue):
    row = catalogue["repr unlike PyTorch"]
    assert row["status"] == "warn", row
    assert row["checks"]["api"][0] == "warn" and "ELU(alpha=1.0)" in row["checks"]["api"][1]
    assert all(status in ("pass", "info") for name, (status, _) in row["checks"].items() if name != "api")
    assert row["ok"], "warnings (yellow) do not fail the report card"


# ----------------------------------------------------------------------------
# User mistakes
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["check", "nonsense"], "unknown module 'nonsense'"),
    (["check", "activations", "--only", "swish"], "unknown activation 'swish'"),
    (["check", "activations", "--dtype", "float16"], "invalid choice"),
])
def test_user_mistakes_get_a_clear_message(reference, args, message):
    done = tito(reference, *args)
    assert done.returncode == 2
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
