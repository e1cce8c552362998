"""Module 02's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function or method as a learner writes it (tito/catalogue.py says
how they run: `tito catalogue activations`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 25

# gelu with the reference's tanh form and `{exact}` for the exact one, or the other way round
GELU = '''
def gelu(x, approximate="none"):
    _check_approximate(approximate)
    x = float_array(x)
    if approximate == "tanh":
{tanh}
{exact}
'''
GELU_TANH = '''        t = np.clip(x, -1e4, 1e4)
        u = SQRT_2_OVER_PI * (t + GELU_CUBIC * t * t * t)
        with np.errstate(over="ignore"):
            return Tensor(np.maximum(x, -1e4) / (1 + np.exp(-2 * u)))'''
GELU_EXACT = '''    x = np.maximum(x, -1e4)
    return Tensor(0.5 * x * erfc(-x * INV_SQRT_2))'''

MISTAKES = [
    Mistake("naive_sigmoid", "1 / (1 + exp(-x)) with no errstate: overflow warnings below -88.7", """
def sigmoid(x):
    x = float_array(x)
    return Tensor(1 / (1 + np.exp(-x)))
"""),
    Mistake("tanh_form_sigmoid", "sigmoid as 0.5 * (1 + tanh(x / 2)): cancels for negative x", """
def sigmoid(x):
    x = float_array(x)
    return Tensor(0.5 * (1 + np.tanh(x / 2)))
"""),
    Mistake("sigmoid_clipped", "sigmoid with x clipped to [-88, 88] to avoid the overflow", """
def sigmoid(x):
    x = np.clip(float_array(x), -88, 88)
    return Tensor(1 / (1 + np.exp(-x)))
"""),
    Mistake("relu_where", "relu as np.where(x > 0, x, 0): nan becomes 0", """
def relu(x):
    data = as_array(x)
    if data.dtype.kind not in "iu":
        data = float_array(data)
    return Tensor(np.where(data > 0, data, 0).astype(data.dtype))
"""),
    Mistake("relu_times_mask", "relu as x * (x > 0): -inf * 0 = nan", """
def relu(x):
    data = as_array(x)
    if data.dtype.kind not in "iu":
        data = float_array(data)
    with np.errstate(invalid="ignore"):
        return Tensor((data * (data > 0)).astype(data.dtype))
"""),
    Mistake("relu_float64", "float64 output for float32 input (computing in float64, never casting back)", """
def relu(x):
    return Tensor(np.maximum(0, as_array(x).astype(np.float64)))
"""),
    Mistake("relu_in_place", "relu writes into its input (np.maximum(..., out=x))", """
def relu(x):
    data = as_array(x)
    if data.dtype.kind == "f":
        np.maximum(0, data, out=data)
        return Tensor(data.copy())
    if data.dtype.kind not in "iu":
        data = float_array(data)
    return Tensor(np.maximum(0, data))
"""),
    Mistake("relu_returns_array", "relu returns a NumPy array instead of a Tensor", """
def relu(x):
    return np.maximum(0, as_array(x))
"""),
    Mistake("relu_grad_at_zero", "relu'(0) = 1 (x >= 0 instead of x > 0)", """
def relu_backward(grad, x):
    grad, x = backward_inputs(grad, x)
    return np.where(x >= 0, grad, 0)
"""),
    Mistake("leaky_grad_at_zero", "leaky_relu'(0) = 1 instead of the slope", """
def leaky_relu_backward(grad, x, negative_slope=0.01):
    grad, x = backward_inputs(grad, x)
    return np.where(x >= 0, grad, grad * float(negative_slope))
"""),
    Mistake("leaky_always_maximum", "leaky_relu as max(x, a x) for every slope (wrong for a > 1)", """
def leaky_relu(x, negative_slope=0.01):
    data = as_array(x)
    if data.dtype.kind in "iu" and float(negative_slope).is_integer():
        negative_slope = int(negative_slope)
    else:
        data, negative_slope = float_array(data), float(negative_slope)
    with np.errstate(over="ignore"):
        y = data * negative_slope
    return Tensor(np.maximum(data, y, out=y))
"""),
    Mistake("elu_exp_minus_one", "elu with exp(x) - 1 instead of expm1: cancels near 0", """
def elu(x, alpha=1.0):
    x = float_array(x)
    y = np.exp(np.minimum(x, 0)) - 1
    y *= alpha
    y += np.maximum(x, 0)
    return Tensor(y)
"""),
    Mistake("elu_ignores_alpha", "elu forgets alpha (always alpha = 1)", """
def elu(x, alpha=1.0):
    x = float_array(x)
    y = np.expm1(np.minimum(x, 0))
    y += np.maximum(x, 0)
    return Tensor(y)
