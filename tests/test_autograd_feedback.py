"""tito check / plot / bench for module 03, through its provider tito.feedback.autograd.

The provider runs in-process against the package (as the commands run it inside
`current_package`); one test drives the real commands end to end.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import tinytorch.core.autograd as ag
from tito.feedback import autograd as provider
from tito.feedback.autograd_ops import OPS
from tito.modules import find_module
from tito.offers import Context
from tito.testing import torch_oracle

ROOT = Path(__file__).resolve().parents[1]
MODULE = find_module("autograd", ROOT / "assignments" / "source")


def context(**kw) -> Context:
    return Context(MODULE, **kw)


def test_module_declares_the_provider():
    assert MODULE.meta["feedback"] == "tito.feedback.autograd"
    assert set(provider.FIGURES) == {"graph", "chain"}


def test_reference_card_is_all_green_and_covers_every_op():
    torch_oracle()  # in CI every row is also compared with PyTorch
    card = provider.check(context())
    names = [row.name for row in card.rows]
    assert names[:len(OPS)] == [op.name for op in OPS]
    assert {"broadcasting", "accumulation", "shared nodes", "deep chain", "no_grad"} <= set(names)
    assert card.ok and card.score == 100, card.next_step()
    report = card.to_json()
    assert report["module"] == "autograd" and report["ok"] is True
    row = next(r for r in report["rows"] if r["name"] == "a @ b")
    assert [c["name"] for c in row["checks"]] == ["finite differences", "PyTorch", "float32 gradient"]
    json.dumps(report)


def test_a_wrong_rule_turns_its_row_red_and_names_the_input(monkeypatch):
    @ag.differentiable
    def wrong_mul(a, b):
        out = a * b
        return out, lambda grad: (grad * b.data, grad * b.data)  # b's share should be grad * a

    rule = wrong_mul.__wrapped__
    monkeypatch.setitem(ag._BINARY, "mul", (rule, False))
    monkeypatch.setitem(ag._BINARY, "rmul", (rule, True))
    card = provider.check(context(only=["a * b (broadcast)", "engine"]))
    row = next(r for r in card.rows if r.name == "a * b (broadcast)")
    assert row.status == "fail" and not card.ok
    detail = next(c.detail for c in row.checks if c.name == "finite differences")
    assert "input 1" in detail, detail
    assert "a * b (broadcast)" in card.next_step()


def test_a_stub_shows_as_missing(monkeypatch):
    def stub(*args):
        raise NotImplementedError("connect: not implemented yet")

    monkeypatch.setattr(ag, "connect", stub)
    card = provider.check(context(only=["arithmetic"]))
    assert card.rows and all(r.status == "missing" for r in card.rows)
    assert card.score == 0 and not card.ok and "connect: not implemented yet" in card.next_step()
    figures = list(provider.figures(context(), ["graph"]))
    assert figures[0][0] == "graph" and figures[0][2] == "missing"


def test_unknown_row_is_a_clear_error():
    from tito.console import TitoError

    with pytest.raises(TitoError, match="no row named 'softmaxx'"):
        provider.check(context(only=["softmaxx"]))


def test_figures_show_the_graph_and_the_chain():
    drawn = {name: (fig, status) for name, fig, status in provider.figures(context(), ["graph", "chain"])}
    assert set(drawn) == {"graph", "chain"}
    for fig, status in drawn.values():
        assert isinstance(fig, Figure) and status == ""
    texts = [t.get_text() for t in drawn["graph"][0].axes[0].texts]
    assert any(t.startswith("L = f * a\ndata 1.523") and t.endswith("grad 1.") for t in texts), texts
    assert any(t.startswith("a\n") and "grad -1.758" in t for t in texts), "a collects both of its paths"
    lines = drawn["chain"][0].axes[0].get_lines()
    assert [l.get_label() for l in lines] == ["sigmoid", "tanh", "relu"]
    sigmoid, relu = (np.asarray(l.get_ydata()) for l in (lines[0], lines[2]))
    assert sigmoid[0] < 1e-10 * sigmoid[-1], "through 30 sigmoid layers the gradient vanishes"
    assert relu[0] > 1e-2 * relu[-1], "through 30 relu layers it survives"


def test_bench_reports_both_ratios_measured_in_one_run():
    torch_oracle()
    card = provider.bench(context(repeats=1))
    assert set(card.results) == {"1,000-op scalar chain", "512x512 matmul-tanh-sum"}
    for entry in card.results.values():
        assert entry["tinytorch"] > 0 and entry["torch"] > 0
        assert entry["ratio"] == pytest.approx(entry["tinytorch"] / entry["torch"])
    json.dumps(card.to_json())


def test_commands_run_on_the_module(tmp_path):
    env = dict(os.environ, TINYTORCH_ROOT=str(ROOT), COLUMNS="200", NO_COLOR="1", MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)

    def tito(*args):
        return subprocess.run([sys.executable, "-m", "tito", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)

    done = tito("check", "autograd", "--only", "a @ b", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["rows"][0]["name"] == "a @ b"
    done = tito("plot", "03", "--out", str(tmp_path / "plots"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["chain.png", "graph.png"]
    done = tito("check", "autograd", "--only", "nonsense")
    assert done.returncode == 2 and "no row named" in done.stderr and "Traceback" not in done.stderr
