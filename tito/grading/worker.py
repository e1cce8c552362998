"""The sandboxed side: imports the submission's package and runs what the judge asks.

Started by the judge inside the sandbox as `python -m tito.grading.worker READ_FD WRITE_FD`.
Nothing here decides anything: it imports `tinytorch` (the submission's export), runs the
calls, attribute reads and operators the judge sends, and answers with plain data, with
references to the objects it keeps, or with the exception that was raised. A submission
can change all of this file's behaviour; the judge trusts none of it (see tito.grading).
"""
from __future__ import annotations

import importlib
import inspect
import operator
import os
import sys
import traceback
import types
import warnings
import weakref

import numpy as np

from tito.grading.peer import Peer
from tito.grading.wire import WireError, object_path

JUDGE, WORKER = "j", "w"
ERRSTATE_KEYS = {"divide", "over", "under", "invalid"}
ERRSTATE_VALUES = {"ignore", "warn", "raise", "call", "print", "log"}
DEFAULT_ERRSTATE = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                  types.BuiltinMethodType, types.MethodWrapperType, types.WrapperDescriptorType,
                  types.MethodDescriptorType, types.ClassMethodDescriptorType)

BINARY = {name: getattr(operator, name) for name in (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor",
    "lshift", "rshift", "lt", "le", "eq", "ne", "gt", "ge", "getitem", "contains", "delitem",
    "iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "imatmul", "iand", "ior",
    "ixor", "ilshift", "irshift")}
BINARY.update(divmod=divmod, round=round, format=format)
UNARY = {name: getattr(operator, name) for name in ("neg", "pos", "abs", "invert", "index")}
UNARY.update(len=len, iter=iter, next=next, bool=bool, hash=hash, repr=repr, str=str, float=float,
             int=int, complex=complex, dir=dir, reversed=reversed,
             enter=lambda o: type(o).__enter__(o), exit=lambda o: type(o).__exit__(o, None, None, None))


def _type_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


class JudgeError(Exception):
    """An exception raised by the judge's code (a test's callback) passing through learner code."""


class JudgeBaseError(BaseException):
    """The same for exceptions that are not `Exception`s (pytest's fail, for one)."""


class JudgeObject:
    """An object of the tests lent to learner code: it may only be called or iterated."""

    # __dict__: attributes learner code sets on a test's function (a decorator marking it)
    # stay here, in the worker, and never reach the judge
    __slots__ = ("_ref", "__weakref__", "__name__", "__qualname__", "__dict__")

    def __call__(self, *args, **kwargs):
        return WORKER_PEER.request("call", [self, args, kwargs])

    def __iter__(self):
        return WORKER_PEER.request("iter", [self])

    def __next__(self):
        return WORKER_PEER.request("next", [self])

    def __repr__(self):
        return "<an object of the tests>"


class JudgeArray(JudgeObject):
    """An object of the tests that NumPy can read (a PyTorch tensor): np.asarray gets its values."""

    __slots__ = ()

    def __array__(self, dtype=None, copy=None):
        array = WORKER_PEER.request("array", [self, None if dtype is None else np.dtype(dtype)])
        return array.copy() if copy else array


SNAPSHOT_BYTES = 1 << 20
HELD_LIST_ITEMS = 1 << 12


class _HeldList:
    """A list read as an attribute, sent as a copy that names it (see tito.grading.peer)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


def _plain_attributes(obj) -> dict | None:
    """The instance attributes that are plain data, sent along with a reference so that
    reading `tensor.data` right after a call costs no round trip (valid until the next request)."""
    kind = type(obj)
    if kind.__getattribute__ is not object.__getattribute__:
        return None
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    if type(attributes) is not dict:
        return None
    found, size = {}, 0
    for name, value in attributes.items():
        if type(name) is not str or name.startswith("__"):
            continue
        if type(value) is np.ndarray:
            size += value.nbytes
            if size > SNAPSHOT_BYTES or value.dtype.hasobject:
                continue
        elif not (value is None or type(value) in (bool, int, float, str) or isinstance(value, (np.generic, np.dtype))):
            continue
        if any(name in vars(k) and hasattr(type(vars(k)[name]), "__set__") for k in kind.__mro__):
            continue   # a property of the same name would answer instead
        found[name] = value
    return found


def _named(obj) -> list | None:
    """[module, qualname] when `obj` is importable by that name from the tinytorch package."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    if module != "tinytorch" and not module.startswith("tinytorch."):
        return None
    found = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return [module, qualname] if found is obj else None


def _resolve(path) -> object:
    path = object_path(path)
    if path is None:
        raise WireError("bad path")
    found = importlib.import_module(path[0])
    for part in path[1].split("."):
        found = getattr(found, part)
    return found