"""),
    Mistake("naive_tanh", "tanh from its definition (e^x - e^-x) / (e^x + e^-x)", """
def tanh(x):
    x = float_array(x)
    with np.errstate(all="ignore"):
        return Tensor((np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)))
"""),
    Mistake("tanh_backward_from_input", "tanh backward as 1 - x^2 (input saved instead of output)", """
class Tanh:
    def forward(self, x):
        self.output = as_array(x)
        return tanh(x)
"""),
    Mistake("sigmoid_backward_from_input", "sigmoid backward from x instead of the output s", """
class Sigmoid:
    def forward(self, x):
        self.output = as_array(x)
        return sigmoid(x)
"""),
    Mistake("gelu_1702", "exact GELU as x * sigmoid(1.702 x)", GELU.format(tanh=GELU_TANH, exact='''
    with np.errstate(over="ignore"):
        return Tensor(x / (1 + np.exp(-1.702 * np.maximum(x, -1e4))))''')),
    Mistake("gelu_erf", "exact GELU as 0.5 x (1 + erf(x / sqrt 2)): cancels for x < -6",
            GELU.format(tanh=GELU_TANH, exact='''
    from scipy.special import erf
    c = np.maximum(x, -1e4)
    return Tensor((0.5 * c * (1 + erf(c / math.sqrt(2)))).astype(x.dtype))''')),
    Mistake("gelu_tanh_cancelling", "tanh GELU as 0.5 x (1 + tanh(u)) in the input's dtype",
            GELU.format(tanh='''
        c = np.clip(x, -1e4, 1e4)
        u = SQRT_2_OVER_PI * (c + GELU_CUBIC * c ** 3)
        return Tensor((0.5 * np.maximum(x, -1e4) * (1 + np.tanh(u))).astype(x.dtype))''', exact=GELU_EXACT)),
    Mistake("gelu_ignores_approximate", "GELU(approximate='tanh') computes the exact GELU", """
def gelu(x, approximate="none"):
    _check_approximate(approximate)
    x = np.maximum(float_array(x), -1e4)
    return Tensor(0.5 * x * erfc(-x * INV_SQRT_2))
"""),
    Mistake("silu_no_clamp", "silu as x / (1 + exp(-x)) without clamping: nan at -inf", """
def silu(x):
    x = float_array(x)
    with np.errstate(over="ignore"):
        return Tensor(x / (1 + np.exp(-x)))
"""),
    Mistake("silu_tanh_sigmoid", "silu as x * 0.5 * (1 + tanh(x / 2)): cancels for negative x", """
def silu(x):
    x = float_array(x)
    return Tensor(x * (0.5 * (1 + np.tanh(x / 2))))
"""),
    Mistake("silu_backward_no_chain_rule", "silu backward returns f'(x) without multiplying by grad", """
def silu_backward(grad, x):
    grad, x = backward_inputs(grad, x)
    x = np.clip(x, -1e4, 1e4)
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-x))
    return s * (1 + x * (1 - s))
"""),
    Mistake("naive_softplus", "softplus as log(1 + exp(x)): overflows, loses the tail", """
def softplus(x, beta=1.0, threshold=20.0):
    x = float_array(x)
    return Tensor(np.log(1 + np.exp(beta * x)) / beta)
"""),
    Mistake("softplus_threshold", "softplus returns x beyond the threshold, as PyTorch (wrong in float64)", """
def softplus(x, beta=1.0, threshold=20.0):
    x, beta = float_array(x), float(beta)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = beta * x
        y = np.log1p(np.exp(-np.abs(z)))
        y /= beta
    y += np.maximum(x, 0) if beta >= 0 else np.minimum(x, 0)
    return Tensor(np.where(z > threshold, x, y))
"""),
    Mistake("softmax_no_max", "softmax without subtracting the row maximum: nan for large logits", """
def softmax(x, dim=-1):
    x = float_array(x)
    e = np.exp(x)
    return Tensor(e / e.sum(axis=dim, keepdims=True))
"""),
    Mistake("softmax_wrong_axis", "softmax normalised over the first axis instead of dim", """
