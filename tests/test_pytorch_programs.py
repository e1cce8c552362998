"""PyTorch programs run on TinyTorch with only their import lines changed.

Each program in tests/pytorch_programs/ (ports of PyTorch's beginner tutorials, of every
variant of "Learning PyTorch with Examples", of micrograd's demo in PyTorch form and of a
makemore-style MLP) runs twice in this process: as written, under PyTorch, and with
`import torch` made `import tinytorch as torch` (and `from torch.x import ...` made
`from tinytorch.x import ...`; no other line changes). Both runs draw the same random
numbers: while a program runs, the random functions of its library (torch.randn,
Tensor.uniform_, randperm, ..., or TinyTorch's Generator) take their draws from one
shared NumPy stream, so the two start from the same weights and see the same batches.
What the two print must agree, words exactly and numbers to the program's tolerance.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

from tito.testing import torch_fixture  # noqa: F401 (the `torch` fixture: PyTorch, skipped without it)

PROGRAMS = Path(__file__).parent / "pytorch_programs"

# program -> relative tolerance of the numbers it prints (float32 sums in another order)
TOLERANCE = {
    "quickstart": 1e-3, "tensor_basics": 0, "datasets_and_loaders": 0, "build_model": 1e-5, "autodiff": 1e-6,
    "optimization": 1e-4, "save_load": 1e-6, "polynomial_tensors": 1e-4, "polynomial_autograd": 1e-4,
    "polynomial_function": 1e-4, "polynomial_nn": 1e-4, "polynomial_optim": 1e-4, "polynomial_module": 1e-4,
    "polynomial_dynamic": 1e-4, "micrograd": 1e-4, "makemore": 1e-4,
}

_IMPORT = re.compile(r"^(\s*)(import torch\b(?P<sub>\.[\w.]+)?(?P<alias> as \w+)?|from torch(?P<from>[\w.]*) import )")


def on_tinytorch(source: str) -> tuple[str, list[str]]:
    """The program with its imports of torch pointing at tinytorch, and the lines that changed."""
    changed, lines = [], []
    for line in source.splitlines(keepends=True):
        match = _IMPORT.match(line)
        if match and match["from"] is not None:
            new = line.replace("from torch", "from tinytorch", 1)
        elif match and match["sub"] is None and match["alias"] is None:
            new = line.replace("import torch", "import tinytorch as torch", 1)
        elif match:
            new = line.replace("import torch", "import tinytorch", 1)
        else:
            new = line
        if new != line:
            changed.append(line.strip())
        lines.append(new)
    return "".join(lines), changed


# ---- the same random numbers in both libraries ------------------------------------------------

def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)) or (len(size) == 1 and hasattr(size[0], "__len__")):
        size = size[0]
    return tuple(int(s) for s in size)


def _multinomial(draws, probabilities: np.ndarray, num_samples: int, replacement: bool) -> np.ndarray:
    """Indices by inverting each row's cumulative distribution at shared uniform draws."""
    rows = probabilities.reshape(-1, probabilities.shape[-1]).astype(np.float64)
    picked = np.empty((len(rows), num_samples), np.int64)
    for r, row in enumerate(rows):
        row = row.copy()
        for k in range(num_samples):
            cdf = np.cumsum(row) / row.sum()
            picked[r, k] = min(int(np.searchsorted(cdf, draws.random(), side="right")), len(row) - 1)
            if not replacement:
                row[picked[r, k]] = 0
    return picked.reshape(probabilities.shape[:-1] + (num_samples,))


@contextlib.contextmanager
def _patched(owner, replacements: dict):
    saved = {name: owner.__dict__.get(name) for name in replacements}
    for name, value in replacements.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


def _torch_draws(torch, draws):
    """torch's random functions, drawing from `draws` (a NumPy Generator) instead."""
    def made(values, dtype, requires_grad=False):
        return torch.tensor(values, dtype=dtype, requires_grad=requires_grad)

    def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
        return made(draws.standard_normal(_shape(size)), dtype or torch.get_default_dtype(), requires_grad)

    def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
        return made(draws.random(_shape(size)), dtype or torch.get_default_dtype(), requires_grad)

    def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, **_):
        if size is None:
            low, high, size = 0, low, high
        return made(draws.integers(low, high, _shape((size,))), dtype or torch.int64)

    def randperm(n, *, generator=None, dtype=None, device=None, **_):
        return made(draws.permutation(n), dtype or torch.int64)

    def multinomial(input, num_samples, replacement=False, *, generator=None):
        return made(_multinomial(draws, input.detach().numpy(), num_samples, replacement), torch.int64)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        with torch.no_grad():
            return self.copy_(made(a + (b - a) * draws.random(tuple(self.shape)), self.dtype))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        with torch.no_grad():
            return self.copy_(made(mean + std * draws.standard_normal(tuple(self.shape)), self.dtype))

    def sampler_order(self):
        """RandomSampler's order, one permutation per epoch (torch's own draws a second, unused one
        at the end of an epoch, which would put the shared stream out of step)."""
        left = self.num_samples
        while left > 0:
            order = randperm(len(self.data_source)).tolist()
            yield from order[:left]
            left -= len(order)

    functions = {"randn": randn, "rand": rand, "randint": randint, "randperm": randperm, "multinomial": multinomial,
                 "rand_like": lambda input, dtype=None, **_: rand(input.shape, dtype=dtype or input.dtype),
                 "randn_like": lambda input, dtype=None, **_: randn(input.shape, dtype=dtype or input.dtype)}
    return functions, {"uniform_": uniform_, "normal_": normal_}, {"__iter__": sampler_order}


