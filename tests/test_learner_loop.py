"""The learner's loop, as a learner walks it: edit the dev file, never sync, ask each command.

In the source workspace (the reference, whose package is in sync) the learner takes
ReLU's solution out again; in a student edition made by `tito release` they write it.
After each edit `tito check`, `tito plot`, `tito bench` and `tito status` must all
report the code as it is now, never the package exported earlier.
"""
from __future__ import annotations

import json

import pytest
from feedback_helpers import dev_file, tito, workspace

SOLUTION = "    return Tensor(np.maximum(data, 0))\n"
STUB = '    raise NotImplementedError("relu: not implemented yet")\n'


def _edit(ws, old: str, new: str) -> None:
    path = dev_file(ws)
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path} once"
    path.write_text(text.replace(old, new))


def _run(ws, *args) -> str:
    done = tito(ws, *args)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done.stdout


def _loop(ws, tmp_path) -> dict:
    """What check, plot, bench and status say about ReLU and module 02 right now."""
    check = json.loads(_run(ws, "check", "activations", "--json", "--only", "relu"))
    relu = next(row for row in check["functions"] if row["name"] == "relu")
    plot = _run(ws, "plot", "activations", "--only", "relu", "--out", str(tmp_path / "plots"))
    plotted = next(line for line in plot.splitlines() if "relu.png" in line)
    bench = json.loads(_run(ws, "bench", "activations", "--only", "relu", "--sizes", "1000", "--repeats", "1",
                            "--json"))
    timed = next(row for row in bench["sizes"][0]["rows"] if row["activation"] == "relu")
    status = next(line for line in _run(ws, "status").splitlines() if "activations" in line)
    return {"check": relu, "plot": plotted, "bench": timed, "status": status}


def _checks(row: dict) -> dict:
    return {c["name"]: c["status"] for c in row["checks"]}


def test_in_the_source_every_command_sees_the_solution_taken_out_without_sync(tmp_path):
    ws = workspace(tmp_path / "source")
    before = _loop(ws, tmp_path / "before")
    assert before["check"]["status"] == "pass" and "pass 100/100" in before["plot"]
    assert before["bench"]["forward"] is not None
    assert "20/20 written" in before["status"]

    _edit(ws, SOLUTION, STUB)  # no `tito sync`: the package still holds the solution
    after = _loop(ws, tmp_path / "after")
    assert after["check"]["status"] == "missing", after["check"]
    assert _checks(after["check"])["accuracy"] == "missing"
    assert f"missing {after['check']['score']}/100" in after["plot"], after["plot"]
    assert after["bench"]["forward"] is None and "not implemented" in after["bench"]["status"], after["bench"]
    assert "19/20 written" in after["status"] and "out of date" in after["status"], after["status"]


def test_in_a_student_edition_every_command_sees_the_solution_written_without_sync(tmp_path):
    source = workspace(tmp_path / "source")
    ws = tmp_path / "edition"
    made = tito(source, "release", "--out", str(ws))
    assert made.returncode == 0, made.stdout + made.stderr
    assert STUB in dev_file(ws).read_text()
    tensor = "01_tensor/tensor_dev.py"  # module 01 done: what ReLU builds on works
    (ws / tensor).write_text((source / tensor).read_text())
    before = _loop(ws, tmp_path / "before")
    assert before["check"]["status"] == "missing" and "missing" in before["plot"]
    assert before["bench"]["forward"] is None
    assert "0/20 written" in before["status"], before["status"]

    _edit(ws, STUB, SOLUTION)  # relu written; relu_backward and the rest still stubs
    after = _loop(ws, tmp_path / "after")
    assert _checks(after["check"])["accuracy"] == "pass", after["check"]
    row = after["check"]  # the figure shows the card's row: relu written, relu_backward not yet
    assert f"{row['status']} {row['score']}/100" in after["plot"] and row["score"] > before["check"]["score"]
    assert after["bench"]["forward"] is not None, after["bench"]
    assert "1/20 written" in after["status"], after["status"]


@pytest.mark.parametrize("where", ["source", "edition"])
def test_a_dev_file_that_does_not_export_is_red_for_every_command(tmp_path, where):
    ws = workspace(tmp_path / "source")
    if where == "edition":
        ws = tmp_path / "edition"
        assert tito(tmp_path / "source", "release", "--out", str(ws)).returncode == 0
    path = dev_file(ws)
    lines = path.read_text().splitlines(keepends=True)
    broken = next(i for i, line in enumerate(lines) if line.startswith("def relu("))
    lines[broken] = "def relu(x: Tensor) -> Tensor\n"  # the colon forgotten
    path.write_text("".join(lines))
    where_text = f"activations_dev.py:{broken + 1}"
    for args in (["check", "activations"], ["plot", "activations", "--out", str(tmp_path / "p")],
                 ["bench", "activations", "--sizes", "1000", "--repeats", "1"]):
        done = tito(ws, *args)
        assert done.returncode != 0 and where_text in done.stdout + done.stderr, (args, done.stdout + done.stderr)
        assert "score 100" not in done.stdout and "Traceback" not in done.stdout + done.stderr
    status = next(line for line in _run(ws, "status").splitlines() if "activations" in line)
    assert "broken" in status, status
