"""Hidden attacks on tito grade: each scores what its honest content earns, in every mode this machine runs.

A small module stands in for a real one (its tests read values the way the real modules'
do: expected values computed after the call, values the tests share, a lazily imported
module); every attack is built on its untouched student edition (honest content: 0) or on
a submission that computes nothing (honest content: at most 10). The modes: isolated (root
and `unshare`), and without isolation as a user who is not root, with a read-only install,
folders it cannot read, and one submission at a time (tito grade's default there). Each
mode grades the whole catalogue; the modules' own submissions (reference, untouched edition,
one computing nothing) are graded by tests/test_grade_modules.py.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tito.grading import sandbox

DEV = '''\
# %% [markdown]
# # Demo: a module with one function

# %%
#| default_exp core.demo

# %%
#| export
import numpy as np

# %%
#| export
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * np.asarray(x)
    ### END SOLUTION
'''

TESTS = '''\
import numpy as np
from tinytorch.core.demo import double
from tito.testing import shared


def test_double_of_three_is_six():
    assert double(3) == 6


def test_double_of_a_range():
    x = np.arange(-3.0, 4.0)
    got = double(x)
    assert np.array_equal(got, 2 * x)   # the expected values come from x after the call


def test_double_against_values_the_tests_share():
    x = np.linspace(-1.0, 1.0, 5)
    (want,) = shared("demo-double", lambda: (2 * x,))
    assert np.array_equal(double(x), want)


def test_double_of_what_a_lazy_import_gives():
    try:   # a module imported at a test's first use of it, as the tests import PyTorch
        import tt_lazy_probe  # noqa: F401
    except ImportError:
        pass
    assert double(0.5) == 1.0


def test_double_keeps_shape():
    assert double(np.ones((2, 3))).shape == (2, 3)
'''

STUB = '    raise NotImplementedError("double: not implemented yet")\n'
ZEROS = "    return np.zeros_like(np.asarray(x, dtype=float))\n"
SOLUTION = "    return 2 * np.asarray(x)\n"

FORGE_RESULTS = (   # what a planted module does if the judge ever imports it: every test passed
    "import tito.grading.plugin as _p\n"
    "_orig = _p.results\n"
    "_p.results = lambda: dict(_orig(), "
    "outcomes={k: {'outcome': 'passed', 'message': ''} for k in _orig()['points']})\n")


def at_import(code: str):
    return lambda edition: edition.replace("import numpy as np\n", "import numpy as np\n" + code, 1)


def body(code: str):
    return lambda edition: edition.replace(STUB, code)


# name -> (how it is made from the untouched edition, what its honest content earns: "edition" or "zeros")
ATTACKS = {
    # -- the verdict's own machinery ---------------------------------------------------------------
    "results_file": (at_import(
        "import atexit, glob, json, os\n"
        "def _forge():\n"
        "    for path in glob.glob('/tmp/tt-attacks-*/**/*.json', recursive=True):\n"
        "        try:\n"
        "            data = json.load(open(path))\n"
        "            data['outcomes'] = {k: {'outcome': 'passed', 'message': ''} for k in data.get('points', {})}\n"
        "            json.dump(data, open(path, 'w'))\n"
        "        except Exception:\n"
        "            pass\n"
        "atexit.register(_forge)\n"), "edition"),
    "pytest_hooks": (at_import(
        "try:\n"
        "    import _pytest.runner, _pytest.reports\n"
        "    _pytest.reports.TestReport.passed = property(lambda self: True)\n"
        "except ImportError:\n"
        "    pass\n"), "edition"),
    "numpy_comparisons": (at_import(
        "np.array_equal = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"), "edition"),
    "fake_summary": (at_import("print('=== 5 passed in 0.01s ===')\n"), "edition"),
    "exit_at_import": (at_import("import os\nos._exit(0)\n"), "edition"),
    "forged_protocol": (at_import(
        "import tito.grading.worker as _w\n"
        "from tito.grading.wire import send as _send\n"
        "def _serve(self, header, buffers):\n"
        "    _send(self.wfd, {'r': header.get('q'), 'v': True}, [])\n"
        "_w.Worker.serve = _serve\n"), "edition"),
    "always_equal": (body(
        "    class Liar(np.ndarray):\n"
        "        def __eq__(self, other):\n            return True\n"
        "    return np.zeros(1).view(Liar)\n"), "edition"),
    "base_exceptions": (body("    raise KeyboardInterrupt\n"), "edition"),
    "deep_value": (body("    v = 0.0\n    for _ in range(100000):\n        v = [v]\n    return v\n"), "edition"),
    "kills_its_judge": (at_import("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"), "edition"),
    "kills_tito_grade": (at_import(
        "import os, signal\n"
        "for _pid in os.listdir('/proc'):\n"
        "    try:\n"
        "        _line = open(f'/proc/{_pid}/cmdline', 'rb').read()\n"
        "        if b'tito' in _line and b'grade' in _line:\n"
        "            os.kill(int(_pid), signal.SIGKILL)\n"
        "    except (OSError, ValueError):\n"
        "        pass\n"), "edition"),
    # -- issue of arrays lent: the judge's input zeroed in place, zeros returned --------------------
    "zero_inputs": (body("    if isinstance(x, np.ndarray):\n        x[...] = 0\n"
                         "    return np.zeros_like(np.asarray(x, dtype=float))\n"), "zeros"),
    # -- what the grader knows: tito itself, the shared values, the solutions ----------------------
    "imports_tito": (body("    import tito.testing\n    return 2 * np.asarray(x)\n"), "edition"),
    "reads_solution": (body(
        "    import glob\n"
        "    for path in glob.glob('/tmp/tt-attacks-*/**/01_demo/demo_dev.py', recursive=True):\n"
        "        try:\n"
        "            if 'return 2 *' in open(path).read():\n"
        "                return 2 * np.asarray(x)\n"
        "        except OSError:\n"
        "            pass\n" + STUB), "edition"),
    # -- a file the judge imports: planted on every folder it could have on its path ---------------
    "judge_imports": (at_import(
        "import glob, os, sys, site\n"
        "_code = " + repr(FORGE_RESULTS) + "\n"
        "_places = {os.getcwd(), os.path.expanduser('~'), '/tmp'}\n"
        "_places.update(glob.glob(os.path.join(os.getcwd(), '..', '*')))\n"
        "_places.update(glob.glob('/tmp/tt-attacks-*/**/01_demo/tests', recursive=True))\n"
        "_places.add(site.getusersitepackages())\n"
        "try:   # the judge's own settings, readable to a process of the same user\n"
        "    for _item in open(f'/proc/{os.getppid()}/environ', 'rb').read().split(b'\\0'):\n"
        "        _places.update(p for p in _item.decode(errors='replace').partition('=')[2].split(os.pathsep) "
        "if p.startswith('/'))\n"
        "except OSError:\n"
        "    pass\n"
        "_places.update(glob.glob(os.path.join(os.getcwd(), '..', '..', '*', '*')))\n"
        "for _place in _places:\n"
        "    try:\n"
        "        os.makedirs(_place, exist_ok=True)\n"
        "        open(os.path.join(_place, 'tt_lazy_probe.py'), 'w').write(_code)\n"
        "        open(os.path.join(_place, 'colorsys.py'), 'w').write(_code)\n"
        "    except OSError:\n"
        "        pass\n"), "edition"),
    # -- one submission against another: what they are judged against, their files ---------------
    "poisons_shared_files": (at_import(
        "import glob, os\n"
        "for _path in glob.glob(os.path.join(os.getcwd(), '..', '..', '**', '*'), recursive=True):\n"
        "    if os.path.isfile(_path) and not _path.endswith(('.py', '.log')):\n"
        "        try:\n"
        "            open(_path, 'wb').write(b'\\0' * os.path.getsize(_path))\n"
        "        except OSError:\n"
        "            pass\n"), "edition"),
    "rewrites_tests": (at_import(
        "import glob\n"
        "for _path in glob.glob('/tmp/tt-attacks-*/**/01_demo/tests/test_*.py', recursive=True):\n"
        "    try:\n"
        "        open(_path, 'w').write('def test_nothing():\\n    pass\\n')\n"
        "    except OSError:\n"
        "        pass\n"), "edition"),
    "raises_another": (at_import(
        "import glob\n"
        "for _path in glob.glob('/tmp/tt-attacks-*/**/zz_*.py', recursive=True):\n"
        "    try:\n"
        "        _text = open(_path).read()\n"
        "        open(_path, 'w').write(_text.replace("
        "'    raise NotImplementedError(\"double: not implemented yet\")', '    return 2 * np.asarray(x)'))\n"
        "    except OSError:\n"
        "        pass\n"), "edition"),
}
HONEST = {"edition": 0.0, "zeros": 10.0}   # the most each honest content may earn
# The attacks on the judge's own machinery do not depend on the sandbox: the first mode grades them.
ONCE = {"results_file", "pytest_hooks", "numpy_comparisons", "fake_summary", "exit_at_import", "forged_protocol",
        "always_equal", "base_exceptions", "deep_value"}


def _world_path(path: Path) -> None:
    """Make every folder above `path` passable by anyone (they are the test's own folders)."""
    for folder in [path, *path.parents]:
        if folder == Path("/") or folder == Path(tempfile.gettempdir()):
            break
        folder.chmod(folder.stat().st_mode | 0o755)


def _blocked(path: Path) -> tuple[Path, Path] | None:
    """The first folder above `path` others may not pass (as /root), and its child on the way."""
    parts = Path(os.path.realpath(path)).parts
    for depth in range(1, len(parts) - 1):
        folder = Path(*parts[:depth + 1])
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder, Path(*parts[:depth + 2])
    return None


def run_as_nobody(uid: int, root: Path, home: Path, args: list[str], extra: dict) -> subprocess.CompletedProcess:
    """tito as user `uid` (no account), on a checkout it cannot write, with a folder of root's it cannot read."""
    env = ["PATH=/usr/bin:/bin", f"HOME={home}", f"TINYTORCH_ROOT={root}", "COLUMNS=200", "NO_COLOR=1",
           *(f"{k}={v}" for k, v in extra.items())]
    tito_parent = Path(__import__("tito").__file__).resolve().parents[1]
    command = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "env", "-i", *env,
               sys.executable, "-m", "tito", *args]
    # The installation must be readable to this user: where a folder above it is not (a
    # Python installed under /root), that folder becomes, for this run only, one that holds
    # the installation and a folder of root's nobody else may read.
    script, stash = [], Path(tempfile.mkdtemp(prefix="tt-stash-"))
    for needed in {Path(sys.executable).resolve(), Path(sys.prefix).resolve(), tito_parent}:
        blocked = _blocked(needed)
        if blocked and not any(str(blocked[1]) in line for line in script):
            folder, child = blocked
            keep = stash / str(len(script))
            keep.mkdir()
            script += [f"mount --bind '{child}' '{keep}'", f"mount -t tmpfs -o mode=0755 tmpfs '{folder}'",
                       f"mkdir -p '{child}' '{folder}/private' && chmod 700 '{folder}/private'",
                       f"mount --bind '{keep}' '{child}'", f"mount -o remount,bind,ro '{child}'"]
    if script:
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   " && ".join(script) + ' && exec "$0" "$@"', *command]
    try:
        return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=900)
    finally:
        shutil.rmtree(stash, ignore_errors=True)