def softmax(x, dim=-1):
    x = float_array(x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return Tensor(e / e.sum(axis=0, keepdims=True))
"""),
    Mistake("log_of_softmax", "log_softmax as log(softmax(x)): -inf when a probability underflows", """
def log_softmax(x, dim=-1):
    with np.errstate(divide="ignore"):
        return Tensor(np.log(softmax(x, dim).data))
"""),
    Mistake("softmax_backward_diagonal", "softmax backward without the off-diagonal terms: g y (1 - y)", """
def softmax_backward(grad, out, dim=-1):
    grad, y = backward_inputs(grad, out)
    return grad * y * (1 - y)
"""),
    Mistake("log_softmax_backward_no_sum", "log_softmax backward as grad - exp(y), without the sum", """
def log_softmax_backward(grad, out, dim=-1):
    grad, y = backward_inputs(grad, out)
    return grad - np.exp(y) * grad
"""),
    Mistake("tanh_float32_inside", "tanh computed in float32 whatever the input dtype", """
def tanh(x):
    data = as_array(x)
    return Tensor(np.tanh(data.astype(np.float32)).astype(result_dtype(data.dtype)))
"""),
]

VARIANTS = [
    Variant("relu_where_negative", "np.where(x < 0, 0, x)", """
def relu(x):
    data = as_array(x)
    if data.dtype.kind not in "iu":
        data = float_array(data)
    return Tensor(np.where(data < 0, 0, data))
"""),
    Variant("relu_clip", "np.clip(x, 0, None)", """
def relu(x):
    data = as_array(x)
    if data.dtype.kind not in "iu":
        data = float_array(data)
    return Tensor(np.clip(data, 0, None))
"""),
    Variant("relu_mask_copy", "copy, then zero the negatives by a mask", """
def relu(x):
    data = as_array(x)
    if data.dtype.kind not in "iu":
        data = float_array(data)
    out = data.copy()
    out[out < 0] = 0
    return Tensor(out)
"""),
    Variant("sigmoid_two_branch_mask", "the guide's two-branch masked form", """
def sigmoid(x):
    x = float_array(x)
    result = np.zeros_like(x)
    positive = x >= 0
    result[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    result[~positive] = e / (1 + e)
    return Tensor(result)
"""),
    Variant("sigmoid_two_branch_where", "two branches with np.where on e^-|x|", """
def sigmoid(x):
    x = float_array(x)
    e = np.exp(-np.abs(x))
    return Tensor(np.where(x >= 0, 1 / (1 + e), e / (1 + e)))
"""),
    Variant("sigmoid_expit", "scipy.special.expit", """
def sigmoid(x):
    x = float_array(x)
    from scipy.special import expit
    return Tensor(expit(x))
"""),
    Variant("sigmoid_reciprocal_in_place", "in place with np.reciprocal", """
def sigmoid(x):
    x = float_array(x)
    with np.errstate(over="ignore"):
        out = np.exp(-x)
    out += 1
    return Tensor(np.reciprocal(out, out=out))
"""),
    Variant("tanh_float64", "np.tanh in float64, rounded back", """
def tanh(x):
    x = float_array(x)
    return Tensor(np.tanh(x.astype(np.float64)).astype(x.dtype))
"""),
    Variant("tanh_expm1_copysign", "-expm1(-2|x|) / (expm1(-2|x|) + 2), odd by copysign", """
def tanh(x):
    x = float_array(x)
    with np.errstate(over="ignore"):
        e = np.expm1(-2 * np.abs(x))
    return Tensor(np.copysign(-e / (e + 2), x))
"""),
    Variant("tanh_sinh_cosh", "sinh / cosh, sign(x) beyond 20", """
def tanh(x):
    x = float_array(x)
    small = np.abs(x) < 20
    with np.errstate(all="ignore"):
        return Tensor(np.where(small, np.sinh(x) / np.cosh(x), np.sign(x)))
"""),
    Variant("leaky_max_plus_min", "max(x, 0) + a min(x, 0)", """
def leaky_relu(x, negative_slope=0.01):
    data = as_array(x)
    if data.dtype.kind in "iu" and float(negative_slope).is_integer():
        negative_slope = int(negative_slope)
    else:
        data, negative_slope = float_array(data), float(negative_slope)
    with np.errstate(over="ignore"):
        return Tensor(np.maximum(data, 0) + negative_slope * np.minimum(data, 0))
"""),
    Variant("leaky_where", "np.where(x <= 0, a x, x)", """
def leaky_relu(x, negative_slope=0.01):
    data = as_array(x)
    if data.dtype.kind in "iu" and float(negative_slope).is_integer():
        negative_slope = int(negative_slope)
    else:
        data, negative_slope = float_array(data), float(negative_slope)
    with np.errstate(over="ignore"):
        return Tensor(np.where(data <= 0, data * negative_slope, data))
"""),
    Variant("leaky_mask_copy", "copy, then scale the negatives by a mask", """
def leaky_relu(x, negative_slope=0.01):
    data = as_array(x)
    if data.dtype.kind in "iu" and float(negative_slope).is_integer():
        negative_slope = int(negative_slope)
    else:
        data, negative_slope = float_array(data), float(negative_slope)
    out = data.copy()
    negative = data <= 0
    with np.errstate(over="ignore"):
        out[negative] = data[negative] * negative_slope
    return Tensor(out)
"""),
    Variant("elu_where_expm1", "np.where with expm1 of x, errstate", """
def elu(x, alpha=1.0):
    x = float_array(x)
    with np.errstate(over="ignore"):
        return Tensor(np.where(x > 0, x, alpha * np.expm1(x)))
"""),
    Variant("elu_max_plus_expm1", "max(x, 0) + alpha expm1(min(x, 0))", """
def elu(x, alpha=1.0):
    x = float_array(x)
    return Tensor(np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0)))
