"""The wire between the judge and the worker: messages that carry data, never code.

A message is a JSON header followed by raw byte buffers:

    [4 bytes: header length][header JSON][for each buffer: 8 bytes length, bytes]

Values are JSON scalars (None, bool, int, float, str) or one-key objects:

    {"l": [...]} list   {"t": [...]} tuple   {"d": [[k, v], ...]} dict   {"s": [...]} set
    {"y": base64} bytes {"c": [re, im]} complex   {"sl": [start, stop, step]} slice
    {"el": 0} Ellipsis  {"dt": "<f4"} numpy dtype  {"ty": "float32"} a numpy or builtin type
    {"a": n, "dt": "<f4", "sh": [2, 3], "id": k}  the n-th buffer, as a base ndarray
    {"g": n, "dt": "<f4"}                          a numpy scalar from the n-th buffer
    {"rng": "PCG64", "st": {...}}                  a np.random.Generator, by value: its bit generator's
                                                   name (one of NumPy's own) and state, plain data
    {"pa": "/tmp/x/run.tt"}                        a pathlib path (a test's tmp_path / "file"), by value
    {"o": ref, ...}                                an object that stays on the side that made it

`decode` is where trust is checked: every dtype must be a plain number, bool, string or
date type (no object, void or structured dtype, so no pickle and no Python object can be
made), shapes and buffer lengths must agree, and whatever arrives is a base `ndarray`
whatever class it had on the other side. Nothing in this file calls code named by a message.
"""
from __future__ import annotations

import base64
import builtins
import hashlib
import json
import math
import os
import pathlib
import struct

import numpy as np

MAX_MESSAGE = 1 << 33        # 8 GiB: far beyond any memory limit; the header is bounded separately
MAX_HEADER = 64 << 20
MAX_NESTING = 128            # containers nested deeper than this cross by reference, not by value
_SAFE_KINDS = set("biufcmMSU")
BUILTIN_TYPES = {t.__name__: t for t in (int, float, bool, complex, str, bytes, list, tuple, dict, set,
                                         frozenset, slice, object, type(None))}


RNG_NAMES = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")   # NumPy's bit generators


class WireError(Exception):
    """A message that breaks the rules (from a hostile or broken peer)."""


def safe_dtype(text) -> np.dtype:
    if not isinstance(text, str) or len(text) > 32:
        raise WireError("bad dtype")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise WireError(f"bad dtype {text!r}") from None
    if dtype.kind not in _SAFE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
        raise WireError(f"dtype {text!r} cannot cross")
    return dtype


def numpy_type(name: str):
    """A numpy scalar type by name (np.float32), only if it is one."""
    kind = getattr(np, name, None) if isinstance(name, str) and name.isidentifier() else None
    if isinstance(kind, type) and issubclass(kind, np.generic) and kind is not np.object_:
        return kind
    raise WireError(f"unknown type {name!r}")


def object_path(found) -> tuple[str, str] | None:
    """A function or class named by [module, qualname], as a tuple; None when `found` is not one."""
    return tuple(found) if type(found) is list and len(found) == 2 and all(type(p) is str for p in found) else None


def given_key(array: np.ndarray) -> tuple:
    """How an array is known again: by dtype, shape and bytes."""
    return array.dtype.str, array.shape, hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=16).digest()