def run_here(root: Path, args: list[str], extra: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ, TINYTORCH_ROOT=str(root), COLUMNS="200", NO_COLOR="1", **extra)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-m", "tito", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=900)


def _modes() -> list[str]:
    """Every grading mode this machine runs: isolated as root, and as a user who is not root,
    isolated by a user namespace where the kernel gives one, and with limits only."""
    modes = ["root"] if sandbox.probe().isolated and not sandbox.probe().as_user else []
    if os.geteuid() == 0:
        return modes + (["not root", "not root, limits only"] if shutil.which("setpriv") else [])
    return (["not root"] if sandbox.probe().isolated else []) + ["not root, limits only"]


@pytest.fixture(scope="module")
def submissions():
    """A checkout with the demo module (readable by everyone, writable by root only) and the catalogue."""
    base = Path(tempfile.mkdtemp(prefix="tt-attacks-"))
    _world_path(base)
    root = base / "checkout"
    module = root / "assignments" / "source" / "01_demo"
    (module / "tests").mkdir(parents=True)
    (root / "tinytorch" / "core").mkdir(parents=True)
    (root / "tinytorch" / "__init__.py").write_text("")
    (root / "tinytorch" / "core" / "__init__.py").write_text("")
    (module / "demo_dev.py").write_text(DEV)
    (module / "tests" / "test_demo.py").write_text(TESTS)
    (module / "module.yaml").write_text("title: Demo\n")
    edition = DEV.replace("    ### BEGIN SOLUTION\n" + SOLUTION + "    ### END SOLUTION\n", STUB)
    subs = base / "subs"
    subs.mkdir()
    cases = {"a_reference": (DEV, 100.0), "b_edition": (edition, 0.0), "c_zeros": (edition.replace(STUB, ZEROS), 10.0)}
    cases.update({f"d_{name}": (make(edition), HONEST[honest]) for name, (make, honest) in ATTACKS.items()})
    cases["zz_edition_after_the_others"] = (edition, 0.0)   # what raises_another rewrites, if it can
    cases["zz_zeros_after_the_others"] = (edition.replace(STUB, ZEROS), 10.0)
    for name, (text, _) in cases.items():
        (subs / f"{name}.py").write_text(text)
    (subs / "e_symlinked").symlink_to(module)
    yield root, subs, {**{n: most for n, (_, most) in cases.items()}, "e_symlinked": 0.0}
    shutil.rmtree(base, ignore_errors=True)


