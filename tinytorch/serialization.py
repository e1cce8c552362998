"""tinytorch.save / tinytorch.load: arrays and plain data in a file that never runs code.

The file is a NumPy .npz archive (a zip): every array of the object is one member
(`a0.npy`, `a1.npy`, ...), and `structure.json` holds everything else: dicts, lists,
tuples, strings, numbers, bools and None, with each array replaced by a reference to
its member. Loading reads JSON and plain arrays with `allow_pickle=False`, so a file
from anywhere cannot execute anything (PyTorch's pickle-based format can, unless
`weights_only=True`).

What can be saved: Tensors (loaded back as Tensors, dtype kept), NumPy arrays and
scalars, Python numbers, strings, bools, None, and dicts (string or integer keys),
lists and tuples of them: a model's `state_dict()`, an optimizer's, a scheduler's, a
training history, a random generator's state. Anything else is a TypeError naming where
it sits. Python floats round-trip exactly (JSON keeps 17 significant digits), including
nan and inf.
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["load", "save"]

FORMAT = "tinytorch-save"
VERSION = 1


def _encode(obj, arrays, where):
    from tinytorch.core.tensor import Tensor

    if isinstance(obj, Tensor):
        arrays.append(np.asarray(obj.data))
        return {"__tensor__": len(arrays) - 1}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"tinytorch.save: {where} is an array of dtype {obj.dtype}; only bool, "
                            "integer and floating-point arrays can be saved")
        arrays.append(obj)
        return {"__array__": len(arrays) - 1}
    if isinstance(obj, np.generic):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"tinytorch.save: {where} is a numpy {obj.dtype} scalar")
        arrays.append(np.asarray(obj))
        return {"__scalar__": len(arrays) - 1}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, dict):
        keys = []
        for key in obj:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"tinytorch.save: {where} has the key {key!r}; keys must be strings or integers")
            keys.append(key)
        return {"__dict__": [[k, _encode(obj[k], arrays, f"{where}[{k!r}]")] for k in keys]}
    raise TypeError(f"tinytorch.save: {where} is a {type(obj).__name__}, which cannot be saved without "
                    "running code on load; save its state_dict() (arrays, numbers, strings) instead")


def _decode(node, arrays):
    from tinytorch.core.tensor import Tensor

    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    (kind, value), = node.items()
    if kind == "__tensor__":
        return Tensor(arrays[value])
    if kind == "__array__":
        return arrays[value]
    if kind == "__scalar__":
        return arrays[value][()]
    if kind == "__float__":
        return float(value)
    if kind == "__tuple__":
        return tuple(_decode(v, arrays) for v in value)
    if kind == "__dict__":
        return {k: _decode(v, arrays) for k, v in value}
    raise ValueError(f"tinytorch.load: unknown entry {kind!r} in the file's structure")


def _write(handle, structure, arrays):
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("structure.json", json.dumps(structure, allow_nan=False))
        for i, array in enumerate(arrays):
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(f"a{i}.npy", buffer.getvalue())


def save(obj, f, **kwargs):
    """Write `obj` (state dicts, tensors, arrays, numbers, strings, lists, dicts) to `f`.

    f: a path (replaced atomically: an error leaves an existing file as it was) or a file
    object open for writing in binary mode (io.BytesIO()). PyTorch's other keywords
    (pickle_module, ...) are accepted and have nothing to do here.
    """
    arrays = []
    structure = {"format": FORMAT, "version": VERSION, "object": _encode(obj, arrays, "the object")}
    if hasattr(f, "write"):
        _write(f, structure, arrays)
        return
    path = Path(f)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            _write(handle, structure, arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(f, map_location=None, weights_only=None, **kwargs):
    """Read what `save` wrote, from a path or a binary file object.

    Never unpickles (plain JSON and plain arrays only), so weights_only=True and False
    read the same thing safely. map_location: None, "cpu", a device, a dict or a function,
    as PyTorch; everything is on the CPU here, so only another device is refused.
    """
    if isinstance(map_location, str) or type(map_location).__name__ == "device":
        from tinytorch.core.tensor import device

        device(map_location)  # "cuda" is a clear error
    if hasattr(f, "read"):
        return _read(f, getattr(f, "name", "the file object"))
    path = Path(f)
    if not path.exists():
        raise FileNotFoundError(f"tinytorch.load: {path} does not exist")
    return _read(path, path)


def _read(source, path):
    try:
        with zipfile.ZipFile(source) as archive:
            structure = json.loads(archive.read("structure.json"))
            names = [n for n in archive.namelist() if n != "structure.json"]
            arrays = [None] * len(names)
            for name in names:
                arrays[int(name[1:-4])] = np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ValueError(f"tinytorch.load: {path} is not a file written by tinytorch.save ({error})") from None
    if structure.get("format") != FORMAT:
        raise ValueError(f"tinytorch.load: {path} is not a file written by tinytorch.save")
    return _decode(structure["object"], arrays)
