"""How long `tito grade` takes for a class: 50 submissions of activations with --jobs 2.

Not part of the test suite (it takes minutes). Run: python benchmarks/measure_grading.py [N] [JOBS]
The submissions are a realistic mix: complete, untouched student edition, and partly done
(a random half of the functions implemented).

Measured on a 2-core machine under heavy outside load (load average 6-10), `measure_grading.py 4 2`,
the verdict computed inside the submission's process (before) and the judge with a sandboxed
worker (tito.grading, after):
- one after the other: before 96.8 s per submission (one complete submission timed out at
  120 s), after 142 s (all four graded: 100, 100, 0, 48);
- both at the same time (the same load for both): before 85.1 s per submission with both
  complete submissions timed out at 120 s (scored 0), after 105.7 s with all four graded
  (100, 100, 0, 48); processor time of the whole run 89 s before, 225 s after.
Every call into learner code is a round trip between two processes, so the time grows with
the machine's load more than an in-process run does.
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "02_activations"
STUB = re.compile(r'^( *)raise NotImplementedError\("(.+): not implemented yet"\)$', re.M)
BLOCK = re.compile(r"^ *### BEGIN SOLUTION\n(.*?)^ *### END SOLUTION\n", re.M | re.S)


def main(count: int = 50, jobs: int = 2) -> None:
    source = (ROOT / "assignments" / "source" / MODULE / "activations_dev.py").read_text()
    sys.path.insert(0, str(ROOT))
    from tito.release import make_edition

    edition = make_edition(source, "activations_dev.py").py
    blocks = BLOCK.findall(source)
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(count):
            kind = ("complete", "edition", "partial")[i % 3]
            keep = set(range(len(blocks))) if kind == "complete" else set() if kind == "edition" else \
                set(rng.sample(range(len(blocks)), len(blocks) // 2))
            solutions = iter(enumerate(blocks))

            def fill(match, solutions=solutions, keep=keep):
                index, block = next(solutions)
                return block.rstrip("\n") if index in keep else match[0]

            path = Path(tmp, f"student{i:02d}_{kind}.py")
            path.write_text(STUB.sub(fill, edition))
            paths.append(str(path))
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "tito", "grade", "--module", MODULE, *paths,
                               "--jobs", str(jobs), "--json"], cwd=ROOT, capture_output=True, text=True)
        seconds = time.monotonic() - start
    rows = json.loads(done.stdout)
    by_kind: dict[str, list[float]] = {}
    for row in rows:
        by_kind.setdefault(Path(row["submission"]).stem.split("_")[1], []).append(row["score"])
    print(done.stderr.strip().splitlines()[0])
    print(f"{count} submissions, --jobs {jobs}: {seconds:.0f} s ({seconds / count:.1f} s per submission)")
    for kind, scores in sorted(by_kind.items()):
        print(f"  {kind:9s} n={len(scores):2d} score {min(scores):5.1f} .. {max(scores):5.1f}")
    print("statuses:", {s: sum(r["status"] == s for r in rows) for s in ("graded", "timeout", "error")})


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
