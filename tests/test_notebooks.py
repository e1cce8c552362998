"""Every module's dev file runs as a notebook, top to bottom, in a real Jupyter kernel.

The kernel imports `tinytorch` from a package freshly built from the current dev files
(first on its PYTHONPATH), as a learner's kernel would after `tito sync`.
"""
from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tito.export import build_package, export_modules
from tito.modules import all_modules

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "source"
MODULES = all_modules(SOURCE)
CELL_TIMEOUT = 300  # seconds for one cell; a hung cell fails the test instead of hanging CI


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return build_package(tmp_path_factory.mktemp("package"), export_modules(MODULES, ROOT), ROOT)


def test_there_are_modules_to_run():
    assert [m.folder for m in MODULES][:2] == ["01_tensor", "02_activations"]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.folder)
def test_dev_file_runs_as_a_notebook(module, package, monkeypatch, tmp_path):
    notebook = jupytext.read(module.dev_file, fmt="py:percent")
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert code_cells, f"{module.dev_file.name} has no code cells"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(package), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path))
    monkeypatch.setenv("TINYTORCH_ROOT", str(ROOT))
    client = NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(module.path)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{module.dev_file.relative_to(ROOT)} fails when run as a notebook:\n{error}")
    errors = [o for c in code_cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert all(c.get("execution_count") for c in code_cells if c.source.strip()), "a code cell did not run"
    # The kernel used the freshly built package, not whatever tinytorch/ holds.
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import tinytorch, pathlib; print(pathlib.Path(tinytorch.__file__).parent.parent)")])
    NotebookClient(probe, kernel_name="python3", timeout=60).execute()
    assert probe.cells[0].outputs[0]["text"].strip() == str(package)