class Encoder:
    """Turns a value into JSON + buffers. `other(obj)` encodes what is not plain data; `given`,
    when a set, collects every array of one or more dimensions sent (see Decoder's `blind`)."""

    def __init__(self, other, array_id=None, given: set | None = None):
        self.other, self.array_id, self.given = other, array_id, given
        self.buffers: list[bytes | memoryview] = []
        self.depth = 0

    def _items(self, items):
        self.depth += 1
        try:
            return [self.value(x) for x in items]
        finally:
            self.depth -= 1

    def array(self, base: np.ndarray) -> dict:
        """The tag of `base` (a C-contiguous base ndarray), its bytes the next buffer."""
        self.buffers.append(memoryview(base).cast("B") if base.size else b"")
        return {"a": len(self.buffers) - 1, "dt": base.dtype.str, "sh": list(base.shape)}

    def value(self, v):
        t = type(v)
        if v is None or t is bool or t is int or t is float or t is str:
            return v
        if isinstance(v, np.ndarray) and not v.dtype.hasobject and v.dtype.kind in _SAFE_KINDS \
                and v.dtype.fields is None:
            base = np.ascontiguousarray(v.view(np.ndarray)) if v.ndim else np.asarray(v.view(np.ndarray)).copy()
            if self.given is not None and base.ndim:
                self.given.add(given_key(base))
            out = self.array(base)
            if self.array_id is not None:
                out.update(self.array_id(v))
            return out
        if isinstance(v, np.generic) and v.dtype.kind in _SAFE_KINDS and v.dtype.fields is None:
            self.buffers.append(np.asarray(v).tobytes())
            return {"g": len(self.buffers) - 1, "dt": v.dtype.str}
        if t is np.random.Generator and type(v.bit_generator).__name__ in RNG_NAMES \
                and type(v.bit_generator) is getattr(np.random, type(v.bit_generator).__name__):
            return {"rng": type(v.bit_generator).__name__, "st": self.value(v.bit_generator.state)}
        if isinstance(v, pathlib.PurePath):
            return {"pa": str(v)}
        for scalar in (bool, int, float, str):   # subclasses of the scalars become the scalars
            if isinstance(v, scalar):
                return scalar(v)
        if isinstance(v, (tuple, list, dict, set, frozenset)) and self.depth >= MAX_NESTING:
            return self.other(v, self)   # a list nested 1000 deep: what JSON cannot nest, by reference
        if isinstance(v, tuple) and not hasattr(v, "_fields"):
            return {"t": self._items(v)}
        if isinstance(v, list):
            return {"l": self._items(v)}
        if isinstance(v, dict) and type(v).__module__ in ("builtins", "collections"):
            self.depth += 1
            try:
                return {"d": [[self.value(k), self.value(x)] for k, x in v.items()]}
            finally:
                self.depth -= 1
        if isinstance(v, (set, frozenset)):
            return {"s": self._items(v), "f": isinstance(v, frozenset)}
        if isinstance(v, (bytes, bytearray)):
            return {"y": base64.b64encode(bytes(v)).decode()}
        if isinstance(v, complex):
            return {"c": [v.real, v.imag]}
        if t is slice:
            return {"sl": [self.value(v.start), self.value(v.stop), self.value(v.step)]}
        if v is Ellipsis:
            return {"el": 0}
        if isinstance(v, np.dtype) and v.kind in _SAFE_KINDS and v.fields is None:
            return {"dt": v.str}
        if isinstance(v, type) and issubclass(v, np.generic) and getattr(np, v.__name__, None) is v:
            return {"ty": v.__name__}
        if isinstance(v, type) and (BUILTIN_TYPES.get(v.__name__) is v or (
                issubclass(v, BaseException) and getattr(builtins, v.__name__, None) is v)):
            return {"ty": "builtins." + v.__name__}
        return self.other(v, self)


