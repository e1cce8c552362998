"""The package carries finished code: no learner scaffolding, and only the public API in __all__."""
from __future__ import annotations

import re
from pathlib import Path

from tito.export import export_dev_file, strip_scaffolding
from tito.modules import all_modules

ROOT = Path(__file__).resolve().parents[1]


def test_todo_approach_and_hints_blocks_are_dropped_with_their_continuations():
    code = ("def f(x):\n"
            "    # TODO: return twice x.\n"
            "    # APPROACH:\n"
            "    #   1. multiply\n"
            "    #   2. return\n"
            "    # HINTS: 2 * x.\n"
            "    # a real comment stays\n"
            "    return 2 * x  # so does this one\n")
    assert strip_scaffolding(code) == ("def f(x):\n"
                                       "    # a real comment stays\n"
                                       "    return 2 * x  # so does this one")


def test_no_package_module_carries_scaffolding():
    scaffold = re.compile(r"^\s*# (TODO|APPROACH|HINTS)\b", re.M)
    for module in all_modules(ROOT / "assignments" / "source"):
        export = export_dev_file(module.dev_file, ROOT)
        assert not scaffold.search(export.code), f"{export.module_name} carries TODO/APPROACH/HINTS comments"
        names = eval(re.search(r"^__all__ = (\[.*\])$", export.code, re.M)[1])  # noqa: S307 - our own header
        assert not [n for n in names if n.startswith("_")], f"{export.module_name}.__all__: {names}"


def test_activations_all_is_exactly_the_public_api():
    export = export_dev_file(next(m for m in all_modules(ROOT / "assignments" / "source")
                                  if m.name == "activations").dev_file, ROOT)
    names = set(eval(re.search(r"^__all__ = (\[.*\])$", export.code, re.M)[1]))  # noqa: S307
    functions = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu", "softplus", "softmax",
                 "log_softmax"]
    classes = ["ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Softmax", "LogSoftmax"]
    assert names == {*functions, *(f + "_backward" for f in functions), *classes, "Activation"}
