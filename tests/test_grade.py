"""tito grade: every submission in its own sandboxed subprocess; hostile ones hurt only their row."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import jupytext
import numpy as np
import pytest

from tito.grading import sandbox

SOLUTION = "    return 2 * np.asarray(x)\n"
IMPORTS = "#| export\nimport numpy as np\n"
WEIGHTED_TESTS = '''\
import pytest
from tinytorch.core.demo import double

@pytest.mark.points(3)
def test_double_of_three_is_six():
    assert double(3) == 6, "double(3) should be 6"

def test_double_keeps_shape():
    assert double([[1, 2]]).shape == (1, 2)
'''


def _snapshot(*folders: Path) -> dict:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def _variant(reference: str, body: str | None = None, at_import: str = "") -> str:
    text = reference if body is None else reference.replace(SOLUTION, body)
    return text.replace(IMPORTS, IMPORTS + at_import)


def _cmdline(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:  # the process ended meanwhile
        return ""


@pytest.fixture
def listener():
    """A local TCP server that records whether anything reached it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    reached, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                reached.append(connection.recv(100))
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], reached
    stop.set()
    thread.join(5)
    server.close()


def test_grading_contains_every_submission(project, tmp_path, listener):
    port, reached = listener
    (project.module() / "tests" / "test_demo.py").write_text(WEIGHTED_TESTS)
    project.tito("release", check=True)
    reference = (project.module() / "demo_dev.py").read_text()
    subs = tmp_path / "submissions"
    subs.mkdir()
    canary = tmp_path / "canary.txt"
    marker = f"sleep-marker-{port}"
    instructor_file = project.module() / "demo_dev.py"
    hostile_writes = (
        "import os, shutil, pathlib\n"
        f"for target in [{str(instructor_file)!r}, {str(canary)!r}, {str(subs / 'a_reference.py')!r}]:\n"
        "    try:\n        pathlib.Path(target).write_text('pwned')\n"
        "    except OSError:\n        pass\n"
        "shutil.rmtree(os.getcwd(), ignore_errors=True)\n")
    cases = {
        "a_reference.py": reference,
        "b_edition.py": (project.root / "assignments/release/01_demo/demo_dev.py").read_text(),
        "c_wrong.py": _variant(reference, "    return 3 * np.asarray(x)\n"),
        "d_syntax.py": _variant(reference, "    return 2 * np.asarray(x\n"),
        "e_loop.py": _variant(reference, "    while True:\n        pass\n"),
        "f_exit.py": _variant(reference, at_import="import os\nos._exit(0)\n"),
        "g_sysexit.py": _variant(reference, "    import sys\n    sys.exit(3)\n"),
        "h_memory.py": _variant(reference, "    hog = []\n    while True:\n        hog.append(bytearray(10**7))\n"),
        "i_writer.py": _variant(reference, at_import=hostile_writes),
        "j_network.py": _variant(reference, at_import=(
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')\n"
            "except OSError:\n    pass\n")),
        "k_daemon.py": _variant(reference, at_import=(
            "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}], "
            "start_new_session=True)\n")),
        "l_cheat.py": _variant(reference, (
            f"    solution = open({str(instructor_file)!r}).read()\n"
            "    return (2 if 'return 2 *' in solution else 0) * np.asarray(x)\n")),
    }
    box = sandbox.probe()
    if not box.isolated:  # only the isolated sandbox stops these; without it they would do harm
        for name in ("i_writer.py", "j_network.py", "k_daemon.py", "l_cheat.py"):
            del cases[name]
    for name, text in cases.items():
        (subs / name).write_text(text)
    notebook = subs / "m_notebook.ipynb"
    jupytext.write(jupytext.reads(reference, fmt="py:percent"), notebook, fmt="ipynb")
    paths = sorted(str(p) for p in subs.iterdir())
    before = _snapshot(project.root / "assignments", project.root / "tinytorch")
    gradebook = tmp_path / "grades.csv"

    # The limit only has to stop the endless loop: a normal submission of this module takes a
    # few seconds even on a loaded 2-core machine, so 60 s leaves a wide margin.
    done = project.tito("grade", "--module", "demo", *paths, "--jobs", "2", "--timeout", "60",
                        "--memory", "1024", "--json", "--csv", str(gradebook))

    assert done.returncode == 0, done.stderr
    rows = {Path(r["submission"]).stem: r for r in json.loads(done.stdout)}
    assert [r["submission"] for r in json.loads(done.stdout)] == paths, "one row per submission, in order"
    for row in rows.values():
        assert row["max_points"] == 4 and 0 <= row["score"] <= 100
    first = rows["a_reference"]
    assert (first["status"], first["score"], first["points"]) == ("graded", 100, 4)
    assert rows["m_notebook"]["score"] == 100 and rows["m_notebook"]["status"] == "graded"
    edition = rows["b_edition"]
    assert (edition["status"], edition["score"], edition["passed"], edition["failed"]) == ("graded", 0, 0, 2)
    assert all("double: not implemented yet" in f["message"] for f in edition["failures"])
    # the weighted test needs the right value; the shape test, which zeros pass too, weighs 5% in all
    assert rows["c_wrong"]["score"] == 5 and rows["c_wrong"]["points"] == 1, rows["c_wrong"]
    assert "double(3) should be 6" in rows["c_wrong"]["failures"][0]["message"]
    syntax_line = cases["d_syntax.py"].splitlines().index("    return 2 * np.asarray(x") + 1
    assert rows["d_syntax"]["status"] == "error"
    assert rows["d_syntax"]["reason"].startswith(f"syntax error at line {syntax_line}")
    assert rows["e_loop"]["status"] == "timeout" and rows["e_loop"]["score"] == 0
    assert rows["f_exit"]["score"] == 0 and "process exited with code 0" in rows["f_exit"]["reason"]
    assert rows["g_sysexit"]["score"] == 0 and rows["g_sysexit"]["status"] in ("graded", "error")
    assert rows["h_memory"]["score"] == 0 and rows["h_memory"]["status"] == "graded"
    assert "reached the memory limit (1024 MB)" in rows["h_memory"]["reason"]
    with open(gradebook, newline="") as handle:
        book = list(csv.DictReader(handle))
    assert [b["submission"] for b in book] == paths
    assert {b["status"] for b in book} == {"graded", "timeout", "error"}
    assert float(book[0]["score"]) == 100.0

    if box.isolated:
        assert "sandbox: isolated" in done.stderr
        assert rows["i_writer"]["score"] == 100, "deleting its own working folder only affects itself"
        assert rows["k_daemon"]["score"] == 100
        assert not any(marker in _cmdline(p) for p in Path("/proc").glob("[0-9]*/cmdline")), \
            "a process it started outlived grading"
        assert _snapshot(project.root / "assignments", project.root / "tinytorch") == before
        assert not canary.exists(), "a submission wrote outside its folder"
        assert (subs / "a_reference.py").read_text() == reference
        assert reached == [], "a submission reached the network"
        assert rows["l_cheat"]["score"] == 0, "a submission read the reference solution"
        assert rows["j_network"]["score"] == 100
    else:  # the machine cannot isolate: the instructor is told what is missing
        assert "sandbox: limits only" in done.stderr and "not given: no network" in done.stderr