class Decoder:
    """Turns JSON + buffers back into values; `other(obj)` decodes the {"o": ...} objects.

    `blind` (tito grade's check of which tests measure values), the set of the arrays this
    side sent (Encoder's `given`), makes every array that is not one of those, every float,
    complex and NumPy scalar, and every int in a list, zero of its type: what code that
    computes nothing would give, returning zeros or the arrays it was given. Other ints and
    bools (shapes, lengths, flags), strings and objects are unchanged."""

    def __init__(self, buffers, other, array=None, blind: set | None = None):
        self.buffers, self.other, self.array, self.blind = buffers, other, array, blind

    def _buffer(self, index):
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise WireError("bad buffer index")
        return self.buffers[index]

    def value(self, v):
        t = type(v)
        if t is float and self.blind is not None:
            return 0.0
        if v is None or t is bool or t is int or t is float or t is str:
            return v
        if t is list:
            raise WireError("untagged list")
        if t is not dict or len(v) == 0:
            raise WireError("bad value")
        if "o" in v:
            return self.other(v, self)
        if "a" in v:
            dtype = safe_dtype(v.get("dt"))
            shape = v.get("sh")
            if type(shape) is not list or len(shape) > 64 or not all(type(n) is int and n >= 0 for n in shape):
                raise WireError("bad shape")
            data = self._buffer(v["a"])
            count = math.prod(shape)
            if count * dtype.itemsize != len(data):
                raise WireError("buffer does not match its shape")
            array = np.frombuffer(data, dtype=dtype, count=count).reshape(shape).copy() if count else \
                np.empty(shape, dtype)
            if dtype.kind == "b":  # a bool array holds only 0 and 1, whatever bytes were sent
                array = array.view(np.uint8).astype(np.bool_)   # astype: a 0-d array stays an array
            if self.blind is not None and (not array.ndim or given_key(array) not in self.blind):
                array = np.zeros_like(array)
            return self.array(array, v) if self.array else array
        if "g" in v:
            dtype = safe_dtype(v.get("dt"))
            data = self._buffer(v["g"])
            if len(data) != dtype.itemsize:
                raise WireError("bad scalar")
            return np.zeros((), dtype)[()] if self.blind is not None else np.frombuffer(data, dtype=dtype)[0]
        if "rng" in v:   # a new Generator of a bit generator NumPy names, in the state sent
            name = v["rng"]
            if type(name) is not str or name not in RNG_NAMES:
                raise WireError("unknown bit generator")
            state = Decoder(self.buffers, self.other).value(v.get("st"))   # a state, never blinded
            if type(state) is not dict or state.get("bit_generator") != name:
                raise WireError("bad generator state")
            generator = np.random.Generator(getattr(np.random, name)())
            try:
                generator.bit_generator.state = state
            except (TypeError, ValueError, KeyError, OverflowError):
                raise WireError("bad generator state") from None
            return generator
        if "pa" in v:
            if type(v["pa"]) is not str:
                raise WireError("bad path")
            return pathlib.Path(v["pa"])
        if "t" in v:
            return tuple(self.value(x) for x in self._list(v["t"]))
        if "l" in v:
            return [0 if self.blind is not None and type(x) is int else self.value(x) for x in self._list(v["l"])]
        if "d" in v:
            out = {}
            for pair in self._list(v["d"]):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("bad dict item")
                out[self.value(pair[0])] = self.value(pair[1])
            return out
        if "s" in v:
            items = [self.value(x) for x in self._list(v["s"])]
            return frozenset(items) if v.get("f") else set(items)
        if "y" in v:
            return base64.b64decode(str(v["y"]))
        if "c" in v:
            re, im = self._list(v["c"])
            return 0j if self.blind is not None else complex(float(re), float(im))
        if "sl" in v:
            return slice(*(self.value(x) for x in self._list(v["sl"])))
        if "el" in v:
            return Ellipsis
        if "dt" in v:
            return safe_dtype(v["dt"])
        if "ty" in v:
            name = str(v["ty"])
            if name.startswith("builtins."):
                kind = BUILTIN_TYPES.get(name[9:])
                found = getattr(builtins, name[9:], None) if name[9:].isidentifier() else None
                if kind is None and isinstance(found, type) and issubclass(found, BaseException):
                    kind = found
                if kind is None:
                    raise WireError(f"unknown type {name!r}")
                return kind
            return numpy_type(name)
        raise WireError("unknown value tag")

    @staticmethod
    def _list(x):
        if type(x) is not list:
            raise WireError("expected a list")
        return x


class Reader:
    """Reads messages from a pipe with as few system calls as it can: a small message (the
    usual request or answer) is one read, not one per length field and buffer."""

    def __init__(self, fd: int):
        self.fd = fd
        self.pending = bytearray()

    def read(self, size: int) -> bytes:
        while len(self.pending) < size:
            chunk = os.read(self.fd, min(max(size - len(self.pending), 1 << 16), 1 << 24))
            if not chunk:
                raise EOFError("the other side closed the connection")
            self.pending += chunk
        data = bytes(self.pending[:size])
        del self.pending[:size]
        return data


def send(fd: int, header: dict, buffers=()) -> None:
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [struct.pack("<I", len(head)), head]
    for buffer in buffers:
        parts.append(struct.pack("<Q", len(buffer) if not isinstance(buffer, memoryview) else buffer.nbytes))
        parts.append(buffer)
    parts.insert(0, struct.pack("<I", len(buffers)))
    if sum(p.nbytes if isinstance(p, memoryview) else len(p) for p in parts) < (1 << 20):
        parts = [b"".join(parts)]   # a small message: one write
    for part in parts:
        _write_all(fd, part)


def _write_all(fd: int, data) -> None:
    view = memoryview(data).cast("B")
    while view:
        written = os.write(fd, view)
        view = view[written:]


def receive(reader: Reader, limit: int = MAX_MESSAGE) -> tuple[dict, list[bytes]]:
    (count,) = struct.unpack("<I", reader.read(4))
    (size,) = struct.unpack("<I", reader.read(4))
    if size > MAX_HEADER or count > 1 << 20:
        raise WireError("message header too large")
    try:
        header = json.loads(reader.read(size))
    except ValueError:
        raise WireError("message header is not JSON") from None
    if type(header) is not dict:
        raise WireError("message header is not an object")
    buffers, total = [], 0
    for _ in range(count):
        (length,) = struct.unpack("<Q", reader.read(8))
        total += length
        if total > limit:
            raise WireError("message too large")
        buffers.append(reader.read(length))
    return header, buffers