def _tinytorch_draws(tinytorch, draws):
    """TinyTorch's Generator methods (every draw of the library goes through one), from `draws`."""
    def random(self, size=None):
        return draws.random(size)

    def standard_normal(self, size=None):
        return draws.standard_normal(size)

    def integers(self, low, high=None, size=None, **_):
        return draws.integers(low, high, size)

    def permutation(self, n):
        return draws.permutation(n)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * draws.random(size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + scale * draws.standard_normal(size)

    def multinomial(input, num_samples, replacement=False, *, generator=None):
        return tinytorch.tensor(_multinomial(draws, np.asarray(input), num_samples, replacement))

    methods = {"random": random, "standard_normal": standard_normal, "integers": integers,
               "permutation": permutation, "uniform": uniform, "normal": normal}
    return {"multinomial": multinomial}, methods, {}


@contextlib.contextmanager
def same_random_numbers(library, seed: int = 0):
    """While inside, `library` (torch or tinytorch) draws every random number from one NumPy stream."""
    draws = np.random.default_rng(seed)
    random.seed(seed)
    if library.__name__ == "torch":
        functions, methods, sampler = _torch_draws(library, draws)
        owner, sampler_class = library.Tensor, library.utils.data.RandomSampler
    else:
        functions, methods, sampler = _tinytorch_draws(library, draws)
        owner, sampler_class = library.Generator, type("Unused", (), {})
    with _patched(library, functions), _patched(owner, methods), _patched(sampler_class, sampler):
        yield


def run(source: str, library, name: str) -> str:
    """What the program prints, run as __main__ with the library's draws shared."""
    out = io.StringIO()
    with same_random_numbers(library), contextlib.redirect_stdout(out):
        exec(compile(source, f"{name}.py", "exec"), {"__name__": "__main__"})
    return out.getvalue()


_NUMBER = re.compile(r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\d+(?:e[-+]?\d+)?|nan|inf")


def assert_same_output(ours: str, theirs: str, rtol: float, name: str):
    """Line by line: the words equal, each number within rtol of PyTorch's (and both finite or not)."""
    mine, reference = ours.splitlines(), theirs.splitlines()
    assert len(mine) == len(reference), (f"{name}: TinyTorch printed {len(mine)} lines, PyTorch {len(reference)}\n"
                                         f"--- TinyTorch\n{ours}\n--- PyTorch\n{theirs}")
    for i, (a, b) in enumerate(zip(mine, reference)):
        assert _NUMBER.sub("#", a) == _NUMBER.sub("#", b), f"{name}, line {i + 1}:\n  TinyTorch: {a}\n  PyTorch:   {b}"
        for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b)):
            fx, fy = float(x), float(y)
            assert fx == fy or math.isclose(fx, fy, rel_tol=rtol, abs_tol=rtol * 1e-3), (
                f"{name}, line {i + 1}: {x} (TinyTorch) vs {y} (PyTorch), beyond rtol {rtol}:\n"
                f"  TinyTorch: {a}\n  PyTorch:   {b}")


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_program_runs_with_only_the_imports_changed(name, torch):
    import tinytorch

    source = (PROGRAMS / f"{name}.py").read_text(encoding="utf-8")
    ported, changed = on_tinytorch(source)
    assert changed and all(line.startswith(("import torch", "from torch")) for line in changed), changed
    theirs = run(source, importlib.import_module(torch.__name__), name)  # the module, not the fixture's proxy
    ours = run(ported, tinytorch, name)
    assert_same_output(ours, theirs, TOLERANCE[name], name)


def test_every_program_is_listed():
    assert sorted(p.stem for p in PROGRAMS.glob("*.py")) == sorted(TOLERANCE)


def test_the_readme_program_runs_on_both(torch):
    """README's example (its loop shortened) prints on TinyTorch what it prints on PyTorch."""
    import tinytorch

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## PyTorch programs run on TinyTorch", 1)[1]
    program = re.search(r"```python\n(.*?)```", section, re.S)[1]
    assert "import tinytorch as torch" in program
    program = program.replace("for t in range(2000):", "for t in range(300):")
    original = program.replace("import tinytorch as torch", "import torch")
    theirs = run(original, importlib.import_module(torch.__name__), "readme")
    ours = run(program, tinytorch, "readme")
    assert ours.count("\n") == 4
    assert_same_output(ours, theirs, 1e-4, "README")
