"""The judge: runs a module's tests against one submission it never imports.

Started by tito grade as `python -m tito.grading.judge SPEC` (a JSON file). It makes
`tinytorch` a proxy (tito.grading.proxy) of the package a sandboxed worker imported
(tito.grading.worker), runs pytest with the grading plugin, and writes every test's
outcome to the results file in its own folder, which the worker cannot open (in isolated
mode it runs as another user; without it, as the same one: see tito.grading).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from tito.grading import proxy, sandbox


def _worker_starter(spec: dict):
    box = sandbox.Sandbox(**spec["sandbox"])
    limits = sandbox.Limits(**{k: (float("inf") if k == "timeout" and v is None else v)
                               for k, v in spec["limits"].items()})

    def start():
        to_worker_r, to_worker_w = os.pipe()
        to_judge_r, to_judge_w = os.pipe()
        argv = [sys.executable, "-m", "tito.grading.worker", str(to_worker_r), str(to_judge_w)]
        job = sandbox.Job(argv, spec["worker_env"], Path(spec["worker_folder"]), limits, spec["number"],
                          spec["hide"], spec["keep"], pass_fds=(to_worker_r, to_judge_w))
        running = sandbox.start(job, box)
        os.close(to_worker_r)
        os.close(to_judge_w)
        return running, to_judge_r, to_worker_w

    return start


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sandbox.guard_judge()
    judge = proxy.Judge(_worker_starter(spec), max_restarts=spec.get("max_restarts", 10),
                        limit_mb=spec["limits"]["memory_mb"])

    def stop(signum, frame):
        judge.close()
        sandbox.sweep()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    proxy.install(judge)
    import pytest

    from tito.grading import plugin

    try:
        status = pytest.main(spec["pytest_args"])
    finally:
        judge.close()
        sandbox.sweep()
    results = dict(plugin.results(), exitstatus=int(status), ended=judge.ended)
    tmp = Path(spec["results"] + ".tmp")
    tmp.write_text(json.dumps(results), encoding="utf-8")
    os.replace(tmp, spec["results"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
