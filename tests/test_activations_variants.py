"""The other half of the test of the activations tests: correct learner code must pass.

Each `Variant` is a plausible, correct way a learner may write one function (np.where
forms, the guide's two-branch masked sigmoid, scipy's erfc or ndtr GELU, a softmax through
log_softmax, ...), appended to the package code exported from the reference dev file so
that it replaces the reference's function. Every module test must pass on every variant:
a failure here is a false alarm of the module's tests (or a variant that is not correct
after all, which the failure message shows).

To keep CI time down, the variants run in sets: set k holds the k-th variant of every
function (each replaces a different function), and each set runs the whole module test
suite once, in parallel on two workers.
"""
from __future__ import annotations

from dataclasses import dataclass

from catalogue import Entry, run_entries
from test_activations_catalogue import FIRST, SUFFIX, package  # noqa: F401 (the package fixture)


@dataclass(frozen=True)
class Variant:
    function: str  # the function it replaces
    what: str
    code: str


def _forward(name: str, signature: str, prologue: str, body: str, what: str) -> Variant:
    lines = [f"def {name}({signature}):", *("    " + line for line in prologue.strip("\n").splitlines()),
             *("    " + line for line in body.strip("\n").splitlines())]
    return Variant(name, what, "\n".join(lines) + "\n")


FLOAT = "x = float_array(x)"
ROWS = "x = float_array(x)\naxis = row_axis(dim, x.ndim)\nif x.size == 0:\n    return Tensor(x.copy())"
RELU_IN = 'data = as_array(x)\nif data.dtype.kind not in "iu":\n    data = float_array(data)'
LEAKY_IN = ('data = as_array(x)\nif data.dtype.kind in "iu" and float(negative_slope).is_integer():\n'
            '    negative_slope = int(negative_slope)\nelse:\n'
            '    data, negative_slope = float_array(data), float(negative_slope)')
GELU_IN = "_check_approximate(approximate)\nx = float_array(x)"
BACK = "grad, x = backward_inputs(grad, x)"
BACK_OUT = "grad, y = backward_inputs(grad, out)"