def _paths(subs: Path, mode: str) -> list[str]:
    """The whole catalogue in the first mode; in the others, the attacks whose outcome depends on the mode."""
    first = mode == _modes()[0]
    paths = sorted(str(p) for p in subs.glob("*.py") if first or p.stem.removeprefix("d_") not in ONCE)
    return paths + [str(subs / "e_symlinked" / "demo_dev.py")]


def as_nobody(work: Path, subs: Path) -> tuple[int, Path]:
    """A throwaway user id, its HOME, and the submissions made its own files (as an instructor's are)."""
    uid = 1_400_000 + os.getpid() % 50_000
    home = work / "home"
    home.mkdir()
    for path in [work, home, subs, *subs.iterdir()]:
        os.chown(path, uid, uid, follow_symlinks=False)
    return uid, home


def grade(mode: str, root: Path, work: Path, subs: Path, args: list[str]) -> subprocess.CompletedProcess:
    limits = {"TINYTORCH_GRADE_SANDBOX": "limits"} if "limits" in mode else {}
    if mode == "root":
        return run_here(root, [*args, "--jobs", "2"], limits)
    uid, home = as_nobody(work, subs)
    done = run_as_nobody(uid, root, home, args, limits)
    for _ in range(40):   # a process killed a moment ago may still be ending
        leftover = [p for p in Path("/proc").glob("[0-9]*") if _alive(p, uid)]
        if not leftover:
            break
        time.sleep(0.5)
    assert not leftover, f"a process of the submissions outlived grading: {[_cmdline(p) for p in leftover]}"
    return done


