"""tito check / plot / bench on modules 04 nn and 05 losses, through their declared providers."""
from __future__ import annotations

import json
import re


def test_check_nn_and_losses_score_the_reference_100(real_project):
    for module, rows in (("nn", {"Module", "Linear", "init", "Dropout", "Sequential"}),
                         ("losses", {"MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
                                     "BCEWithLogitsLoss"})):
        done = real_project.tito("check", module, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        card = json.loads(done.stdout)
        assert card["score"] == 100 and {r["name"] for r in card["rows"]} == rows, card


def test_check_names_a_learner_mistake(real_project):
    dev = real_project.root / "assignments" / "source" / "05_losses" / "losses_dev.py"
    dev.write_text(dev.read_text().replace("sp = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))",
                                           "sp = np.log1p(np.exp(-z))"))
    done = real_project.tito("check", "losses", "--json")
    assert done.returncode == 1
    card = json.loads(done.stdout)
    bad = [r["name"] for r in card["rows"] if r["status"] == "fail"]
    assert bad == ["BCEWithLogitsLoss"], card


def test_plot_writes_the_figures(real_project, tmp_path):
    for module, names in (("nn", {"init_scale.png", "dropout.png"}), ("losses", {"losses.png"})):
        done = real_project.tito("plot", module, "--out", str(tmp_path / module))
        assert done.returncode == 0, done.stdout + done.stderr
        assert {p.name for p in (tmp_path / module).glob("*.png")} == names


def test_bench_nn_compares_both_cases(real_project):
    done = real_project.tito("bench", "nn", "--repeats", "1", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    card = json.loads(done.stdout)
    assert [r["name"] for r in card["rows"]] == ["Linear(784, 256)", "MLP 784-256-128-10"]
    assert all(re.search(r"\d+ us", r["checks"][0]["detail"]) for r in card["rows"]), card
