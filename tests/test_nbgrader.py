"""The instructor's other path: the released notebook of every module through real nbgrader.

generate_assignment on the released notebook, autograde of a solved copy (full marks) and
of the untouched one (0), export to CSV. Every module in assignments/source is picked up,
one test each (so tito test --all spreads them over its worker processes).

Autograding the solved copy runs the whole chapter, top to bottom, in a real Jupyter
kernel that imports `tinytorch` from a package freshly built from the current dev files
(first on its PYTHONPATH), as a learner's kernel would after `tito sync`: so this is also
the test that every chapter runs as a notebook, without an error in any cell.
"""
from __future__ import annotations

import copy
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tito.export import build_package, export_modules
from tito.modules import all_modules
from tito.release import grading_weights, make_edition, notebook_text, strip_hidden_tests

ROOT = Path(__file__).resolve().parents[1]
MODULES = all_modules(ROOT / "assignments" / "source")
CONFIG = '''c = get_config()
c.CourseDirectory.course_id = "tinytorch"
c.ExecutePreprocessor.timeout = 900
'''


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return build_package(tmp_path_factory.mktemp("package"), export_modules(MODULES, ROOT), ROOT)


def _nbgrader(course: Path, package: Path, *args: str) -> subprocess.CompletedProcess:
    nbgrader = Path(sys.executable).with_name("nbgrader")
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(course), TINYTORCH_HYPOTHESIS_PROFILE="fast",
               TINYTORCH_ROOT=str(ROOT),
               PYTHONPATH=os.pathsep.join([str(package), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    return subprocess.run([str(nbgrader), *args], cwd=course, capture_output=True, text=True, env=env, timeout=1800)


def _workflow(module, base: Path, package: Path) -> dict:
    """Run the whole nbgrader path for one module; what each step printed and the gradebook rows."""
    import jupytext
    import nbformat

    course = base / module.folder
    name = module.name
    text = module.dev_file.read_text(encoding="utf-8")
    edition = make_edition(text, module.dev_file.name, grading_weights(module.tests_dir, text, ROOT))
    notebook_name = module.dev_file.with_suffix(".ipynb").name
    (course / "source" / name).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG)
    (course / "source" / name / notebook_name).write_text(notebook_text(edition.notebook))
    steps = {"generate": _nbgrader(course, package, "generate_assignment", name, "--force")}
    released = nbformat.read(course / "release" / name / notebook_name, as_version=4)
    original = jupytext.reads(strip_hidden_tests(text, module.dev_file.name)[0], fmt="py:percent")
    for student, solved in (("solved", True), ("untouched", False)):
        notebook = copy.deepcopy(released)
        if solved:
            for cell, source in zip(notebook.cells, original.cells):
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = source.source
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / notebook_name)
    steps["autograde"] = _nbgrader(course, package, "autograde", name, "--create", "--force")
    steps["export"] = _nbgrader(course, package, "export", "--to", str(course / "grades.csv"))
    rows = {}
    if (course / "grades.csv").exists():
        with open(course / "grades.csv", newline="") as handle:
            rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    graded = sum(1 for c in edition.notebook.cells if c.metadata.get("nbgrader", {}).get("grade"))
    run = course / "autograded" / "solved" / name / notebook_name
    solved_run = nbformat.read(run, as_version=4) if run.exists() else None
    return {"steps": steps, "rows": rows, "graded_cells": graded, "solved_run": solved_run}


@pytest.mark.parametrize("module", MODULES, ids=[m.folder for m in MODULES])
def test_nbgrader_gives_the_solution_full_marks_and_the_untouched_notebook_zero(module, package, tmp_path):
    if shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("nbgrader is not installed: pip install -e '.[grading]' (CI installs it)")
    result = _workflow(module, tmp_path, package)
    for step, done in result["steps"].items():
        assert done.returncode == 0, f"nbgrader {step} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    rows = result["rows"]
    assert set(rows) == {"solved", "untouched"}, rows
    assert result["graded_cells"] > 0
    solved, untouched = rows["solved"], rows["untouched"]
    assert float(solved["max_score"]) > 0
    assert float(solved["score"]) == float(solved["max_score"]), f"the solved notebook lost points: {solved}"
    assert float(untouched["score"]) == 0, f"the untouched notebook scored: {untouched}"
    # The solved chapter ran as a notebook, every cell, none with an error.
    cells = [c for c in result["solved_run"].cells if c.cell_type == "code" and c.source.strip()]
    errors = [(c.source[:80], o.get("ename"), o.get("evalue")) for c in cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, f"{module.dev_file.name} fails when run as a notebook: {errors}"
    assert cells and all(c.get("execution_count") for c in cells), "a code cell of the solved chapter did not run"