class Worker(Peer):
    lends_arrays = True

    def __init__(self, rfd, wfd):
        super().__init__(rfd, wfd)
        self.described: set[int] = set()
        self.permanent: dict[int, object] = {}
        self.judge_objects: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.judge_classes: dict[int, object] = {}
        self.judge_refs: dict[int, int] = {}     # id(class made for the tests) -> the judge's reference

    # -- objects ----------------------------------------------------------------------------
    def encode_object(self, obj, encoder=None) -> dict:
        if type(obj) in (JudgeObject, JudgeArray):
            return {"o": obj._ref, "by": JUDGE}
        if type(obj) is _HeldList:
            return {"o": self.lend(obj.items), "by": WORKER, "lst": encoder.value(list(obj.items))}
        if isinstance(obj, type):
            key = id(obj)
            tag = {"o": key, "by": WORKER, "cls": None}
            if key not in self.described:
                self.described.add(key)
                self.permanent[id(obj)] = obj
                tag["cls"] = self._describe_class(obj)
            return tag
        if isinstance(obj, types.ModuleType):
            self.permanent[id(obj)] = obj
            return {"o": id(obj), "by": WORKER, "mod": obj.__name__}
        path = _named(obj) if isinstance(obj, FUNCTION_TYPES) else None
        if path is not None:
            self.permanent[id(obj)] = obj
            return {"o": id(obj), "by": WORKER, "fn": obj.__name__, "path": path}
        key = self.lend(obj)
        if isinstance(obj, FUNCTION_TYPES):
            return {"o": key, "by": WORKER, "fn": str(getattr(obj, "__name__", "function"))}
        tag = {"o": key, "by": WORKER, "c": self.encode_object(type(obj))}
        seen = _plain_attributes(obj)
        if seen and encoder is not None:
            tag["snap"] = encoder.value(seen)
        return tag

    def _describe_class(self, cls: type) -> dict:
        bases = [{"ty": "builtins." + b.__name__} if b.__module__ == "builtins" else self.encode_object(b)
                 for b in cls.__bases__ if b is not object and
                 (_named(b) is not None or b in self.judge_classes.values()
                  or (issubclass(b, BaseException) and b.__module__ == "builtins"))]
        exc = next((_type_name(k) for k in cls.__mro__ if issubclass(k, BaseException)
                    and k.__module__ == "builtins"), None)
        names = sorted(n for n in vars(cls) if not (n.startswith("__") and n.endswith("__")) or n == "__init__")
        methods = [n for n in names if type(vars(cls)[n]) is types.FunctionType]
        judge = self.judge_refs.get(id(cls))
        return {"name": cls.__name__, "qualname": cls.__qualname__, "module": str(cls.__module__),
                "bases": bases, "exc": exc, "names": names, "methods": methods, "path": _named(cls), "judge": judge,
                "idhash": getattr(cls, "__hash__", None) is object.__hash__}

    def decode_object(self, tag: dict, decoder=None):
        key, by = tag.get("o"), tag.get("by")
        if by == WORKER:
            if "path" in tag:
                return _resolve(tag["path"])
            if "mod" in tag:
                return self._import(tag["mod"])
            if key in self.permanent:
                return self.permanent[key]
            return self.lent_object(key)
        if by != JUDGE or type(key) is not int:
            raise WireError("bad object tag")
        if "oa" in tag:   # an object array of the tests, item by item
            items = [decoder.value(x) for x in tag["oa"]] if decoder is not None else []
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(tag.get("sh", [len(items)]))
        self.received[key] = self.received.get(key, 0) + 1
        existing = self.judge_objects.get(key)
        if existing is not None:
            return existing
        stub = JudgeArray() if tag.get("arr") else JudgeObject()
        stub._ref = key
        if type(tag.get("name")) is str:  # a test's function: its name, for functools.wraps
            stub.__name__, stub.__qualname__ = tag["name"], str(tag.get("qualname", tag["name"]))
        self.judge_objects[key] = stub
        weakref.finalize(stub, self.let_go, key)
        return stub

    # -- serving -------------------------------------------------------------------------
    def serve(self, header: dict, buffers: list) -> None:
        seq = header.get("q")
        state = header.get("np") or DEFAULT_ERRSTATE
        if type(state) is not dict or not set(state) <= ERRSTATE_KEYS or not set(state.values()) <= ERRSTATE_VALUES:
            state = DEFAULT_ERRSTATE
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(**state):
                try:
                    args = self.decoder(buffers).value(header.get("v"))
                    handler = getattr(self, "op_" + str(header.get("op")), None)
                    if handler is None or type(args) is not list:
                        raise WireError(f"unknown request {header.get('op')!r}")
                    result = handler(*args)
                    encoder = self.encoder()
                    reply = {"r": seq, "v": encoder.value(result)}
                except BaseException as exc:  # everything learner code raises goes back to the judge
                    encoder = self.encoder()
                    reply = {"r": seq, "x": self._describe_exception(exc, encoder)}
        if caught:
            reply["w"] = [[[_type_name(k) for k in w.category.__mro__], str(w.message)[:2000],
                           str(w.filename), int(w.lineno or 0)] for w in caught[:100]]
        self.message(reply, encoder)

    def answer(self, header: dict, buffers: list):
        if "x" in header:
            info = header["x"] if type(header["x"]) is dict else {}
            error = (JudgeBaseError if info.get("base") else JudgeError)(str(info.get("msg", "")))
            error.judge_ref = info.get("ref")
            raise error
        return self.decoder(buffers).value(header.get("v"))

    def _describe_exception(self, exc: BaseException, encoder) -> dict:
        info = {"types": [_type_name(k) for k in type(exc).__mro__], "msg": _text(exc)}
        ref = getattr(exc, "judge_ref", None) if isinstance(exc, (JudgeError, JudgeBaseError)) else None
        if ref is not None:
            info["ref"] = ref
        try:
            info["cls"] = encoder.value(type(exc)) if _named(type(exc)) else None
            info["args"] = encoder.value(list(exc.args))
        except Exception:  # noqa: BLE001 - args that cannot cross are left out
            info["args"] = None
        frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
        mine = os.path.dirname(os.path.abspath(__file__))
        outside = [f for f in frames if not f.filename.startswith(mine)]
        if outside:
            last = outside[-1]
            info["where"] = f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"
        return info

    # -- what the judge may ask -----------------------------------------------------------
    def op_import(self, name):
        self._import(name)
        return True

    @staticmethod
    def _import(name):
        if not isinstance(name, str) or not (name == "tinytorch" or name.startswith("tinytorch.")):
            raise ImportError(f"only tinytorch may be imported through the judge, not {name!r}")
        return importlib.import_module(name)

    def op_getattr(self, obj, name):
        found = getattr(obj, name)
        # a list an object holds: lent, so that what the judge does to its copy is done to it
        return _HeldList(found) if type(found) is list and len(found) <= HELD_LIST_ITEMS else found

    def op_getattr_from(self, cls, obj, name):
        """super(): `name` as found on `cls` and its bases, bound to `obj`."""
        for klass in cls.__mro__:
            if name in vars(klass):
                found = vars(klass)[name]
                get = getattr(type(found), "__get__", None)
                return get(found, obj, type(obj) if obj is not None else cls) if get else found
        raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")

    def op_setattr(self, obj, name, value):
        setattr(obj, name, value)

    def op_delattr(self, obj, name):
        delattr(obj, name)

    def op_call(self, fn, args, kwargs):
        return fn(*args, **kwargs)

    def op_callmethod(self, obj, name, args, kwargs):
        return getattr(obj, name)(*args, **kwargs)

    def op_binary(self, name, a, b):
        return BINARY[name](a, b)

    def op_unary(self, name, a):
        return UNARY[name](a)

    def op_setitem(self, obj, key, value):
        obj[key] = value

    def op_array(self, obj, dtype):
        array = np.asarray(obj) if dtype is None else np.asarray(obj, dtype=dtype)
        if array.dtype.hasobject:
            raise TypeError(f"{type(obj).__name__} is not an array of numbers")
        return array

    def op_signature(self, obj):
        signature = inspect.signature(obj)
        empty = inspect.Parameter.empty
        return [[p.name, int(p.kind), p.default is not empty, None if p.default is empty else p.default]
                for p in signature.parameters.values()]

    def op_subclass(self, judge_class, name, qualname, module, bases, methods, properties):
        """A class the tests define on top of learner classes: its methods run in the judge."""
        def method(attr):
            def call(self, *args, **kwargs):
                return WORKER_PEER.request("method", [judge_class, attr, self, args, kwargs])
            call.__name__ = call.__qualname__ = attr
            return call

        namespace = {attr: method(attr) for attr in methods}
        namespace.update({attr: property(method(attr)) for attr in properties})
        namespace.update(__module__=module, __qualname__=qualname)
        cls = type(name, tuple(bases), namespace)
        self.judge_classes[id(cls)] = cls
        self.judge_refs[id(cls)] = judge_class._ref
        self.permanent[id(cls)] = cls
        return cls


def _text(exc: BaseException) -> str:
    try:
        return str(exc)[:4000]
    except Exception:  # noqa: BLE001 - a __str__ that fails
        return f"<{type(exc).__name__}: its message could not be read>"


WORKER_PEER: Worker


def main(argv: list[str]) -> None:
    global WORKER_PEER
    rfd, wfd = int(argv[0]), int(argv[1])
    WORKER_PEER = Worker(rfd, wfd)
    sys.stdin = open(os.devnull)
    while True:
        try:
            header, buffers = WORKER_PEER.take()
        except (EOFError, OSError):
            os._exit(0)
        WORKER_PEER.serve(header, buffers)


if __name__ == "__main__":
    main(sys.argv[1:])
