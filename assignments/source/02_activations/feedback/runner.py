"""Running the checks of every activation, each guarded, so one bad function hides nothing.

Each activation is measured in its own worker process (forked, so objects defined in a
notebook work too). Inside it every call into the learner's code has a time limit
(`probe.Implementation`); around it the parent stops a worker that goes silent for too
long. Checks stream back one by one, so a worker stopped half-way still reports what
it measured. Where fork is not available (Windows), everything runs in this process,
one function after the other, without the outer limit.

The exact reference values are computed (or loaded from the disk cache) in the worker
before the clock starts: a first run may spend a few seconds there, later runs none.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from tito import children
from tito.watchdog import time_limit

from . import measure as m
from .functions import Activation
from .notes import preload_torch
from .probe import Broken, Implementation, Missing, Problem, describe_exception

PACKAGE = "tinytorch.core.activations"
DEFAULT_TIMEOUT = 10.0  # seconds for one call into the learner's code


@dataclass
class Source:
    """Where the implementations come from.

    - `namespace`: a dict of names (a notebook's `globals()`) or a module; None imports
      `module` (the package) inside the worker;
    - `objects`: row name -> an object with forward/backward (or its class), which
      replaces the namespace's class for that row (`check_activation(name, impl)`).
    """

    namespace: object = None
    objects: dict = field(default_factory=dict)
    module: str = PACKAGE

    def describe(self) -> str:
        if self.namespace is None:
            return self.module
        return getattr(self.namespace, "__name__", "your notebook")


def _namespace(source: Source) -> dict:
    if source.namespace is None:
        try:
            module = importlib.import_module(source.module)
        except ModuleNotFoundError as exc:
            if exc.name and source.module.startswith(exc.name):
                raise Missing(f"{source.module} does not exist yet: run `tito sync`") from None
            raise Broken(f"importing {source.module} failed: {describe_exception(exc)}") from None
        except NotImplementedError as exc:
            raise Missing(f"importing {source.module} raised NotImplementedError: {exc}") from None
        except BaseException as exc:  # a syntax error or a crash at import time
            raise Broken(f"importing {source.module} failed: {describe_exception(exc)}") from None
        return vars(module)
    if isinstance(source.namespace, dict):
        return source.namespace
    return vars(source.namespace)


def _tensor_type(namespace: dict, obj=None):
    """The Tensor class the implementation expects."""
    if obj is not None:
        home = sys.modules.get(type(obj).__module__)
        if home is not None and hasattr(home, "Tensor"):
            return home.Tensor
    if "Tensor" in namespace:
        return namespace["Tensor"]
    try:
        return importlib.import_module("tinytorch.core.tensor").Tensor
    except Exception as exc:
        raise Broken(f"no Tensor class to call it with: {describe_exception(exc)}") from None


def load(a: Activation, source: Source, timeout: float | None) -> Implementation:
    """The `Implementation` of row `a` (Missing/Broken when it cannot be built).

    A namespace that lacks the class (a notebook that defines only some of them) falls
    back to the package.
    """
    explicit = source.objects.get(a.name)
    if explicit is not None:
        namespace = {} if source.namespace is None else _namespace(source)
        made = _construct(explicit, a) if isinstance(explicit, type) else explicit
        return Implementation(f"{type(made).__name__}", made, _tensor_type(namespace, made),
                              None, a.params, timeout)
    namespace = _namespace(source)
    if not isinstance(namespace.get(a.cls), type) and source.namespace is not None:
        namespace = _namespace(Source(module=source.module))
    cls = namespace.get(a.cls)
    if cls is None:
        raise Missing(f"{source.module if source.namespace is None else 'the package'} has no class {a.cls}")
    made = _construct(cls, a)
    function = namespace.get(a.function)
    return Implementation(a.constructor, made, _tensor_type(namespace, made),
                          function if callable(function) else None, a.params, timeout)


def _construct(cls, a: Activation):
    try:
        return cls(**a.params)
    except NotImplementedError as exc:
        raise Missing(f"{a.constructor} raises NotImplementedError: {exc}") from None
    except Exception as exc:
        raise Broken(f"{a.constructor} raised {describe_exception(exc)}") from None


def _all_failed(a: Activation, dtype, problem: Problem) -> m.Result:
    """A row whose implementation could not even be built: every check says why."""
    result = m.Result(a.name, a.title, str(dtype))
    for name, _ in m.checks_that_count(a):
        result.checks.append(m.problem_check(name, problem))
    return result


def measure_one(a: Activation, source: Source, dtype, timeout: float | None,
                curves: bool = False, on_ready=None, on_check=None, checks: bool = True) -> m.Result:
    """Load, then measure one activation, in this process."""
    ref = m.reference(a, dtype)
    if on_ready is not None:
        on_ready()
    try:
        impl = load(a, source, timeout)
    except Problem as problem:
        result = _all_failed(a, ref.dtype.name, problem) if checks else m.Result(a.name, a.title, ref.dtype.name)
        result.curves = {"problem": problem.reason} if curves else {}
        return result
    return m.measure(a, impl, ref, curves=curves, on_check=on_check, checks=checks)


# ----------------------------------------------------------------------------
# Worker processes
# ----------------------------------------------------------------------------

def _worker(conn, a, source, dtype, timeout, curves, checks) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the learner's prints must not mix with the report (or --json)
    sys.stdout = open(os.devnull, "w")
    try:
        result = measure_one(a, source, dtype, timeout, curves,
                             on_ready=lambda: conn.send(("ready", None)),
                             on_check=lambda check: conn.send(("check", check)), checks=checks)
        conn.send(("done", result))
    except BaseException as exc:  # our own bug: report it rather than hang the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class _Job:
    activation: Activation
    process: object
    conn: object
    checks: list = field(default_factory=list)
    deadline: float | None = None
    result: m.Result | None = None


def _stopped(job: _Job, dtype, why: str) -> m.Result:
    """The row of a worker stopped (or dead) before it finished: keep what it reported."""
    a = job.activation
    result = m.Result(a.name, a.title, str(dtype), list(job.checks))
    done = {c.name for c in job.checks}
    pending = [name for name, _ in m.checks_that_count(a) if name not in done]
    for i, name in enumerate(pending):
        reason = why if i == 0 else f"not run: {why.split(':')[0]}"
        result.checks.append(m.Check(name, m.group_of(name), m.FAIL, reason, value="timeout" if i == 0 else "not run"))
    return result


def _fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def run(activations: list[Activation], source: Source, dtype="float32",
        timeout: float | None = DEFAULT_TIMEOUT, curves: bool = False, isolate: bool = False,
        jobs: int | None = None, on_result=None, checks: bool = True) -> list[m.Result]:
    """Measure every activation; results in the order given.

    `isolate`: each activation in its own worker process, in parallel (what `tito check`
    and `tito plot` do); otherwise in this process, still with the per-call time limit.
    """
    if checks:
        preload_torch()  # the notes compare signs of zero with PyTorch's
    if not isolate or not _fork_available():
        results = []
        for a in activations:
            with contextlib.redirect_stdout(io.StringIO()):
                results.append(measure_one(a, source, dtype, timeout, curves, checks=checks))
            if on_result:
                on_result(results[-1])
        return results
    with time_limit(None):  # the workers have limits of their own; this process only waits
        return _run_isolated(activations, source, dtype, timeout, curves, jobs, on_result, checks)


def _run_isolated(activations, source, dtype, timeout, curves, jobs, on_result, checks) -> list[m.Result]:
    context = multiprocessing.get_context("fork")
    # A whole function normally takes well under a second; the per-call limit stops a
    # Python-level loop. This outer limit catches the rest (a loop that swallows it).
    hard_limit = max(5.0, 8 * (timeout or DEFAULT_TIMEOUT))
    jobs = max(1, jobs or children.cores())
    waiting = list(activations)
    running: list[_Job] = []
    finished: dict[str, m.Result] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    while waiting or running:
        while waiting and len(running) < jobs:
            a = waiting.pop(0)
            parent, child = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(child, a, source, dtype, timeout, curves, checks),
                                      daemon=True)
            process.start()
            child.close()
            running.append(_Job(a, process, parent))
        ready = wait([job.conn for job in running], timeout=0.2)
        now = time.monotonic()
        for job in list(running):
            if job.conn in ready:
                try:
                    while job.conn.poll():
                        kind, payload = job.conn.recv()
                        if kind == "ready":
                            job.deadline = time.monotonic() + hard_limit
                        elif kind == "check":
                            job.checks.append(payload)
                        elif kind == "done":
                            job.result = payload
                        elif kind == "error":
                            job.result = _stopped(job, dtype, f"could not be measured: {payload}")
                except (EOFError, OSError):
                    if job.result is None:
                        job.process.join(1)
                        job.result = _stopped(job, dtype, "the worker process died "
                                                          f"(exit code {job.process.exitcode})")
            if job.result is None and job.deadline is not None and now > job.deadline:
                job.process.kill()
                job.result = _stopped(job, dtype, f"timed out: no result within {hard_limit:g} s "
                                                  "(an endless loop?)")
            if job.result is not None:
                job.process.join(1)
                if job.process.is_alive():
                    job.process.kill()
                job.conn.close()
                running.remove(job)
                finished[job.activation.name] = job.result
                if on_result:
                    on_result(job.result)
    return [finished[a.name] for a in activations]