VARIANTS = [
    # relu
    _forward("relu", "x", RELU_IN, "return Tensor(np.where(data < 0, 0, data))", "np.where(x < 0, 0, x)"),
    _forward("relu", "x", RELU_IN, "return Tensor(np.clip(data, 0, None))", "np.clip(x, 0, None)"),
    _forward("relu", "x", RELU_IN, "out = data.copy()\nout[out < 0] = 0\nreturn Tensor(out)",
             "copy, then zero the negatives by a mask"),
    # sigmoid
    _forward("sigmoid", "x", FLOAT, """
result = np.zeros_like(x)
positive = x >= 0
result[positive] = 1 / (1 + np.exp(-x[positive]))
e = np.exp(x[~positive])
result[~positive] = e / (1 + e)
return Tensor(result)""", "the guide's two-branch masked form"),
    _forward("sigmoid", "x", FLOAT, """
e = np.exp(-np.abs(x))
return Tensor(np.where(x >= 0, 1 / (1 + e), e / (1 + e)))""", "two branches with np.where on e^-|x|"),
    _forward("sigmoid", "x", FLOAT, "from scipy.special import expit\nreturn Tensor(expit(x))", "scipy.special.expit"),
    _forward("sigmoid", "x", FLOAT, """
with np.errstate(over="ignore"):
    out = np.exp(-x)
out += 1
return Tensor(np.reciprocal(out, out=out))""", "in place with np.reciprocal"),
    # tanh
    _forward("tanh", "x", FLOAT, "return Tensor(np.tanh(x.astype(np.float64)).astype(x.dtype))",
             "np.tanh in float64, rounded back"),
    _forward("tanh", "x", FLOAT, """
with np.errstate(over="ignore"):
    e = np.expm1(-2 * np.abs(x))
return Tensor(np.copysign(-e / (e + 2), x))""", "-expm1(-2|x|) / (expm1(-2|x|) + 2), odd by copysign"),
    _forward("tanh", "x", FLOAT, """
small = np.abs(x) < 20
with np.errstate(all="ignore"):
    return Tensor(np.where(small, np.sinh(x) / np.cosh(x), np.sign(x)))""", "sinh / cosh, sign(x) beyond 20"),
    # leaky_relu
    _forward("leaky_relu", "x, negative_slope=0.01", LEAKY_IN, """
with np.errstate(over="ignore"):
    return Tensor(np.maximum(data, 0) + negative_slope * np.minimum(data, 0))""", "max(x, 0) + a min(x, 0)"),
    _forward("leaky_relu", "x, negative_slope=0.01", LEAKY_IN, """
with np.errstate(over="ignore"):
    return Tensor(np.where(data <= 0, data * negative_slope, data))""", "np.where(x <= 0, a x, x)"),
    _forward("leaky_relu", "x, negative_slope=0.01", LEAKY_IN, """
out = data.copy()
negative = data <= 0
with np.errstate(over="ignore"):
    out[negative] = data[negative] * negative_slope
return Tensor(out)""", "copy, then scale the negatives by a mask"),
    # elu
    _forward("elu", "x, alpha=1.0", FLOAT, """
with np.errstate(over="ignore"):
    return Tensor(np.where(x > 0, x, alpha * np.expm1(x)))""", "np.where with expm1 of x, errstate"),
    _forward("elu", "x, alpha=1.0", FLOAT, "return Tensor(np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0)))",
             "max(x, 0) + alpha expm1(min(x, 0))"),
    _forward("elu", "x, alpha=1.0", FLOAT, """
out = x.copy()
negative = x <= 0
out[negative] = alpha * np.expm1(x[negative])
return Tensor(out)""", "expm1 on the masked negatives"),
    # silu
    _forward("silu", "x", FLOAT, "from scipy.special import expit\nc = np.maximum(x, -1e4)\nreturn Tensor(c * expit(c))",
             "x * expit(x), x clamped at -1e4"),
    _forward("silu", "x", FLOAT, """
e = np.exp(-np.abs(x))
s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
with np.errstate(invalid="ignore"):
    return Tensor(np.where(x == -np.inf, 0.0, x * s))""", "x times the two-branch sigmoid, 0 at -inf"),
    _forward("silu", "x", FLOAT, """
c = np.maximum(x, -1e4)
with np.errstate(over="ignore"):
    return Tensor(c * (1 / (1 + np.exp(-c))))""", "x * sigmoid(x) as two steps"),
    # gelu (both forms)
    _forward("gelu", "x, approximate='none'", GELU_IN, """
from scipy.special import expit, ndtr
if approximate == "tanh":
    t = np.clip(x, -1e4, 1e4)
    return Tensor(np.maximum(x, -1e4) * expit(2 * SQRT_2_OVER_PI * (t + GELU_CUBIC * t ** 3)))
c = np.maximum(x, -1e4)
return Tensor(c * ndtr(c))""", "x * ndtr(x); tanh form as x * expit(2u)"),
    _forward("gelu", "x, approximate='none'", GELU_IN, """
from scipy.special import erfc
w = np.clip(x, -1e4, 1e4).astype(np.float64)
if approximate == "tanh":
    u = math.sqrt(2 / math.pi) * (w + 0.044715 * w ** 3)
    with np.errstate(over="ignore"):
        return Tensor((np.maximum(x, -1e4) / (1 + np.exp(-2 * u))).astype(x.dtype))
return Tensor(np.where(x > 1e4, x, 0.5 * w * erfc(-w / math.sqrt(2))).astype(x.dtype))""",
             "both forms computed in float64, rounded back"),
    _forward("gelu", "x, approximate='none'", GELU_IN, """
from scipy.special import erfc
c = np.clip(x, -1e4, 1e4)
if approximate == "tanh":
    u = SQRT_2_OVER_PI * (c + GELU_CUBIC * c ** 3)
    e = np.exp(-2 * np.abs(u))
    s = np.where(u >= 0, 1 / (1 + e), e / (1 + e))
    return Tensor(np.maximum(x, -1e4) * s)
tail = 0.5 * np.abs(c) * erfc(np.abs(c) * INV_SQRT_2)
return Tensor(np.where(x < 0, -tail, x - tail))""", "x Phi(x) = max(x, 0) - |x| Phi(-|x|); two-branch sigmoid"),
    # softplus
    _forward("softplus", "x, beta=1.0, threshold=20.0", "x, beta = float_array(x), float(beta)", """
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    z = beta * x
    return Tensor(np.where(z > 0, x + np.log1p(np.exp(-z)) / beta, np.log1p(np.exp(z)) / beta))""",
             "two branches, log1p in each"),
    _forward("softplus", "x, beta=1.0, threshold=20.0", "x, beta = float_array(x), float(beta)", """
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    z = beta * x
    return Tensor(np.where(z > 0, x + np.logaddexp(0, -z) / beta, np.logaddexp(0, z) / beta))""",
             "np.logaddexp, two branches"),
    _forward("softplus", "x, beta=1.0, threshold=20.0", "x, beta = float_array(x), float(beta)", """
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    z = beta * x
    return Tensor(np.where(z > 0, x, 0) + np.logaddexp(0, -np.abs(z)) / beta)""",
             "the linear part plus logaddexp(0, -|z|)"),
    # softmax
    _forward("softmax", "x, dim=-1", ROWS, """
with np.errstate(invalid="ignore", over="ignore"):
    shifted = x - x.max(axis=axis, keepdims=True)
    return Tensor(np.exp(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))))""",
             "exp of the log-softmax"),
    _forward("softmax", "x, dim=-1", ROWS, """
with np.errstate(invalid="ignore", over="ignore"):
    out = x - x.max(axis=axis, keepdims=True)
    np.exp(out, out=out)
    out *= 1 / out.sum(axis=axis, keepdims=True)
return Tensor(out)""", "in place, one division per row"),
    _forward("softmax", "x, dim=-1", ROWS, """
from scipy.special import softmax as scipy_softmax
with np.errstate(invalid="ignore", over="ignore"):
    return Tensor(scipy_softmax(x, axis=axis).astype(x.dtype))""", "scipy.special.softmax"),
    # log_softmax
    _forward("log_softmax", "x, dim=-1", ROWS, """
with np.errstate(invalid="ignore", over="ignore"):
    m = x.max(axis=axis, keepdims=True)
    return Tensor(x - (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))))""",
             "x - logsumexp written out"),
    _forward("log_softmax", "x, dim=-1", ROWS, """
with np.errstate(invalid="ignore", over="ignore"):
    out = x - x.max(axis=axis, keepdims=True)
    out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
return Tensor(out)""", "in place"),
    _forward("log_softmax", "x, dim=-1", ROWS, """
with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
    shifted = x - x.max(axis=axis, keepdims=True)
    total = np.exp(shifted).sum(axis=axis, keepdims=True)
    return Tensor(shifted - np.log1p(total - 1))""", "log1p(sum - 1)"),
    # backward functions
    _forward("relu_backward", "grad, x", BACK, "return grad * (x > 0)", "grad times the mask"),
    _forward("relu_backward", "grad, x", BACK, "out = grad.copy()\nout[x <= 0] = 0\nreturn out", "masked zeroing"),
    _forward("sigmoid_backward", "grad, out", BACK_OUT, "return grad * (y - y * y)", "s - s^2"),
    _forward("tanh_backward", "grad, out", BACK_OUT, "return grad - grad * y ** 2", "g - g t^2"),
    _forward("leaky_relu_backward", "grad, x, negative_slope=0.01", BACK,
             "return grad * np.where(x > 0, 1.0, float(negative_slope)).astype(grad.dtype)", "grad times where(1, a)"),
    _forward("elu_backward", "grad, x, alpha=1.0", BACK, """
slope = np.ones_like(x)
negative = x <= 0
slope[negative] = alpha * np.exp(x[negative])
return grad * slope""", "masked alpha e^x"),
    _forward("silu_backward", "grad, x", BACK, """
from scipy.special import expit
c = np.clip(x, -1e4, 1e4)
s = expit(c)
return grad * (s + c * s * (1 - s))""", "s + x s (1 - s) with expit"),
    _forward("softplus_backward", "grad, x, beta=1.0", BACK, """
from scipy.special import expit
with np.errstate(over="ignore", invalid="ignore"):
    return grad * expit(float(beta) * x)""", "grad * expit(beta x)"),
    _forward("softmax_backward", "grad, out, dim=-1", BACK_OUT + "\naxis = row_axis(dim, y.ndim)",
             "return y * grad - y * (grad * y).sum(axis=axis, keepdims=True)", "expanded product"),
    _forward("log_softmax_backward", "grad, out, dim=-1", BACK_OUT + "\naxis = row_axis(dim, y.ndim)",
             "total = grad.sum(axis=axis, keepdims=True)\nreturn grad - np.exp(y) * total", "sum first"),
]


