"""`tito plot activations` and the notebook's plot functions: every figure exists, is a
valid PNG of the stated size, and shows what was measured."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from feedback_helpers import (
    ACTIVATIONS,
    ELU_ENDLESS_LOOP,
    ROOT,
    TANH_STUB,
    patch,
    tito,
    workspace,
)
from PIL import Image

SIZES = {**{name: (1200, 850) for name in ACTIVATIONS}, "comparison": (1500, 650),
         "gradient_flow": (1300, 560)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="module")
def figures(reference, tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    done = tito(reference, "plot", "activations", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done


def _pixels(path):
    with Image.open(path) as image:
        image.verify()  # a complete, valid PNG
    with Image.open(path) as image:
        return image.format, image.size, np.asarray(image.convert("L"), dtype=float)


@pytest.mark.parametrize("name", list(SIZES))
def test_every_figure_is_a_valid_png_of_the_stated_size(figures, name):
    out, _ = figures
    path = out / f"{name}.png"
    assert path.exists(), f"{name}.png was not written"
    fmt, size, grey = _pixels(path)
    assert fmt == "PNG"
    assert size == SIZES[name], f"{name}.png is {size}, documented as {SIZES[name]}"
    assert size[0] >= 800 and size[1] >= 500
    assert grey.std() > 20, f"{name}.png looks blank"
    assert (grey < 128).mean() > 0.01, f"{name}.png has almost no ink"


def test_plot_lists_what_it_wrote(figures):
    out, done = figures
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(SIZES)
    for name in SIZES:
        assert f"{name}.png" in done.stdout
    assert "1200x850" in done.stdout


def test_only_writes_just_that_figure(reference, tmp_path):
    done = tito(reference, "plot", "activations", "--only", "tanh", "--only", "gradient_flow",
                "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradient_flow.png", "tanh.png"]


def test_default_folder_is_plots_activations(reference):
    done = tito(reference, "plot", "activations", "--only", "relu")
    assert done.returncode == 0, done.stderr
    assert _pixels(reference / "plots" / "activations" / "relu.png")[1] == SIZES["relu"]


def test_stub_and_endless_loop_still_get_their_figures(tmp_path):
    package = patch(workspace(tmp_path / "ws"), TANH_STUB, ELU_ENDLESS_LOOP)
    out = tmp_path / "figs"
    done = tito(package, "plot", "activations", "--timeout", "1", "--out", str(out), "--only", "tanh",
                "--only", "elu", "--only", "relu", "--only", "comparison")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("tanh", "elu", "relu", "comparison"):
        assert _pixels(out / f"{name}.png")[1] == SIZES[name]
    assert "missing" in done.stdout and "fail" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["plot", "activations", "--only", "swish"], "unknown figure 'swish'"),
    (["plot", "layers"], "unknown module 'layers'"),
])
def test_user_mistakes_get_a_clear_message(reference, args, message):
    done = tito(reference, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_out_must_be_a_folder(reference, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    done = tito(reference, "plot", "activations", "--only", "relu", "--out", str(blocker))
    assert done.returncode == 2 and "is not a folder" in done.stderr


# ----------------------------------------------------------------------------
# The notebook API: what the dev file's plot cells call
# ----------------------------------------------------------------------------

NOTEBOOK = r'''
import json
import numpy as np
import matplotlib
matplotlib.use("Agg")
from matplotlib.figure import Figure
from tinytorch.core.tensor import Tensor
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax
import importlib
from tito.offers import feedback_module

feedback = feedback_module("activations")
plot_activation, plot_comparison, plot_gradient_flow = (
    feedback.plot_activation, feedback.plot_comparison, feedback.plot_gradient_flow)
gradient_flow = importlib.import_module(feedback.__name__ + ".plots").gradient_flow
Source = importlib.import_module(feedback.__name__ + ".runner").Source


class CancellingSigmoid(Sigmoid):
    def forward(self, x):
        d = x.data
        return Tensor((0.5 * (1 + np.tanh(d / 2))).astype(d.dtype))


def describe(fig):
    axes = fig.get_axes()
    return {"pixels": [int(v) for v in fig.get_size_inches() * fig.dpi],
            "is_figure": isinstance(fig, Figure),
            "suptitle": fig._suptitle.get_text() if fig._suptitle else "",
            "titles": [ax.get_title() for ax in axes],
            "legends": [[t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
                        for ax in axes],
            "lines": [len(ax.get_lines()) for ax in axes]}


out = {}
out["sigmoid"] = describe(plot_activation("sigmoid", Sigmoid()))
out["cancelling"] = describe(plot_activation("sigmoid", CancellingSigmoid()))
out["gelu_tanh"] = describe(plot_activation("gelu", GELU(approximate="tanh")))
out["softmax_package"] = describe(plot_activation("softmax"))
plot_activation("relu", ReLU(), save="relu_saved.png")
out["comparison"] = describe(plot_comparison())
out["flow"] = describe(plot_gradient_flow())
flow = gradient_flow(Source())
out["flow_data"] = {name: {"first": d["first"].tolist(), "layers": d["layers"].tolist()}
                    for name, d in flow.items()}
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def notebook(reference):
    import os

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(reference), str(ROOT)]), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", NOTEBOOK], cwd=reference, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), reference


def test_plot_activation_returns_the_four_panel_figure(notebook):
    found, _ = notebook
    fig = found["sigmoid"]
    assert fig["is_figure"] and fig["pixels"] == [1200, 850]
    assert fig["suptitle"].startswith("Sigmoid: PASS")
    titles = " | ".join(fig["titles"])
    for panel in ("Your implementation vs the exact function", "Definition", "Properties", "Error analysis"):
        assert panel in titles, titles
    error_title = next(t for t in fig["titles"] if t.startswith("Error analysis"))
    assert "ULP" in error_title and "PASS" in error_title


def test_a_wrong_implementation_is_marked_where_it_is_wrong(notebook):
    fig = notebook[0]["cancelling"]
    assert fig["suptitle"].startswith("Sigmoid: FAIL")
    error_title = next(t for t in fig["titles"] if t.startswith("Error analysis"))
    assert "FAIL" in error_title
    legends = " | ".join(" ".join(entries) for entries in fig["legends"])
    assert "off by more than the limit" in legends, "the curve panel marks the wrong points"
    assert "over the limit" in legends, "the error panel marks the points over the limit"


def test_gelu_tanh_object_gets_its_own_row(notebook):
    assert notebook[0]["gelu_tanh"]["suptitle"].startswith("GELU (tanh approximation): PASS")


def test_no_object_means_the_package_class(notebook):
    assert notebook[0]["softmax_package"]["suptitle"].startswith("Softmax: PASS")


def test_save_writes_the_png(notebook):
    _, folder = notebook
    assert _pixels(folder / "relu_saved.png")[1] == SIZES["relu"]


def test_comparison_draws_every_elementwise_function_and_derivative(notebook):
    fig = notebook[0]["comparison"]
    assert fig["pixels"] == list(SIZES["comparison"])
    elementwise = [n for n in ACTIVATIONS if "softmax" not in n]
    for legend in fig["legends"]:
        assert legend == elementwise
    assert "not implemented" not in " ".join(fig["titles"])


def test_gradient_flow_shows_sigmoid_vanishing_and_relu_surviving(notebook):
    found = notebook[0]
    assert found["flow"]["pixels"] == list(SIZES["gradient_flow"])
    data = found["flow_data"]
    sigmoid, tanh, relu = (np.array(data[n]["first"]) for n in ("sigmoid", "tanh", "relu"))
    assert sigmoid.size == relu.size == 20
    assert sigmoid[-1] < 0.25 ** 20 * 10, "sigmoid' <= 1/4 per layer: 20 layers leave < 1e-11"
    assert np.all(np.diff(sigmoid) < 0), "every sigmoid layer shrinks the gradient"
    assert 0.1 < relu[-1] < 10, "ReLU with He init keeps the gradient's size"
    assert sigmoid[-1] < tanh[-1] < relu[-1]
