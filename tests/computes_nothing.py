"""Submissions that compute nothing, made from any module's reference dev file.

Every solution block that returns a value returns instead, in the `zeros` variant, zeros
of the reference's result (arrays and tensors of its shape and dtype, numbers of its type;
tuples, lists, dicts and generators item by item) and, in the `input` variant, its first
argument that is data (a tensor or an array), or the tensor it is a method of; a block
that returns nothing does nothing. tito grade must give each at most 10 points of 100
(tests/test_grade_modules.py, benchmarks/measure_grading.py --nothing).
"""
from __future__ import annotations

import ast
import textwrap

from tito.release import _BEGIN, _END

HELPERS = '''

# %%
#| export
def _nothing(value):
    import copy as _copy
    import types as _types
    if isinstance(value, _types.GeneratorType):
        return (_nothing(v) for v in value)
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray) and hasattr(value, "shape"):
        value = _copy.copy(value)
        value.data = np.zeros_like(data)
        return value
    if isinstance(value, np.ndarray):
        return np.zeros_like(value)
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, float, np.number)):
        return type(value)(0)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_nothing(v) for v in value)
    if isinstance(value, list):
        return [_nothing(v) for v in value]
    if isinstance(value, dict):
        return {k: _nothing(v) for k, v in value.items()}
    return value


def _given(candidates, compute):
    for value in candidates:
        if isinstance(value, np.ndarray) or isinstance(getattr(value, "data", None), np.ndarray):
            return value
    return _nothing(compute())
'''


def _own(function: ast.AST):
    """The nodes of `function`'s own scope (not of the functions, lambdas and comprehensions in it)."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, nested):
            todo.extend(ast.iter_child_nodes(node))


def variant(text: str, kind: str) -> str:
    """The dev file `text` with every solution block made to compute nothing (`zeros` or `input`)."""
    lines = text.splitlines(keepends=True)
    functions = [
        node for node in ast.walk(ast.parse(text)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    out, i = [], 0
    while i < len(lines):
        begin = _BEGIN.match(lines[i])
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        indent, end = begin.group(1), i + 1
        while not _END.match(lines[end]):
            end += 1
        block = lines[i + 1:end]
        inner = ast.parse("def _block():\n" + textwrap.indent(textwrap.dedent("".join(block)), "    "))
        if not any(isinstance(n, (ast.Return, ast.Yield)) and n.value is not None for n in ast.walk(inner)):
            out.append(f"{indent}pass\n")
        else:
            function = max((f for f in functions if f.lineno <= i + 1 <= f.end_lineno), key=lambda f: f.lineno)
            outer = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)} | {
                n.id for n in _own(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                and not i + 1 <= n.lineno <= end + 1}
            shared = sorted(outer & {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)
                                     and isinstance(n.ctx, ast.Store)})
            out.append(f"{indent}def _block():\n")
            if shared:   # the block assigns the function's own names: they stay the function's
                out.append(f"{indent}    nonlocal {', '.join(shared)}\n")
            out.extend("    " + line if line.strip() else line for line in block)
            if kind == "zeros":
                out.append(f"{indent}return _nothing(_block())\n")
            else:
                names = [a.arg for a in function.args.posonlyargs + function.args.args]
                ordered = [n for n in names if n not in ("self", "cls")] + [n for n in names if n == "self"]
                out.append(f"{indent}return _given([{', '.join(ordered)}], _block)\n")
        i = end + 1
    return "".join(out) + HELPERS