def variant_sets() -> list[list[Variant]]:
    """Set k: the k-th variant of each function (so no two in a set replace the same one)."""
    by_function: dict[str, list[Variant]] = {}
    for variant in VARIANTS:
        by_function.setdefault(variant.function, []).append(variant)
    depth = max(len(v) for v in by_function.values())
    return [[v[k] for v in by_function.values() if k < len(v)] for k in range(depth)]


FORWARD = ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "silu", "gelu", "softplus", "softmax", "log_softmax")


def test_at_least_three_correct_variants_per_function():
    counts = {name: sum(v.function == name for v in VARIANTS) for name in FORWARD}
    assert all(n >= 3 for n in counts.values()), counts


def test_every_correct_variant_passes(package, tmp_path):
    sets = variant_sets()
    entries = [Entry(f"set{index}", f"{len(variants)} correct variants",
                     append="".join(f"\n\n# --- correct variant: {v.what} ---\n{v.code}" for v in variants))
               for index, variants in enumerate(sets)]
    # every test runs (no stop at the first failure): a set's report names all its false alarms
    results = run_entries("activations", package, tmp_path, entries, FIRST, SUFFIX, stop_first=False)
    failures = []
    for variants, (_, code, _, _, output) in zip(sets, results):
        names = ", ".join(f"{v.function}: {v.what}" for v in variants)
        print(f"set of {len(variants)}: exit code {code}  ({names})")
        if code != 0:
            wrong = [line for line in output.splitlines() if line.startswith("FAILED") or "Error" in line]
            failures.append(f"{names}\n" + "\n".join(wrong[:30]))
    print(f"correct variants: {len(VARIANTS)} in {len(sets)} sets, false alarms in {len(failures)} set(s)")
    assert not failures, "the module's tests reject correct code:\n" + "\n\n".join(failures)
