"""What every module's benchmarks share: a median timing and PyTorch on one thread.

A module's cases, targets and tables live in its own folder (its feedback provider,
see `tito.offers`); timings there are reported as ratios measured in the same run
(to a memory copy, to PyTorch), so the machine's speed cancels.
"""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

from tito import HIDE_TORCH_ENV, TORCH_INSTALL, torch_is_hidden

MIN_REPEAT_SECONDS = 0.01  # each repeat loops over a call for at least this long


def _loops_for(call: Callable) -> int:
    """How many calls make one repeat last at least MIN_REPEAT_SECONDS."""
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(MIN_REPEAT_SECONDS / once) + 1)


def _one_repeat(call: Callable, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        call()
    return (time.perf_counter() - start) / loops


def median_seconds(calls: list[Callable], repeats: int) -> list[float]:
    """Median seconds per call of each call, their repeats interleaved so drift hits all alike."""
    from tito import watchdog

    watchdog.progress()  # each timing is a step of its own for the time limit
    loops = [_loops_for(call) for call in calls]
    samples: list[list[float]] = [[] for _ in calls]
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for call, n, found in zip(calls, loops, samples):
                found.append(_one_repeat(call, n))
    finally:
        if enabled:
            gc.enable()
    return [statistics.median(found) for found in samples]


def load_torch():
    """(torch, None) set to one thread, or (None, why it is not there)."""
    from tito import watchdog

    try:
        with watchdog.time_limit(None):  # seconds of importing torch are not the learner's
            import torch
    except ImportError:
        if torch_is_hidden():
            return None, f"PyTorch is hidden ({HIDE_TORCH_ENV}=1): no comparison"
        return None, f"PyTorch is not installed: no comparison ({TORCH_INSTALL})"
    watchdog.progress()  # nor in a child process under a limit
    torch.set_num_threads(1)
    return torch, None


def run_in_child(command: list[str], module: str, ctx) -> object:
    """A module's measurement run as `command` in a child process on one BLAS thread, under the
    command's time limit: the JSON its last printed line holds. A clear TitoError when it
    stops or fails."""
    import json
    import os

    from tito import children
    from tito.console import TitoError
    from tito.offers import stopped

    done = children.run(command, env=dict(os.environ, **children.ONE_THREAD), capture=True, timeout=ctx.timeout)
    if done.timed_out:
        raise stopped("tito bench", module, ctx.timeout, done.stuck_at)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0:
        raise TitoError(f"the {module} benchmark failed: {lines[-1] if lines else 'no output'}",
                        hint=f"run `tito test {module}` first")
    return json.loads(lines[-1])


def measure_in_child(module: str, ctx) -> object:
    """`measure(dtype, repeats)` of the module's feedback, run by run_in_child."""
    import sys

    code = ("import sys, json; sys.path.pop(0); import tito.watchdog; tito.watchdog.arm(); "
            "from tito.offers import feedback_module; "
            f"print(json.dumps(feedback_module({module!r}).measure({ctx.dtype!r}, {int(ctx.repeats)})))")
    return run_in_child([sys.executable, "-c", code], module, ctx)


def ratio_check(name: str, ours: float, theirs: float | None, target: float, missing: str,
                unit: str = "ms", digits: int = 0):
    """A card's check of TinyTorch's seconds against PyTorch's (None: not there, `missing` says why)."""
    from tito.card import INFO, PASS, WARN, Check

    scale = {"ms": 1e3, "us": 1e6}[unit]
    mine = f"{ours * scale:.{digits}f} {unit}"
    if theirs is None:
        return Check(name, INFO, f"{mine}; {missing}")
    ratio = ours / theirs
    return Check(name, PASS if ratio <= target else WARN,
                 f"{mine}, PyTorch {theirs * scale:.{digits}f} {unit}: {ratio:.2f}x (target <= {target:g}x)")
