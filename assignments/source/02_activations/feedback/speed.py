"""Measuring how fast the package's activations run, next to the floor and PyTorch.

An elementwise activation streams its input once and writes its output once, so its
physical floor is the time of a memory copy: `np.copyto` into a preallocated array of
the same dtype and size. Each timing here is the median of repeats, in nanoseconds per
element, and is reported as a ratio to that floor (measured in the same run, so machine
speed cancels) and to PyTorch on one thread, allocating its output as TinyTorch does.

What runs is whatever `tinytorch.core.activations` holds: the reference or a learner's
own code. Forward goes through the public API (a Tensor in, a new Tensor out); backward
is the class's `backward(grad_output)` after one `forward`.
"""
from __future__ import annotations

import gc
import importlib
import tracemalloc
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from activation_oracle.specs import SPECS
from tito.bench import median_seconds

ROW = 1000                # softmax and log_softmax work on rows of this length
SCRATCH_BYTES = 4 << 20   # "cache-sized": the most extra memory an elementwise forward may use
SMALL = 1000              # at this size the per-call cost is compared with PyTorch
SMALL_TORCH_TARGET = 3.0


@dataclass(frozen=True)
class Case:
    """One activation to time: how to call ours and PyTorch's, and the targets it should meet.

    Targets are the most the ratio may be at 1e7 elements against single-thread PyTorch:
    `torch` for the forward (the public function), `backward` for the class's backward
    against PyTorch's own backward kernel (torch.ops.aten.*_backward).
    """

    name: str
    function: str
    torch_backward: Callable      # (aten ops, grad, x, y, params) -> the gradient, as autograd computes it
    kwargs: dict = field(default_factory=dict)  # beyond the spec's defaults
    torch: float | None = 1.5
    backward: float | None = 2.0

    @property
    def cls(self) -> str:
        """The layer class, from the spec (activation_oracle.specs)."""
        return SPECS[self.function].cls

    @property
    def params(self) -> dict:
        """Every keyword argument: the spec's defaults, then `kwargs`."""
        return {**SPECS[self.function].defaults, **self.kwargs}

    def torch_forward(self, torch, x):
        """PyTorch's functional form with the same keyword arguments."""
        return getattr(torch.nn.functional, self.function)(x, **self.params)

    @property
    def rows(self) -> bool:
        """Row-wise (the spec says): input shaped (n / ROW, ROW), softmax over the last axis."""
        return SPECS[self.function].rowwise


ACTIVATIONS = [
    Case("relu", "relu", lambda aten, g, x, y, p: aten.threshold_backward(g, x, 0)),
    Case("leaky_relu", "leaky_relu",
         lambda aten, g, x, y, p: aten.leaky_relu_backward(g, x, p["negative_slope"], False)),
    Case("tanh", "tanh", lambda aten, g, x, y, p: aten.tanh_backward(g, y)),
    Case("sigmoid", "sigmoid", lambda aten, g, x, y, p: aten.sigmoid_backward(g, y)),
    Case("silu", "silu", lambda aten, g, x, y, p: aten.silu_backward(g, x), backward=2.5),
    Case("elu", "elu", lambda aten, g, x, y, p: aten.elu_backward(g, p["alpha"], 1.0, 1.0, False, x)),
    Case("softplus", "softplus", lambda aten, g, x, y, p: aten.softplus_backward(g, x, p["beta"], p["threshold"])),
    Case("gelu(tanh)", "gelu", lambda aten, g, x, y, p: aten.gelu_backward(g, x, approximate=p["approximate"]),
         kwargs={"approximate": "tanh"}, torch=2.0, backward=3.0),
    Case("gelu", "gelu", lambda aten, g, x, y, p: aten.gelu_backward(g, x, approximate=p["approximate"]),
         torch=12.0),
    Case("softmax", "softmax", lambda aten, g, x, y, p: aten._softmax_backward_data(g, y, p["dim"], y.dtype)),
    Case("log_softmax", "log_softmax",
         lambda aten, g, x, y, p: aten._log_softmax_backward_data(g, y, p["dim"], y.dtype)),
]


# ---- the benchmark ----------------------------------------------------------------------

