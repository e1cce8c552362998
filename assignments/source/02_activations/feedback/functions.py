"""The activation functions the feedback knows, and the facts that define each one.

One `Activation` per row of the report card: where its code lives in the package
(class, function, keyword arguments), which exact reference judges it
(the oracle in `tests/activation_oracle`), how its definition reads, and the properties the checks verify.
Values and tolerances are never written here: they come from the oracle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from activation_oracle.specs import SPECS, Spec

INF = math.inf


@dataclass(frozen=True)
class Piece:
    """One part of a piecewise definition: f(x) = `formula` for `lo` < x <= `hi`."""

    lo: float
    hi: float
    formula: str  # matplotlib mathtext, without the $ signs


@dataclass(frozen=True)
class Activation:
    """A report-card row: what `tito check` and `tito plot` say about one function.

    Its class, PyTorch's keyword arguments, bounds and monotonicity are the spec's
    (activation_oracle.specs), read through the properties below, never restated here.
    """

    name: str  # row name: "gelu_tanh"
    function: str  # functional form: "gelu"
    title: str  # "GELU (tanh approximation)"
    formula: str  # mathtext of the definition
    pieces: tuple[Piece, ...]  # the parts drawn in the definition panel
    range_text: str  # the mathematical range, as a reader writes it
    symmetry: tuple | None  # ("odd",); ("complement",): f(-x) = 1 - f(x); ("linear",): f(x) - f(-x) = c x
    zero_centred: bool  # mean output over inputs symmetric about 0 is 0
    note: str  # what it is used for / the numerical point worth knowing
    params: dict = field(default_factory=dict)  # keyword arguments: the spec's defaults, then these
    plot_range: tuple[float, float] = (-6.0, 6.0)

    def __post_init__(self):
        object.__setattr__(self, "params", {**self.spec.defaults, **self.params})

    @property
    def spec(self) -> Spec:
        return SPECS[self.function]

    @property
    def cls(self) -> str:
        """Its class in tinytorch.core.activations: "GELU"."""
        return self.spec.cls

    @property
    def rowwise(self) -> bool:
        """Softmax family: works along `dim`."""
        return self.spec.rowwise

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Closed bounds every float result must respect, with these parameters."""
        return self.spec.bounds_at(self.params)

    @property
    def monotonic(self) -> bool:
        """Non-decreasing everywhere, with these parameters."""
        return self.spec.increasing_at(self.params) == -INF

    @property
    def reference(self) -> str:
        """The name the oracle (`tests/activation_oracle`) knows this function by."""
        return self.function

    @property
    def linear_slope(self) -> float:
        """c in f(x) - f(-x) = c x (1 + negative_slope for LeakyReLU, else 1)."""
        return 1.0 + self.params.get("negative_slope", 0.0)

    @property
    def constructor(self) -> str:
        """How the class is built, e.g. "GELU(approximate='tanh')"."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.cls}({args})"


_ALL = (
    Activation(
        "relu", "relu", "ReLU",
        r"\mathrm{ReLU}(x) = \max(0,\ x)",
        (Piece(-INF, 0.0, "0"), Piece(0.0, INF, "x")),
        "[0, ∞)", ("linear",), False,
        "hidden layers; gradient 1 or 0, relu'(0) = 0 as in PyTorch",
    ),
    Activation(
        "sigmoid", "sigmoid", "Sigmoid",
        r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        (Piece(-INF, INF, r"\frac{1}{1 + e^{-x}}"),),
        "(0, 1)", ("complement",), False,
        "probabilities and gates; stable form: e^x / (1 + e^x) for x < 0",
        plot_range=(-8.0, 8.0),
    ),
    Activation(
        "tanh", "tanh", "Tanh",
        r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        (Piece(-INF, INF, r"\tanh(x)"),),
        "(-1, 1)", ("odd",), True,
        "zero-centred hidden layers and RNNs; tanh(x) = 2 sigmoid(2x) - 1",
        plot_range=(-4.0, 4.0),
    ),
    Activation(
        "leaky_relu", "leaky_relu", "LeakyReLU",
        r"\mathrm{LeakyReLU}(x) = \max(0,\ x) + a \cdot \min(0,\ x)",
        (Piece(-INF, 0.0, r"a\,x"), Piece(0.0, INF, "x")),
        "(-∞, ∞)", ("linear",), False,
        "ReLU that keeps a small slope a = 0.01 for x < 0 (no dead units)",
    ),
    Activation(
        "elu", "elu", "ELU",
        r"\mathrm{ELU}(x) = \max(0,\ x) + \alpha\,(e^{\min(0,\ x)} - 1)",
        (Piece(-INF, 0.0, r"\alpha\,(e^{x} - 1)"), Piece(0.0, INF, "x")),
        "(-α, ∞)", None, False,
        "smooth negative part; expm1, not exp(x) - 1, keeps it exact near 0",
    ),
    Activation(
        "gelu", "gelu", "GELU",
        r"\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \mathrm{erf}\left(x/\sqrt{2}\right)\right)",
        (Piece(-INF, INF, r"x\,\Phi(x)"),),
        "[-0.170, ∞)", ("linear",), False,
        "transformers; minimum -0.16997 at x = -0.7518; 1 + erf cancels for x < -6",
    ),
    Activation(
        "gelu_tanh", "gelu", "GELU (tanh approximation)",
        r"\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^{3})\right)\right)",
        (Piece(-INF, INF, r"x\,\sigma(2u)"),),
        "[-0.170, ∞)", ("linear",), False,
        "GPT-2 style GELU; same value as x sigmoid(2u), which does not cancel",
        params={"approximate": "tanh"},
    ),
    Activation(
        "silu", "silu", "SiLU",
        r"\mathrm{SiLU}(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
        (Piece(-INF, INF, r"x\,\sigma(x)"),),
        "[-0.278, ∞)", ("linear",), False,
        "also called swish; minimum -0.2785 at x = -1.2785",
    ),
    Activation(
        "softplus", "softplus", "Softplus",
        r"\mathrm{Softplus}(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right)",
        (Piece(-INF, INF, r"\log(1 + e^{x})"),),
        "(0, ∞)", ("linear",), False,
        "smooth ReLU; stable form max(x, 0) + log1p(exp(-|x|))",
    ),
    Activation(
        "softmax", "softmax", "Softmax",
        r"\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        (), "(0, 1)", None, False,
        "probabilities over classes; subtract the row max before exp",
        plot_range=(-10.0, 10.0),
    ),
    Activation(
        "log_softmax", "log_softmax", "LogSoftmax",
        r"\log\mathrm{softmax}(x)_i = x_i - \log\sum_j e^{x_j}",
        (), "(-∞, 0]", None, False,
        "with NLL loss; never log(softmax(x)): it is -inf once a probability underflows",
        plot_range=(-10.0, 10.0),
    ),
)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in _ALL}
NAMES: tuple[str, ...] = tuple(ACTIVATIONS)
CORE = ("relu", "sigmoid", "tanh")  # the three the learner implements first


def specialise(a: Activation, obj) -> Activation:
    """Row `a` with the parameters an object actually has (LeakyReLU(0.2), GELU(approximate='tanh')).

    The keyword arguments are read from the object's attributes of the same names;
    GELU with approximate='tanh' becomes the gelu_tanh row.
    """
    params = {k: getattr(obj, k, v) for k, v in a.params.items()}
    if a.rowwise and params.get("dim") not in (-1, 1):
        raise ValueError(f"the checks run {a.cls} over the rows of 2-D inputs: use dim=-1 (got dim={params['dim']})")
    if a.function == "gelu":
        a = ACTIVATIONS["gelu_tanh" if params.get("approximate") == "tanh" else "gelu"]
    return a if params == a.params else replace(a, params=params)  # bounds, monotonic: the spec's


def get(name: str) -> Activation:
    """The activation called `name`; ValueError listing the known names otherwise."""
    key = name.strip().lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(NAMES)}")
    return ACTIVATIONS[key]