@pytest.mark.parametrize("mode", _modes())
def test_every_attack_scores_what_its_honest_content_earns(submissions, mode):
    root, catalogue, most = submissions
    work = Path(tempfile.mkdtemp(prefix="tt-attacks-run-"))
    unreadable = Path(tempfile.mkdtemp(prefix="tt-unreadable-"))   # 0700, root's: grading passes it over
    try:
        _world_path(work)
        subs = work / "subs"
        shutil.copytree(catalogue, subs, symlinks=True)
        paths = _paths(subs, mode)
        if "limits" in mode:   # there it can kill tito grade itself: the test below
            paths.remove(str(subs / "d_kills_tito_grade.py"))
        gradebook = work / "grades.csv"
        done = grade(mode, root, work, subs, ["grade", "-m", "demo", *paths, "--timeout", "120", "--memory", "1024",
                                              "--json", "--csv", str(gradebook)])
        assert ("sandbox: limits only" if "limits" in mode else "sandbox: isolated") in done.stderr, done.stderr
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
        rows = {_name(r["submission"]): r for r in json.loads(done.stdout)}
        book = {_name(r["submission"]): r for r in csv.DictReader(gradebook.open())}
        assert book.keys() == rows.keys() == {_name(p) for p in paths}, "the gradebook has a row for every submission"
        scores = {name: row["score"] for name, row in rows.items()}
        assert scores["a_reference"] == 100 and scores["b_edition"] == 0, scores
        assert rows["e_symlinked"]["status"] == "error" and "symbolic link" in rows["e_symlinked"]["reason"]
        for name, score in scores.items():
            if "limits" in mode and name in ("d_imports_tito", "d_reads_solution"):
                continue   # it reads what the grading user reads, so it can copy right answers (--help says so)
            assert score <= most[name], (mode, name, rows[name]["reason"], rows[name]["failures"][:2])
        assert scores["zz_zeros_after_the_others"] == scores["c_zeros"], "no submission changed another's grade"
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(unreadable, ignore_errors=True)


@pytest.mark.skipif("not root, limits only" not in _modes(), reason="needs grading without isolation")
def test_without_isolation_a_submission_that_kills_tito_grade_leaves_every_finished_row(submissions):
    """There a submission runs as the grading user and can kill tito grade itself; the gradebook,
    written as each row is done, keeps every row before it and names the others."""
    root, catalogue, _ = submissions
    work = Path(tempfile.mkdtemp(prefix="tt-attacks-run-"))
    try:
        _world_path(work)
        subs = work / "subs"
        subs.mkdir()
        for name in ("a_reference", "d_kills_tito_grade", "zz_edition_after_the_others"):
            shutil.copy(catalogue / f"{name}.py", subs)
        gradebook = work / "grades.csv"
        done = grade("not root, limits only", root, work, subs,
                     ["grade", "-m", "demo", *sorted(map(str, subs.iterdir())), "--csv", str(gradebook)])
        assert done.returncode != 0
        rows = [(r["status"], r["score"], r["reason"]) for r in csv.DictReader(gradebook.open())]
        assert rows == [("graded", "100.0", ""), ("error", "0.0", "not graded: tito grade was stopped"),
                        ("error", "0.0", "not graded: tito grade was stopped")], rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _name(submission: str) -> str:
    return "e_symlinked" if "e_symlinked" in submission else Path(submission).stem


def _alive(proc: Path, uid: int) -> bool:
    """Whether `proc` is a running process (not a zombie) of user `uid`."""
    try:
        return proc.stat().st_uid == uid and (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return ""