"""),
    Variant("elu_mask_expm1", "expm1 on the masked negatives", """
def elu(x, alpha=1.0):
    x = float_array(x)
    out = x.copy()
    negative = x <= 0
    out[negative] = alpha * np.expm1(x[negative])
    return Tensor(out)
"""),
    Variant("silu_expit", "x * expit(x), x clamped at -1e4", """
def silu(x):
    x = float_array(x)
    from scipy.special import expit
    c = np.maximum(x, -1e4)
    return Tensor(c * expit(c))
"""),
    Variant("silu_two_branch", "x times the two-branch sigmoid, 0 at -inf", """
def silu(x):
    x = float_array(x)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    with np.errstate(invalid="ignore"):
        return Tensor(np.where(x == -np.inf, 0.0, x * s))
"""),
    Variant("silu_two_steps", "x * sigmoid(x) as two steps", """
def silu(x):
    x = float_array(x)
    c = np.maximum(x, -1e4)
    with np.errstate(over="ignore"):
        return Tensor(c * (1 / (1 + np.exp(-c))))
"""),
    Variant("gelu_ndtr", "x * ndtr(x); tanh form as x * expit(2u)", """
def gelu(x, approximate='none'):
    _check_approximate(approximate)
    x = float_array(x)
    from scipy.special import expit, ndtr
    if approximate == "tanh":
        t = np.clip(x, -1e4, 1e4)
        return Tensor(np.maximum(x, -1e4) * expit(2 * SQRT_2_OVER_PI * (t + GELU_CUBIC * t ** 3)))
    c = np.maximum(x, -1e4)
    return Tensor(c * ndtr(c))
"""),
    Variant("gelu_float64", "both forms computed in float64, rounded back", """
def gelu(x, approximate='none'):
    _check_approximate(approximate)
    x = float_array(x)
    from scipy.special import erfc
    w = np.clip(x, -1e4, 1e4).astype(np.float64)
    if approximate == "tanh":
        u = math.sqrt(2 / math.pi) * (w + 0.044715 * w ** 3)
        with np.errstate(over="ignore"):
            return Tensor((np.maximum(x, -1e4) / (1 + np.exp(-2 * u))).astype(x.dtype))
    return Tensor(np.where(x > 1e4, x, 0.5 * w * erfc(-w / math.sqrt(2))).astype(x.dtype))
"""),
    Variant("gelu_tail_form", "x Phi(x) = max(x, 0) - |x| Phi(-|x|); two-branch sigmoid", """
def gelu(x, approximate='none'):
    _check_approximate(approximate)
    x = float_array(x)
    from scipy.special import erfc
    c = np.clip(x, -1e4, 1e4)
    if approximate == "tanh":
        u = SQRT_2_OVER_PI * (c + GELU_CUBIC * c ** 3)
        e = np.exp(-2 * np.abs(u))
        s = np.where(u >= 0, 1 / (1 + e), e / (1 + e))
        return Tensor(np.maximum(x, -1e4) * s)
    tail = 0.5 * np.abs(c) * erfc(np.abs(c) * INV_SQRT_2)
    return Tensor(np.where(x < 0, -tail, x - tail))
"""),
    Variant("softplus_two_branches", "two branches, log1p in each", """
def softplus(x, beta=1.0, threshold=20.0):
    x, beta = float_array(x), float(beta)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = beta * x
        return Tensor(np.where(z > 0, x + np.log1p(np.exp(-z)) / beta, np.log1p(np.exp(z)) / beta))
"""),
    Variant("softplus_logaddexp_branches", "np.logaddexp, two branches", """
def softplus(x, beta=1.0, threshold=20.0):
    x, beta = float_array(x), float(beta)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = beta * x
        return Tensor(np.where(z > 0, x + np.logaddexp(0, -z) / beta, np.logaddexp(0, z) / beta))