def extra_memory(call: Callable) -> tuple[int, object]:
    """Peak bytes a call allocates beyond the array it returns (numpy reports to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    returned = getattr(getattr(result, "data", result), "nbytes", 0)
    return max(0, peak - before - returned), result


def _input(case: Case, n: int, dtype, seed: int) -> np.ndarray:
    x = (np.random.default_rng(seed).standard_normal(n) * 3).astype(dtype)
    if case.rows:
        return x.reshape(-1, ROW) if n >= ROW and n % ROW == 0 else x.reshape(1, n)
    return x


def _failure(error: BaseException) -> str:
    if isinstance(error, NotImplementedError):
        return "not implemented"
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    return "error: " + (text if len(text) <= 70 else text[:67] + "...")


def _ratios(ours: float, floor: float, theirs: float | None, n: int) -> dict:
    return {
        "ns_per_element": ours / n * 1e9,
        "us_per_call": ours * 1e6,
        "x_copy": ours / floor,
        "torch_ns_per_element": None if theirs is None else theirs / n * 1e9,
        "x_torch": None if theirs is None else ours / theirs,
    }


def _targets(case: Case, n: int, forward: dict | None, backward: dict | None, extra: float | None) -> list:
    """The targets that apply at this size, each with its measured value and whether it holds."""
    wanted = []
    if forward and n == 10**7 and case.torch is not None and forward["x_torch"] is not None:
        wanted.append(("forward x torch", case.torch, forward["x_torch"]))
    if forward and n == SMALL and forward["x_torch"] is not None:
        wanted.append(("forward x torch", SMALL_TORCH_TARGET, forward["x_torch"]))
    if backward and n == 10**7 and case.backward is not None and backward["x_torch"] is not None:
        wanted.append(("backward x torch", case.backward, backward["x_torch"]))
    if extra is not None and not case.rows and n >= 10**6:
        wanted.append(("extra bytes", SCRATCH_BYTES, extra))
    return [{"what": what, "limit": limit, "value": value, "met": bool(value <= limit)}
            for what, limit, value in wanted]


def bench_case(case: Case, module, n: int, dtype, repeats: int, floor: float, torch=None) -> dict:
    """Forward and backward timings of one activation at one size, with ratios and memory."""
    Tensor = module.Tensor if hasattr(module, "Tensor") else importlib.import_module("tinytorch.core.tensor").Tensor
    x = _input(case, n, dtype, seed=0)
    g = _input(case, n, dtype, seed=1)
    row = {"activation": case.name, "status": "ok", "forward": None, "backward": None,
           "backward_status": None, "extra_bytes": None, "extra_x_input": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            xt, gt = Tensor(x), Tensor(g)
            function = getattr(module, case.function)
            forward = lambda: function(xt, **case.kwargs)  # noqa: E731
            extra, _ = extra_memory(forward)
        except Exception as error:  # a learner's stub or bug: report it, keep benchmarking
            row["status"] = _failure(error)
            row["targets"] = []
            return row
        row["extra_bytes"], row["extra_x_input"] = extra, extra / x.nbytes
        calls = [forward]
        if torch is not None:
            tx, tg = torch.from_numpy(x), torch.from_numpy(g)
            calls.append(lambda: case.torch_forward(torch, tx))
        times = median_seconds(calls, repeats)
        row["forward"] = _ratios(times[0], floor, times[1] if torch is not None else None, n)

        try:
            layer = getattr(module, case.cls)(**case.kwargs)
            layer.forward(xt)
            backward = lambda: layer.backward(gt)  # noqa: E731
            backward()
        except Exception as error:
            row["backward_status"] = _failure(error)
        else:
            row["backward_status"] = "ok"
            calls = [backward]
            if torch is not None:
                ty = case.torch_forward(torch, tx)
                aten = torch.ops.aten
                calls.append(lambda: case.torch_backward(aten, tg, tx, ty, case.params))
            times = median_seconds(calls, repeats)
            row["backward"] = _ratios(times[0], floor, times[1] if torch is not None else None, n)
    row["targets"] = _targets(case, n, row["forward"], row["backward"], row["extra_bytes"])
    return row


def copy_floor(n: int, dtype, repeats: int) -> float:
    """Seconds for `np.copyto` of n elements into a preallocated array."""
    src = _input(ACTIVATIONS[0], n, dtype, seed=0)
    dst = np.empty_like(src)
    return median_seconds([lambda: np.copyto(dst, src)], 2 * repeats)[0]


def run_benchmarks(module, cases: list[Case], sizes: list[int], dtype, repeats: int,
                   torch=None, on_step: Callable[[str], None] = lambda what: None) -> list[dict]:
    """Every case at every size: one dict per size holding the floor and one row per case."""
    results = []
    for n in sizes:
        on_step(f"copy floor, {n:,} elements")
        floor = copy_floor(n, dtype, repeats)
        rows = []
        for case in cases:
            on_step(f"{case.name}, {n:,} elements")
            rows.append(bench_case(case, module, n, dtype, repeats, floor, torch))
        results.append({"elements": n, "copy_floor_ns_per_element": floor / n * 1e9,
                        "copy_floor_us_per_call": floor * 1e6, "rows": rows})
    return results
