"""One record per activation: the facts the reference, the tests, tito check, plot and bench share.

Modelled on PyTorch's OpInfo: keyword fields, and everything that tests or measures an
activation reads them from here instead of keeping its own table. The exact formulas live
in `activation_oracle.reference` (keyed by `name`), the accuracy contract in
`activation_oracle.tolerances`, the property predicates in `activation_oracle.properties`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

INF = math.inf


@dataclass(frozen=True)
class Spec:
    name: str  # the function in tinytorch.core.activations
    cls: str  # its layer class
    defaults: dict = field(default_factory=dict)  # PyTorch's keyword arguments and defaults
    parameter_sets: tuple = ({},)  # parameter values worth testing (each exact in float32)
    rowwise: bool = False  # works along `dim` (softmax family)
    kinks: tuple = ()  # ((parameters, f'(0)), ...): PyTorch's convention at the kink x = 0
    increasing_from: float | None = -INF  # non-decreasing for x >= this; None: not monotonic
    bounds: tuple | None = None  # closed bounds of every float result, default parameters
    bounds_of: Callable | None = None  # all parameters -> bounds, where the parameters move them
    increasing_of: Callable | None = None  # all parameters -> increasing_from, where they change it

    @property
    def backward(self) -> str:
        """The name of its derivative function."""
        return f"{self.name}_backward"

    def bounds_at(self, params: dict) -> tuple | None:
        """The closed bounds of every result with these parameters (the rest at their defaults)."""
        return self.bounds_of({**self.defaults, **params}) if self.bounds_of else self.bounds

    def increasing_at(self, params: dict) -> float | None:
        """Where it is non-decreasing from, with these parameters; None: not monotonic."""
        return self.increasing_of({**self.defaults, **params}) if self.increasing_of else self.increasing_from


SPECS: dict[str, Spec] = {s.name: s for s in (
    Spec("relu", "ReLU", kinks=(({}, 0.0),), bounds=(0.0, INF)),
    Spec("leaky_relu", "LeakyReLU", {"negative_slope": 0.01},
         ({}, {"negative_slope": 0.25}, {"negative_slope": 2.0}, {"negative_slope": -0.5}),
         kinks=(({}, 0.01), ({"negative_slope": 0.25}, 0.25)),
         increasing_of=lambda p: -INF if p["negative_slope"] >= 0 else None),
    Spec("elu", "ELU", {"alpha": 1.0}, ({}, {"alpha": 0.5}, {"alpha": 2.0}),
         kinks=(({}, 1.0), ({"alpha": 2.0}, 2.0), ({"alpha": 0.5}, 0.5)), bounds=(-1.0, INF),
         bounds_of=lambda p: (-float(p["alpha"]), INF) if p["alpha"] >= 0 else None,
         increasing_of=lambda p: -INF if p["alpha"] >= 0 else None),
    Spec("sigmoid", "Sigmoid", bounds=(0.0, 1.0)),
    Spec("tanh", "Tanh", bounds=(-1.0, 1.0)),
    Spec("gelu", "GELU", {"approximate": "none"}, ({}, {"approximate": "tanh"}),
         increasing_from=-0.75, bounds=(-0.17, INF),  # min -0.16997; tanh form: -0.17004
         bounds_of=lambda p: (-0.1701 if p["approximate"] == "tanh" else -0.17, INF)),
    Spec("silu", "SiLU", increasing_from=-1.25, bounds=(-0.2785, INF)),
    Spec("softplus", "Softplus", {"beta": 1.0, "threshold": 20.0},
         ({}, {"beta": 2.0}, {"beta": 0.5, "threshold": 5.0}, {"beta": -1.0}), bounds=(0.0, INF),
         bounds_of=lambda p: (0.0, INF) if p["beta"] >= 0 else (-INF, 0.0)),
    Spec("softmax", "Softmax", {"dim": -1}, rowwise=True, increasing_from=None, bounds=(0.0, 1.0)),
    Spec("log_softmax", "LogSoftmax", {"dim": -1}, rowwise=True, increasing_from=None, bounds=(-INF, 0.0)),
)}

ELEMENTWISE = tuple(n for n, s in SPECS.items() if not s.rowwise)
ROWWISE = tuple(n for n, s in SPECS.items() if s.rowwise)
FUNCTIONS = ELEMENTWISE + ROWWISE
PARAMETER_SETS = {n: [dict(p) for p in s.parameter_sets] for n, s in SPECS.items()}