"""),
    Variant("softplus_linear_plus_logaddexp", "the linear part plus logaddexp(0, -|z|)", """
def softplus(x, beta=1.0, threshold=20.0):
    x, beta = float_array(x), float(beta)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = beta * x
        return Tensor(np.where(z > 0, x, 0) + np.logaddexp(0, -np.abs(z)) / beta)
"""),
    Variant("softmax_exp_log_softmax", "exp of the log-softmax", """
def softmax(x, dim=-1):
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
        return Tensor(np.exp(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))))
"""),
    Variant("softmax_in_place", "in place, one division per row", """
def softmax(x, dim=-1):
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    with np.errstate(invalid="ignore", over="ignore"):
        out = x - x.max(axis=axis, keepdims=True)
        np.exp(out, out=out)
        out *= 1 / out.sum(axis=axis, keepdims=True)
    return Tensor(out)
"""),
    Variant("softmax_scipy", "scipy.special.softmax", """
def softmax(x, dim=-1):
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    from scipy.special import softmax as scipy_softmax
    with np.errstate(invalid="ignore", over="ignore"):
        return Tensor(scipy_softmax(x, axis=axis).astype(x.dtype))
"""),
    Variant("log_softmax_logsumexp", "x - logsumexp written out", """
def log_softmax(x, dim=-1):
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    with np.errstate(invalid="ignore", over="ignore"):
        m = x.max(axis=axis, keepdims=True)
        return Tensor(x - (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))))
"""),
    Variant("log_softmax_in_place", "in place", """
def log_softmax(x, dim=-1):
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    with np.errstate(invalid="ignore", over="ignore"):
        out = x - x.max(axis=axis, keepdims=True)
        out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
    return Tensor(out)
"""),
    Variant("log_softmax_log1p", "log1p(sum - 1)", """
def log_softmax(x, dim=-1):
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
        total = np.exp(shifted).sum(axis=axis, keepdims=True)
        return Tensor(shifted - np.log1p(total - 1))
"""),
    Variant("relu_backward_times_mask", "grad times the mask", """
def relu_backward(grad, x):
    grad, x = backward_inputs(grad, x)
    return grad * (x > 0)
"""),
    Variant("relu_backward_masked", "masked zeroing", """
def relu_backward(grad, x):
    grad, x = backward_inputs(grad, x)
    out = grad.copy()
    out[x <= 0] = 0
    return out
"""),
    Variant("sigmoid_backward_s_minus_s2", "s - s^2", """
def sigmoid_backward(grad, out):
    grad, y = backward_inputs(grad, out)
    return grad * (y - y * y)
"""),
    Variant("tanh_backward_g_minus_gt2", "g - g t^2", """
def tanh_backward(grad, out):
    grad, y = backward_inputs(grad, out)
    return grad - grad * y ** 2
"""),
    Variant("leaky_backward_times_where", "grad times where(1, a)", """
def leaky_relu_backward(grad, x, negative_slope=0.01):
    grad, x = backward_inputs(grad, x)
    return grad * np.where(x > 0, 1.0, float(negative_slope)).astype(grad.dtype)
"""),
    Variant("elu_backward_masked", "masked alpha e^x", """
def elu_backward(grad, x, alpha=1.0):
    grad, x = backward_inputs(grad, x)
    slope = np.ones_like(x)
    negative = x <= 0
    slope[negative] = alpha * np.exp(x[negative])
    return grad * slope
"""),
    Variant("silu_backward_expit", "s + x s (1 - s) with expit", """
def silu_backward(grad, x):
    grad, x = backward_inputs(grad, x)
    from scipy.special import expit
    c = np.clip(x, -1e4, 1e4)
    s = expit(c)
    return grad * (s + c * s * (1 - s))
"""),
    Variant("softplus_backward_expit", "grad * expit(beta x)", """
def softplus_backward(grad, x, beta=1.0):
    grad, x = backward_inputs(grad, x)
    from scipy.special import expit
    with np.errstate(over="ignore", invalid="ignore"):
        return grad * expit(float(beta) * x)
"""),
    Variant("softmax_backward_expanded", "expanded product", """
def softmax_backward(grad, out, dim=-1):
    grad, y = backward_inputs(grad, out)
    axis = row_axis(dim, y.ndim)
    return y * grad - y * (grad * y).sum(axis=axis, keepdims=True)
"""),
    Variant("log_softmax_backward_sum_first", "sum first", """
def log_softmax_backward(grad, out, dim=-1):
    grad, y = backward_inputs(grad, out)
    axis = row_axis(dim, y.ndim)
    total = grad.sum(axis=axis, keepdims=True)
    return grad - np.exp(y) * total
"""),
]