def test_grade_refuses_bad_input_clearly(project, tmp_path):
    done = project.tito("grade", "--module", "dmeo", str(tmp_path / "notes.txt"))
    assert done.returncode == 2 and "unknown module 'dmeo'" in done.stderr
    done = project.tito("grade", str(tmp_path / "notes.txt"))
    assert done.returncode == 2 and "--module" in done.stderr
    for out in (done.stderr, done.stdout):
        assert "Traceback" not in out


def test_broken_notebook_and_wrong_module_are_error_rows(project, tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    other = tmp_path / "other.py"
    other.write_text((project.module() / "demo_dev.py").read_text().replace("core.demo", "core.other"))
    done = project.tito("grade", "-m", "demo", str(broken), str(other), "--json")
    rows = json.loads(done.stdout)
    assert rows[0]["status"] == "error" and "not a readable notebook" in rows[0]["reason"]
    assert rows[1]["status"] == "error" and "tinytorch.core.other, not tinytorch.core.demo" in rows[1]["reason"]


def test_table_output_names_each_submission(project, tmp_path):
    """Also: learner code writes into a test's tmp_path (another user's folder in isolated mode)."""
    dev = project.module() / "demo_dev.py"
    dev.write_text(dev.read_text() + "\n# %%\n#| export\ndef save_double(x, path):\n    np.save(path, double(x))\n")
    (project.module() / "tests" / "test_files.py").write_text(
        "import numpy as np\nfrom tinytorch.core.demo import save_double\n\n"
        "def test_learner_code_writes_into_tmp_path(tmp_path):\n"
        "    save_double(np.arange(3), str(tmp_path / 'y.npy'))\n"
        "    assert np.load(tmp_path / 'y.npy').tolist() == [0, 2, 4]\n")
    sub = tmp_path / "alice.py"
    sub.write_text(dev.read_text())
    done = project.tito("grade", "-m", "demo", str(sub))
    assert done.returncode == 0
    assert "alice.py" in done.stdout and "graded" in done.stdout and "3/3" in done.stdout and "100" in done.stdout


def test_tests_the_reference_skips_here_are_not_graded(project, tmp_path):
    """A cross-check that cannot run on this machine (say, PyTorch missing) counts for nobody."""
    (project.module() / "tests" / "test_demo.py").write_text(
        "import pytest\n"
        "from tinytorch.core.demo import double\n\n"
        "def test_double_of_three_is_six():\n    assert double(3) == 6\n\n"
        "@pytest.mark.skipif(True, reason='oracle not installed')\n"
        "def test_against_an_oracle():\n    assert False\n")
    done = project.tito("grade", "--module", "demo", str(project.module() / "demo_dev.py"), "--json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)[0]
    assert (row["score"], row["max_points"]) == (100, 1), row
    assert "1 test(s) skip with the reference solution" in done.stderr and "oracle not installed" in done.stderr


EDITION_PATH = "assignments/release/01_demo/demo_dev.py"


def test_bad_inputs_each_give_one_row_and_print_verbatim(project, tmp_path):
    reference = (project.module() / "demo_dev.py").read_text()
    (tmp_path / "bob[red].py").write_text(reference)
    (tmp_path / "markup.py").write_text(reference.replace("core.demo", "core.demo[/]"))
    (tmp_path / "folder.py").mkdir()
    paths = [str(tmp_path / "bob[red].py"), str(tmp_path / "missing.py"), str(tmp_path / "folder.py"),
             str(tmp_path / "markup.py")]
    done = project.tito("grade", "-m", "demo", *paths, "--timeout", "inf")
    assert done.returncode == 0 and "Traceback" not in done.stderr + done.stdout, done.stderr
    assert "bob[red].py" in done.stdout and "[/]" in done.stdout
    done = project.tito("grade", "-m", "demo", *paths, "--json", "--timeout", "inf")
    rows = json.loads(done.stdout)
    assert [r["status"] for r in rows] == ["graded", "error", "error", "error"]
    assert rows[0]["score"] == 100
    assert rows[1]["reason"] == "no such file" and "folder" in rows[2]["reason"]
    assert "core.demo[/]" in rows[3]["reason"]
    done = project.tito("grade", "-m", "demo", str(tmp_path / "missing.py"))
    assert done.returncode == 1 and "no such file" in done.stdout


def test_the_reference_run_has_its_own_limit(project):
    done = project.tito("grade", "-m", "demo", str(project.module() / "demo_dev.py"),
                        "--reference-timeout", "0.01")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the reference solution's own run" in done.stderr and "--reference-timeout" in done.stderr


def test_every_process_dies_and_disk_is_bounded(project, tmp_path):
    """A setsid double-forked daemon dies in limits-only mode too; the disk quota holds in isolated mode."""
    reference = (project.module() / "demo_dev.py").read_text()
    marker = f"daemon-marker-{tmp_path.name}"
    daemon = (
        "import os, sys, subprocess\n"
        "subprocess.Popen([sys.executable, '-c', "
        "'import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(600)', "
        f"{marker!r}], start_new_session=True)\n"
    )
    filler = (
        "import os\n"
        "written = 0\n"
        "try:\n"
        "    for i in range(12):\n"
        "        with open(f'fill{i}', 'wb') as handle:\n"
        "            handle.write(b'x' * (8 << 20))\n"
        "        written += 8\n"
        "except OSError:\n"
        "    pass\n"
        "WRITTEN = written\n")
    (tmp_path / "daemon.py").write_text(reference.replace(IMPORTS, IMPORTS + daemon))
    (tmp_path / "filler.py").write_text(reference.replace(IMPORTS, IMPORTS + filler).replace(
        SOLUTION, "    return (2 if WRITTEN < 64 else 3) * np.asarray(x)\n"))
    # killed as the kernel kills a process past its memory: the row says so, not "no result"
    (tmp_path / "killed.py").write_text(
        reference.replace(IMPORTS, IMPORTS + "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    )
    env = {"TINYTORCH_GRADE_SANDBOX": "limits"}
    done = project.tito_env(
        env, "grade", "-m", "demo", str(tmp_path / "daemon.py"), str(tmp_path / "killed.py"), "--json"
    )
    daemon_row, killed_row = json.loads(done.stdout)
    assert daemon_row["score"] == 100, done.stderr
    assert killed_row["score"] == 0, killed_row   # an error row: killed at import, no test could be collected
    assert "was killed by SIGKILL (at the memory limit of 2048 MB?)" in killed_row["reason"], killed_row
    assert not any(marker in _cmdline(p) for p in Path("/proc").glob("[0-9]*/cmdline")), "a daemon outlived grading"
    if sandbox.probe().isolated:
        done = project.tito("grade", "-m", "demo", str(tmp_path / "filler.py"), "--disk", "32", "--json")
        assert json.loads(done.stdout)[0]["score"] == 100, "it wrote 64 MB or more past a 32 MB quota"


def test_a_submission_that_rewrites_the_tests_changes_no_verdict(project, tmp_path):
    """Without isolation the worker runs as the grading user and can rewrite any test file:
    its judge's copy (the module's second test file is read after the worker started) and
    the instructor's own. The judge runs the tests as read before any worker started."""
    tests = project.module() / "tests"
    (tests / "test_more.py").write_text(
        "from tinytorch.core.demo import double\n\ndef test_double_of_two_is_four():\n    assert double(2) == 4\n")
    project.tito("release", check=True)
    edition = (project.root / EDITION_PATH).read_text()
    blank = (
        "import ast, glob, os\n"
        "for _path in glob.glob(os.getcwd() + '/../judge/**/test_*.py', recursive=True) + "
        f"glob.glob({str(tests)!r} + '/test_*.py'):\n"
        "    _tree = ast.parse(open(_path).read())\n"
        "    for _node in ast.walk(_tree):\n"
        "        if isinstance(_node, ast.FunctionDef) and _node.name.startswith('test_'):\n"
        "            _node.body = [ast.Pass()]\n"
        "    open(_path, 'w').write(ast.unparse(_tree))\n"
    )
    (tmp_path / "a_rewrites.py").write_text(edition.replace(IMPORTS, IMPORTS + blank))
    (tmp_path / "b_edition.py").write_text(edition)
    done = project.tito_env({"TINYTORCH_GRADE_SANDBOX": "limits"}, "grade", "-m", "demo",
                            str(tmp_path / "a_rewrites.py"), str(tmp_path / "b_edition.py"), "--jobs", "1", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["status"], r["score"], r["max_points"]) for r in rows] == [("graded", 0, 3)] * 2, rows


def test_judges_share_the_reference_runs_values_in_memory(project, tmp_path):
    """Values the tests share (tito.testing.shared) are computed once, by the reference run: every
    other judge gets them in memory before its submission runs, and none reads them from a file."""
    log = tmp_path / "computed.txt"
    (project.module() / "tests" / "test_demo.py").write_text(
        "import numpy as np\n"
        "from tinytorch.core.demo import double\n"
        "from tito.testing import shared\n\n"
        "def compute():\n"
        f"    with open({str(log)!r}, 'a') as f:\n"
        "        f.write('computed\\n')\n"
        "    return (np.arange(4.0) * 2,)\n\n"
        "def test_double_against_shared_values():\n"
        "    (want,) = shared('demo', compute)\n"
        "    assert np.array_equal(double(np.arange(4.0)), want)\n")
    dev = str(project.module() / "demo_dev.py")
    done = project.tito("grade", "-m", "demo", dev, dev, "--json")
    assert [r["score"] for r in json.loads(done.stdout)] == [100, 100], done.stderr
    assert log.read_text() == "computed\n"


def test_shared_values_cross_as_numpy_archives():
    from tito import testing
    from tito.grading.judge import frames, pack_values, unframe, unpack_values

    values = {"a": (np.arange(3.0), np.float32(2) * np.ones((2, 2), np.float32)), "b": (np.array([], np.int64),)}
    back = unpack_values(unframe(frames([b"{}", pack_values(values)]))[1])
    assert back.keys() == values.keys()
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for k in values for x, y in zip(back[k], values[k]))
    calls = []
    first = testing.shared("test-shared-once", lambda: calls.append(1) or (np.ones(2),))
    first[0][0] = 5
    assert testing.shared("test-shared-once", lambda: calls.append(1) or (np.ones(2),))[0].tolist() == [1, 1]
    assert calls == [1], "computed once; each call gets its own copy"


def test_names_and_cells_are_escaped_and_a_byte_order_mark_is_fine(project, tmp_path):
    """A name that is a spreadsheet formula, one with a terminal escape, one that is not UTF-8, and
    a file that starts with a byte-order mark (Python accepts it): graded, printed and written safely."""
    reference = (project.module() / "demo_dev.py").read_text()
    subs = tmp_path / "subs"
    subs.mkdir()
    formula = '=HYPERLINK("evil").py'   # given as a path from the folder tito runs in
    (project.root / formula).write_text(reference)
    (subs / "\x1b[31mred.py").write_text(reference)
    (subs / "bom.py").write_bytes(b"\xef\xbb\xbf" + reference.encode())
    latin = os.fsencode(subs) + b"/caf\xe9.py"
    with open(latin, "wb") as handle:
        handle.write(reference.encode())
    paths = [formula, str(subs / "\x1b[31mred.py"), str(subs / "bom.py"), os.fsdecode(latin)]
    gradebook = tmp_path / "book.csv"
    done = project.tito("grade", "-m", "demo", *paths, "--csv", str(gradebook))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\\x1b[31mred.py" in done.stdout
    assert "caf\\xe9.py" in done.stdout
    rows = list(csv.DictReader(gradebook.open(encoding="utf-8")))
    assert [float(r["score"]) for r in rows] == [100.0] * 4, rows
    assert rows[0]["submission"] == "\'" + formula, "a spreadsheet reads no formula from a name"
    assert rows[3]["submission"].endswith("caf\\xe9.py")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupt_stops_grading_at_once_and_keeps_every_finished_row(project, tmp_path, signum):
    reference = (project.module() / "demo_dev.py").read_text()
    marker = f"endless-marker-{tmp_path.name}"
    endless = reference.replace(IMPORTS, IMPORTS + (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n")).replace(
        SOLUTION, "    while True:\n        pass\n")
    paths = [tmp_path / "a_done.py", tmp_path / "b_endless.py", tmp_path / "c_waiting.py"]
    for path, text in zip(paths, [reference, endless, reference]):
        path.write_text(text)
    gradebook = tmp_path / "book.csv"
    env = dict(os.environ, TINYTORCH_ROOT=str(project.root), NO_COLOR="1")
    env.pop("PYTHONPATH", None)
    process = subprocess.Popen([sys.executable, "-m", "tito", "grade", "-m", "demo", *map(str, paths), "--jobs", "1",
                                "--timeout", "600", "--csv", str(gradebook)], cwd=project.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):   # until the first row is done and the second has started
            if gradebook.exists() and "a_done.py,100" in gradebook.read_text():
                break
            time.sleep(0.5)
        time.sleep(3)
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)   # far less than the running submission's 600 s
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in err, err
    rows = list(csv.DictReader(gradebook.open()))
    assert [(r["status"], float(r["score"])) for r in rows] == [("graded", 100.0), ("error", 0.0), ("error", 0.0)]
    assert rows[1]["reason"] == "not graded: tito grade was stopped while grading it", rows
    assert rows[2]["reason"] == "not graded: tito grade was stopped", rows
    time.sleep(1)
    assert not any(marker in _cmdline(p) for p in Path("/proc").glob("[0-9]*/cmdline")), "a process outlived tito grade"
