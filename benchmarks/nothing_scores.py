"""What tito grade gives, per module, to submissions that compute nothing.

Not part of the test suite (it grades every module: minutes each). Run:
    python benchmarks/nothing_scores.py [MODULE ...]
For each module: the reference solution, the untouched student edition, and the two
submissions of tests/computes_nothing.py (every solution block returning zeros of its
result, or its input), graded together by `tito grade --json` in the mode this machine
gives. Prints one line per module; a submission that computes nothing must score at most 10.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from computes_nothing import variant  # noqa: E402

from tito.modules import all_modules  # noqa: E402
from tito.release import make_edition  # noqa: E402


def scores(module, jobs: int = 2) -> dict[str, float]:
    text = module.dev_file.read_text(encoding="utf-8")
    cases = {"reference": text, "edition": make_edition(text, module.dev_file.name).py,
             "zeros": variant(text, "zeros"), "input": variant(text, "input")}
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, case in cases.items():
            path = Path(folder, f"{name}.py")
            path.write_text(case, encoding="utf-8")
            paths.append(str(path))
        done = subprocess.run([sys.executable, "-m", "tito", "grade", "-m", module.folder, *paths, "--jobs", str(jobs),
                               "--json"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{module.folder}: {done.stderr[-2000:]}")
    return {Path(r["submission"]).stem: r["score"] for r in json.loads(done.stdout)}


def main(names: list[str]) -> None:
    for module in all_modules(ROOT / "assignments" / "source"):
        if names and module.folder not in names and module.name not in names:
            continue
        start = time.monotonic()
        found = scores(module)
        print(f"{module.folder:16} " + "  ".join(f"{k} {v:5.1f}" for k, v in found.items())
              + f"  ({time.monotonic() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
