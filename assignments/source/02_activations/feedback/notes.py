"""Notes: differences from the reference that no user of a result can notice.

The accuracy contract (activation_oracle.tolerances) is silent on the sign of a zero and on
errors below the dtype's smallest normal number, so these never fail a check. They are
still worth a line: a learner comparing with PyTorch sees `-0.0` where their code gives
`0.0` and wonders. The note has the status "info": shown, never scored.
"""
from __future__ import annotations

import sys

import numpy as np
from activation_oracle.ulp import is_normal

from .checking import Checks
from .probe import Problem
from .results import INFO, Check, fmt


def preload_torch() -> None:
    """Import PyTorch once, before the checks fork their workers (an import in each worker
    would count against its time limit); nothing happens without PyTorch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        pass


def torch_values(function: str, x: np.ndarray, params: dict):
    """PyTorch's result at x (float64 inputs stay float64), or None unless PyTorch is loaded."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    call = getattr(torch.nn.functional, function, None)
    if call is None:
        return None
    with torch.no_grad():
        return call(torch.from_numpy(np.ascontiguousarray(x)), **params).numpy()


class NoteChecks(Checks):
    def notes(self) -> Check | None:
        """Zeros whose sign differs from PyTorch's, sub-normal results off the correctly rounded
        value: one note, or None when there is nothing to say."""
        try:
            y, _ = self.standard()
        except Problem:  # the other checks say what is wrong
            return None
        ref = self.ref
        got = np.asarray(y)
        exact = ref.hi.astype(self.dtype)  # the correctly rounded result
        found = []
        theirs = torch_values(self.a.function, ref.x, self.a.params)
        zero_sign = np.zeros(got.shape, dtype=bool)
        if theirs is not None and theirs.shape == got.shape:  # the reference keeps no sign of zero: PyTorch's
            zero_sign = (got == 0) & (theirs == 0) & (np.signbit(got) != np.signbit(theirs))
        if zero_sign.any():
            i = np.unravel_index(int(np.argmax(zero_sign)), zero_sign.shape)
            count = int(zero_sign.sum())
            found.append(f"{self._x_text(i)} gives {fmt(got[i], got.dtype)}, PyTorch returns "
                         f"{fmt(theirs[i], self.dtype)} here" + (f" ({count} zeros like it)" if count > 1 else ""))
        tiny = np.isfinite(got) & ~is_normal(ref.hi, self.dtype) & (got != exact) & ~zero_sign
        if tiny.any():
            worst = float(np.max(np.abs(got[tiny].astype(np.float64) - exact[tiny].astype(np.float64))))
            found.append(f"{int(tiny.sum())} sub-normal results (below "
                         f"{fmt(np.finfo(self.dtype).smallest_normal, self.dtype)}) are off by at most {worst:.2g}")
        if not found:
            return None
        return Check("notes", "notes", INFO, "; ".join(found) + ": no user of the result can notice this",
                     value="sign of zero" if zero_sign.any() else "sub-normal",
                     details={"zero_signs": int(zero_sign.sum()), "subnormal": int(tiny.sum())})
