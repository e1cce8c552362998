"""The report card, the figures and `tito test` tell one story about a function.

- one score per function: the report card's row, the figure's title and `tito plot`'s
  table show the same number;
- a property the function is not meant to have (ReLU is not zero-centred) is a fact
  (status "info", no tick), never a pass and never counted;
- the first cause first: nan or inf where a number belongs is named before the dtype
  or the NumPy warning it brings along, in the card's lines, its "next:" and `tito test`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from feedback_helpers import ROOT, check_json, patch, rows, tito, workspace

NAN_RELU = """
_relu_forward = ReLU.forward
def _relu_nan(self, x):
    return Tensor(_relu_forward(self, x).data * np.nan)  # nan everywhere, int64 becomes float64
ReLU.forward = _relu_nan
"""
MASKED_RELU = """
def relu(x):
    d = x.data
    return Tensor(d * (d > 0))  # -inf * 0 is nan, with an 'invalid value' warning
"""

SCRIPT = r'''
import json
import matplotlib
matplotlib.use("Agg")
from rich.console import Console
from tito.modules import find_module
from tito.offers import current_package
from tito.offers import feedback_module

feedback = feedback_module("activations")
check_activation, plot_activation = feedback.check_activation, feedback.plot_activation

package = current_package(find_module("activations"))  # the workspace's dev file as it is now
package.__enter__()
from tinytorch.core.activations import ReLU

report = check_activation("relu", ReLU(), show=False)
row = report.results[0]
console = Console(width=200, no_color=True)
with console.capture() as captured:
    console.print(report)
fig = plot_activation("relu", ReLU())
axes = fig.get_axes()
print(json.dumps({
    "score": row.score, "status": row.status, "next": report.next_step(), "card": captured.get(),
    "checks": {c.name: [c.status, c.reason] for c in row.checks},
    "suptitle": fig._suptitle.get_text(),
    "texts": [t.get_text() for ax in axes for t in ax.texts],
    "legends": [t.get_text() for ax in axes if ax.get_legend() for t in ax.get_legend().get_texts()],
    "yticks": [t.get_text() for ax in axes for t in ax.get_yticklabels()],
}))
'''


def _notebook(ws):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", NO_COLOR="1", TINYTORCH_ROOT=str(ROOT),
               TINYTORCH_SOURCE=str(ws))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ws, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def nan_relu(tmp_path_factory):
    ws = patch(workspace(tmp_path_factory.mktemp("nan_relu")), NAN_RELU)
    return ws, _notebook(ws)


@pytest.fixture(scope="module")
def reference_relu(tmp_path_factory):
    return _notebook(workspace(tmp_path_factory.mktemp("reference_relu")))


def test_card_row_figure_title_and_plot_table_show_one_score(nan_relu, tmp_path):
    ws, found = nan_relu
    score = found["score"]
    assert found["status"] == "fail" and 0 < score < 100
    assert f"score {score}/100" in found["suptitle"], found["suptitle"]
    card_row = next(line for line in found["card"].splitlines() if line.strip().startswith("relu"))
    assert re.search(rf"FAIL\s+{score}\b", card_row), card_row
    # The command line (which also checks the functional form relu()): card and plot agree.
    code, report = check_json(ws, "--only", "relu")
    score = rows(report)["relu"]["score"]
    assert code == 1 and score == report["extra"]["score"]
    plotted = tito(ws, "plot", "activations", "--only", "relu", "--out", str(tmp_path))
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
    assert f"fail {score}/100" in plotted.stdout, plotted.stdout


def test_infinite_errors_are_drawn_as_infinite_not_as_a_number_of_ulp(nan_relu):
    _, found = nan_relu
    assert "∞" in found["yticks"], found["yticks"]
    assert any("infinite error" in text for text in found["legends"]), found["legends"]
    assert not any("exact at every input" in text for text in found["texts"]), found["texts"]


def test_a_property_the_function_is_not_meant_to_have_is_a_fact(reference_relu):
    status, reason = reference_relu["checks"]["zero-centred"]
    assert status == "info" and "not zero-centred" in reason, reason
    assert reference_relu["score"] == 100 and reference_relu["status"] == "pass"
    assert "i zero-centred: no (mean 0.75)" in reference_relu["texts"], reference_relu["texts"]
    assert not any("zero-centred" in text and text.startswith("✓") for text in reference_relu["texts"])
    assert "zero-centred" not in reference_relu["card"], "facts are shown with -v, not as passes"


def test_a_property_the_function_has_is_still_judged(tmp_path):
    code, report = check_json(workspace(tmp_path / "ws"), "--only", "tanh")
    status = {c["name"]: c["status"] for c in rows(report)["tanh"]["checks"]}
    assert status["zero-centred"] == "pass" and code == 0


def test_nan_where_a_number_belongs_is_named_before_the_dtype(nan_relu):
    _, found = nan_relu
    assert found["checks"]["dtype"][0] == "fail", "the nan also turns int64 into float64"
    assert found["next"].startswith("fix ReLU (accuracy): got nan"), found["next"]
    problems = [line for line in found["card"].splitlines() if line.startswith("✗ relu")]
    assert "got nan" in problems[0] and "dtype" not in problems[0], problems


def test_x_times_mask_names_the_nan_at_minus_inf_before_its_warning(tmp_path):
    ws = patch(workspace(tmp_path / "ws"), MASKED_RELU)
    code, report = check_json(ws, "--only", "relu")
    checks = {c["name"]: c for c in rows(report)["relu"]["checks"]}
    assert checks["warnings"]["status"] == "fail" and checks["extreme inputs"]["status"] == "fail"
    assert code == 1 and "x = -inf: got nan" in report["extra"]["next"], report["extra"]["next"]
    done = tito(ws, "test", "activations")
    assert done.returncode == 1
    assert "got [nan, inf]" in done.stdout, done.stdout[-4000:]


def test_the_activations_card_scores_and_labels_by_tito_cards_rules():
    """One report-card model: a warning holds, a row of notes passes, and a failing check
    costs its share of the row, exactly as tito.card scores every other module's card."""
    import importlib

    from tito import card
    from tito.offers import feedback_module

    feedback = feedback_module("activations")
    results = importlib.import_module(feedback.__name__ + ".results")
    report = importlib.import_module(feedback.__name__ + ".report")

    def result(*statuses):
        checks = [results.Check(f"c{i}", "accuracy", s, "why") for i, s in enumerate(statuses)]
        return results.Result("f", "F", "float32", checks)

    warned, noted, failed = result("pass", "warn"), result("info", "info"), result("pass", "pass", "pass", "fail")
    assert (warned.status, warned.score) == ("warn", 99)
    assert (noted.status, noted.score) == ("pass", 100), "a row of notes passes"
    assert (failed.status, failed.score) == ("fail", 75)
    whole = report.Report("activations", "float32", [warned, noted, failed])
    rows = [card.Row("f", [card.Check(c.name, c.status, c.reason) for c in r.checks]) for r in (warned, noted, failed)]
    assert whole.score == card.Card("activations", rows).score == 91 and not whole.ok
    assert report.Report("activations", "float32", [warned, noted]).ok
