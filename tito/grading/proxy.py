"""The trusted side: `tinytorch` in the judge is a proxy of the package the worker imported.

`install(judge)` puts a finder first on `sys.meta_path`, so `import tinytorch...` in the
tests gives proxy modules. What the tests get from them:

- plain data (numbers, strings, tuples, lists, dicts, dtypes, base `ndarray`s) as values
  of their own, decoded by `tito.grading.wire`;
- learner objects (a Tensor, a Module, an optimizer, a function) as handles: attribute
  reads and writes, calls, operators, `len`, iteration, `with`, `repr` go to the worker;
  `isinstance` and `type(...) is` work against the proxied classes, whose bases mirror the
  learner's;
- exceptions raised by learner code as the matching builtin (or NumPy, or the proxied
  tinytorch class), with the same message; warnings as warnings (the tests' filters apply);
- classes the tests derive from learner classes (`class Net(nn.Module)`): the worker makes
  the matching subclass, whose methods call back into the judge.

Dunder attributes a handle does not forward (so NumPy here never reads a learner's
`__array_interface__`, i.e. memory) are answered locally with AttributeError.
"""
from __future__ import annotations

import builtins
import contextlib
import importlib.abc
import importlib.machinery
import inspect
import os
import sys
import types
import warnings
import weakref

import numpy as np

from tito.grading.peer import Peer
from tito.grading.wire import Decoder, WireError, object_path

JUDGE, WORKER = "j", "w"
DEFAULT_ERRSTATE = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
FORWARDED_DUNDERS = {"__doc__", "__name__", "__qualname__", "__module__", "__self__", "__func__",
                     "__wrapped__", "__defaults__", "__kwdefaults__"}
_TRUSTED_MODULES = {"builtins": builtins, "numpy": np, "numpy.exceptions": getattr(np, "exceptions", np),
                    "numpy.linalg": np.linalg}
_NOT_RAISED_AS_IS = {SystemExit, KeyboardInterrupt, GeneratorExit}
_EMPTY = inspect.Parameter.empty

JUDGE_PEER: Judge | None = None


class WorkerGone(RuntimeError):
    """The submission's process ended (it exited, was killed, or broke the protocol)."""


def _judge() -> Judge:
    if JUDGE_PEER is None:
        raise RuntimeError("no submission is connected")
    return JUDGE_PEER


def _trusted_class(names, base=BaseException):
    for name in names if type(names) is list else []:
        module, _, qualname = str(name).rpartition(".")
        namespace = _TRUSTED_MODULES.get(module)
        found = getattr(namespace, qualname, None) if namespace is not None and qualname.isidentifier() else None
        if isinstance(found, type) and issubclass(found, base):
            return found
    return None


# ---- handles ------------------------------------------------------------------------------
class Mirror(type):
    """The metaclass of proxied learner classes and of the tests' subclasses of them."""

    def __new__(mcls, name, bases, namespace, info=None):
        namespace = dict(namespace)
        if info is None:  # a class statement in the tests, on top of proxied classes
            namespace.setdefault("__slots__", ())
        cls = super().__new__(mcls, name, bases, namespace)
        cls._tt_info = info
        cls._tt_keys = {}   # generation -> the worker's id of the matching class
        cls._tt_judge = info is None
        return cls

    def __init__(cls, name, bases, namespace, info=None):
        super().__init__(name, bases, namespace)

    def __call__(cls, *args, **kwargs):
        return _judge().request("call", [cls, args, kwargs])

    @property
    def __signature__(cls):
        return _judge().signature(cls)

    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _judge().request("getattr", [cls, name])


class _Attribute:
    """A name found in a learner class's own namespace (a method, a property, ...)."""

    def __init__(self, name: str, method: bool = False):
        self.name, self.method = name, method

    def __set_name__(self, owner, name):
        self.owner = owner

    def __get__(self, obj, owner=None):
        judge = _judge()
        first = next((k for k in (type(obj) if obj is not None else owner).__mro__ if self.name in vars(k)), None)
        if first is self.owner:   # a plain attribute read: the learner's own rules apply
            if self.method and obj is not None:
                return _Method(obj, self.name)   # resolved in the worker when called: one round trip
            return judge.request("getattr", [obj if obj is not None else owner, self.name])
        return judge.request("getattr_from", [self.owner, obj, self.name])   # super().name


class _Method:
    """`obj.name`, a method of a learner class, looked up and called in the worker on call."""

    __slots__ = ("obj", "name")

    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __call__(self, *args, **kwargs):
        return _judge().request("callmethod", [self.obj, self.name, args, kwargs])

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__") and attr not in FORWARDED_DUNDERS:
            raise AttributeError(attr)
        return getattr(_judge().request("getattr", [self.obj, self.name]), attr)

    @property
    def __signature__(self):
        return _judge().signature(_judge().request("getattr", [self.obj, self.name]))

    def __repr__(self):
        return f"<method {self.name} of a submission object>"


def _binary(name, reflected=False):
    if reflected:
        def method(self, other):
            return _judge().request("binary", [name, other, self])
    else:
        def method(self, other):
            return _judge().request("binary", [name, self, other])
    return method


def _unary(name):
    def method(self):
        return _judge().request("unary", [name, self])
    return method


class Handle(metaclass=Mirror, info={"name": "Handle"}):
    """A learner object that stays in the worker."""

    __slots__ = ("_tt_key", "_tt_snap", "__weakref__")
    __array_ufunc__ = None     # NumPy defers to the learner's operators, as with a Tensor

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in FORWARDED_DUNDERS:
            raise AttributeError(name)
        judge = _judge()
        try:
            epoch, seen = object.__getattribute__(self, "_tt_snap")
        except AttributeError:
            epoch, seen = None, None
        if epoch == judge.epoch and name in seen:
            return seen[name]
        return judge.request("getattr", [self, name])

    def __setattr__(self, name, value):
        _judge().request("setattr", [self, name, value])

    def __delattr__(self, name):
        _judge().request("delattr", [self, name])

    def __call__(self, *args, **kwargs):
        return _judge().request("call", [self, args, kwargs])

    def __setitem__(self, key, value):
        _judge().request("setitem", [self, key, value])

    def __array__(self, dtype=None, copy=None):
        array = _judge().request("array", [self, None if dtype is None else np.dtype(dtype)])
        return array.copy() if copy else array   # np.array(obj) asks for a copy and trusts it got one

    def __exit__(self, *exc):
        return _judge().request("unary", ["exit", self])

    def __repr__(self):
        try:
            return _judge().request("unary", ["repr", self])
        except Exception as exc:  # noqa: BLE001 - a repr must not fail inside pytest's report
            return f"<{type(self).__name__} of the submission ({type(exc).__name__}: {exc})>"

    def __str__(self):
        return _judge().request("unary", ["str", self])

    def __format__(self, spec):
        return _judge().request("binary", ["format", self, spec])

    def __round__(self, n=None):
        return _judge().request("binary", ["round", self, n])

    def __dir__(self):
        return _judge().request("unary", ["dir", self])

for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift", "divmod"):
    _op = _name + "_" if _name in ("and", "or") else _name
    setattr(Handle, f"__{_name}__", _binary(_op))
    setattr(Handle, f"__r{_name}__", _binary(_op, reflected=True))
    if _name != "divmod":
        setattr(Handle, f"__i{_name}__", _binary("i" + _op if _name not in ("and", "or") else "i" + _name))
for _name in ("lt", "le", "eq", "ne", "gt", "ge", "getitem", "delitem"):
    setattr(Handle, f"__{_name}__", _binary(_name))
Handle.__contains__ = lambda self, item: _judge().request("binary", ["contains", self, item])
for _name in ("neg", "pos", "abs", "invert", "index", "len", "iter", "next", "bool", "hash", "float",
              "int", "complex", "reversed", "enter"):
    setattr(Handle, f"__{_name}__", _unary(_name))


class ProxyModule(types.ModuleType):
    """A module of the submission's package.

    Its functions, classes and submodules are remembered once read (per run of the
    worker), so `activations.relu(...)` in a loop costs one round trip, not two.
    """

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in ("__all__", "__doc__"):
            raise AttributeError(name)
        judge = _judge()
        cache = self.__dict__.setdefault("_tt_cache", {})
        known = cache.get(name)
        if known is not None and known[0] == judge.generation and judge.process is not None:
            return known[1]
        value = judge.request("getattr", [self, name])
        if isinstance(value, (Mirror, ProxyModule)) or (isinstance(value, RemoteFunction) and value._tt_path):
            cache[name] = (judge.generation, value)
        return value

    def __setattr__(self, name, value):
        if (name.startswith("__") and name.endswith("__")) or isinstance(value, ProxyModule):
            super().__setattr__(name, value)   # the import system's own bookkeeping
        else:
            self.__dict__.get("_tt_cache", {}).pop(name, None)
            _judge().request("setattr", [self, name, value])

    def __delattr__(self, name):
        self.__dict__.get("_tt_cache", {}).pop(name, None)
        _judge().request("delattr", [self, name])

    def __dir__(self):
        return _judge().request("unary", ["dir", self])


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name != "tinytorch" and not name.startswith("tinytorch."):
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        _judge().request("import", [spec.name])   # the learner's import errors, raised here
        module = ProxyModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def install(judge: Judge) -> None:
    """Make `import tinytorch` in this process mean the submission's package, via `judge`."""
    global JUDGE_PEER
    JUDGE_PEER = judge
    for name in [n for n in sys.modules if n == "tinytorch" or n.startswith("tinytorch.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _Finder())


# ---- the judge's end of the wire -------------------------------------------------------------
class Judge(Peer):
    """Talks to one worker at a time; starts a fresh one (a new generation) after one ends."""

    def __init__(self, start, max_restarts: int = 10, limit_mb: int | None = None, blind: bool = False):
        super().__init__(-1, -1)
        self.blind = set() if blind else None
        if limit_mb:   # no message larger than the worker's own memory: it cannot exhaust the judge's
            self.limit = limit_mb << 20
        self.start, self.max_restarts = start, max_restarts
        self.generation, self.starts, self.process = 0, 0, None
        self.ended: list[str] = []          # how each worker that ended did so
        self.handles: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.classes: dict = {}             # (generation, id) -> mirror class
        self.named: dict = {}               # (module, qualname) -> mirror class or function proxy
        self.depth = 0
        self.epoch = 0                      # requests sent so far: a snapshot is valid until the next

    # -- the worker's life ----------------------------------------------------------------------
    def _ensure(self) -> None:
        if self.process is not None:
            return
        if self.starts > self.max_restarts:
            raise WorkerGone(f"the submission's process ended {len(self.ended)} times "
                             f"({'; '.join(dict.fromkeys(self.ended))}); it is not started again")
        self.starts += 1
        self.generation += 1
        for table in (self.lent, self.releases, self.copies, self.copy_of, self.received, self.lists,
                      self.lent_arrays):   # nothing of an ended worker's objects is kept
            table.clear()
        self.process, self.rfd, self.wfd = self.start()

    def _gone(self, problem: str) -> WorkerGone:
        process, self.process = self.process, None
        how = process.end(expect_exit=True) if process is not None else "ended"
        self._close_pipes()
        self.ended.append(how)
        return WorkerGone(f"the submission's process {how}" + (f" ({problem})" if problem else ""))

    def _close_pipes(self) -> None:
        for fd in (self.rfd, self.wfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.rfd = self.wfd = -1
        self.reader = None   # a new worker's pipe may get the same number: nothing of the old one is kept

    def close(self) -> None:
        if self.process is not None:
            self.process.end()
            self.process = None
            self._close_pipes()

    def request(self, op, payload):
        self._ensure()
        generation = self.generation
        self.epoch += 1
        self.depth += 1
        try:
            return super().request(op, payload)
        except (EOFError, OSError) as exc:
            if self.generation != generation or self.process is None:
                raise
            raise self._gone("" if isinstance(exc, EOFError) else str(exc)) from None
        except WireError as exc:
            if self.generation == generation and self.process is not None:
                raise self._gone(f"it broke the protocol: {exc}") from None
            raise
        finally:
            self.depth -= 1

    def before_request(self, header: dict) -> None:
        state = np.geterr()
        if state != DEFAULT_ERRSTATE:
            header["np"] = state

    # -- encoding -------------------------------------------------------------------------------
    def encode_object(self, obj, encoder=None) -> dict:
        if isinstance(obj, ProxyModule):
            return {"o": 0, "by": WORKER, "mod": obj.__name__}
        if isinstance(obj, Mirror):
            return self._encode_class(obj)
        if isinstance(obj, type) and isinstance(vars(obj).get("_tt_info"), dict) and obj._tt_info.get("path"):
            return {"o": 0, "by": WORKER, "path": list(obj._tt_info["path"])}
        if isinstance(obj, (Handle, RemoteFunction)):
            key = object.__getattribute__(obj, "_tt_key")
            if isinstance(obj, RemoteFunction) and obj._tt_path is not None:
                return {"o": 0, "by": WORKER, "path": list(obj._tt_path)}
            if key[0] != self.generation:
                raise WorkerGone("this object was made by an earlier run of the submission, which ended")
            return {"o": key[1], "by": WORKER}
        if type(obj) is np.ndarray and obj.dtype.hasobject and encoder is not None and obj.size <= 1 << 16:
            # the tests' object array (Tensor(np.array([1, None], dtype=object))): its items, one by one;
            # only the worker makes an object array from them (nothing the worker sends can be one)
            return {"o": 0, "by": JUDGE, "oa": [encoder.value(x) for x in obj.reshape(-1).tolist()],
                    "sh": list(obj.shape)}
        tag = {"o": self.lend(obj), "by": JUDGE}
        if callable(getattr(type(obj), "__array__", None)):   # a PyTorch tensor: np.asarray reads it there
            tag["arr"] = 1
        name = getattr(obj, "__name__", None) if callable(obj) else None
        if type(name) is str:  # so that functools.wraps in learner code (a decorator) keeps it
            tag["name"], tag["qualname"] = name, str(getattr(obj, "__qualname__", name))
        return tag

    def _encode_class(self, cls) -> dict:
        info = cls._tt_info
        if info is not None and info.get("path"):
            return {"o": 0, "by": WORKER, "path": list(info["path"])}
        key = cls._tt_keys.get(self.generation)
        if key is None and cls._tt_judge:
            self._subclass(cls)
            key = cls._tt_keys.get(self.generation)
        if key is None:
            raise WorkerGone(f"class {cls.__name__} was made by an earlier run of the submission, which ended")
        return {"o": key, "by": WORKER}

    def _subclass(self, cls) -> None:
        methods, properties = [], []
        for name, value in vars(cls).items():
            if name in ("__module__", "__qualname__", "__doc__", "__slots__", "__dict__", "__weakref__",
                        "__classcell__", "_tt_info", "_tt_keys", "_tt_judge", "__new__", "__init_subclass__"):
                continue
            if isinstance(value, property):
                properties.append(name)
            elif callable(value):
                methods.append(name)
        bases = [b for b in cls.__bases__ if isinstance(b, Mirror) and b is not Handle]
        child = self.request("subclass", [_Lent(cls), cls.__name__, cls.__qualname__, str(cls.__module__),
                                          bases, methods, properties])
        if child is not cls:
            raise WorkerGone("the submission did not make the subclass the tests asked for")

    # -- decoding -------------------------------------------------------------------------------
    def decode_object(self, tag: dict, decoder=None):
        key, by = tag.get("o"), tag.get("by")
        if type(key) is not int:
            raise WireError("bad object reference")
        if by == JUDGE:
            obj = self.lent_object(key)
            return obj.obj if isinstance(obj, _Lent) else obj
        if by != WORKER:
            raise WireError("bad object owner")
        full = (self.generation, key)
        if "lst" in tag:   # a list a learner object holds: a list here, kept in step with it
            items = decoder.value(tag["lst"]) if decoder is not None else None
            if type(items) is not list:
                raise WireError("bad list")
            known = self.lists.get(key)
            if known is None:
                self.lists[key] = (items, list(items))
                return items
            known[0][:] = items
            self.lists[key] = (known[0], list(items))
            return known[0]
        if "cls" in tag:
            return self._decode_class(full, tag["cls"])
        if "mod" in tag:
            name = str(tag["mod"])
            module = sys.modules.get(name)
            if isinstance(module, ProxyModule):
                return module
            if name == "tinytorch" or name.startswith("tinytorch."):
                return importlib.import_module(name)
            return self._handle(full, Handle)
        if "fn" in tag:
            if tag.get("path") is not None:
                path = object_path(tag["path"])
                if path is None:
                    raise WireError("bad path")
                if path not in self.named:
                    self.named[path] = RemoteFunction(full, str(tag["fn"]), path)
                return self.named[path]
            return self._handle(full, RemoteFunction, str(tag["fn"]))
        if "c" in tag:
            cls = self.decode_object(tag["c"], decoder) if type(tag["c"]) is dict else None
            if isinstance(cls, type) and issubclass(cls, BaseException):
                cls = Handle   # an exception object handed back as a value
            if not isinstance(cls, Mirror):
                raise WireError("an object without a class")
            handle = self._handle(full, cls)
            if "snap" in tag:
                seen = decoder.value(tag["snap"]) if decoder is not None else None
                if type(seen) is dict:
                    object.__setattr__(handle, "_tt_snap", (self.epoch, seen))
            return handle
        raise WireError("unknown object")

    def _handle(self, full, cls, name=None):
        self.received[full[1]] = self.received.get(full[1], 0) + 1
        existing = self.handles.get(full)
        if existing is not None and type(existing) is cls:
            return existing
        obj = object.__new__(cls) if cls is not RemoteFunction else RemoteFunction(full, name, None)
        object.__setattr__(obj, "_tt_key", full)
        self.handles[full] = obj
        weakref.finalize(obj, self._handle_gone, self.generation, full[1])
        return obj

    def _handle_gone(self, generation, key) -> None:
        if generation == self.generation:
            self.let_go(key)

    def _decode_class(self, full, info):
        if info is None:
            known = self.classes.get(full)
            if known is None:
                raise WireError("a class that was never described")
            return known
        if type(info) is not dict:
            raise WireError("bad class description")
        if info.get("judge") is not None:
            lent = self.lent_object(info["judge"])
            cls = lent.obj if isinstance(lent, _Lent) else None
            if not isinstance(cls, Mirror) or not cls._tt_judge:
                raise WireError("not one of the tests' classes")
            cls._tt_keys[self.generation] = full[1]
            self.classes[full] = cls
            return cls
        path = object_path(info.get("path"))
        cls = self.named.get(path) if path else None
        if cls is None:
            cls = self._mirror(info, path)
            if path:
                self.named[path] = cls
        cls._tt_keys[self.generation] = full[1]
        self.classes[full] = cls
        return cls

    def _mirror(self, info: dict, path):
        name = str(info.get("name", "object"))
        name = name if name.isidentifier() else "object"
        decoder = Decoder([], self.decode_object)
        bases = [decoder.value(b) for b in info.get("bases", []) if type(b) is dict] \
            if type(info.get("bases")) is list else []
        exc = _trusted_class([info.get("exc")]) if info.get("exc") else None
        namespace = {"__module__": str(info.get("module", "")), "__qualname__": str(info.get("qualname", name))}
        if exc is not None:   # a learner exception class: a real exception class here
            bases = [b for b in bases if isinstance(b, type) and issubclass(b, BaseException)] or [exc]
            cls = type(name, tuple(bases), namespace)
            cls._tt_info, cls._tt_keys, cls._tt_judge = dict(info, path=list(path) if path else None), {}, False
            return cls
        bases = [b for b in bases if isinstance(b, Mirror) and not (b._tt_info or {}).get("exc")] or [Handle]
        namespace["__slots__"] = ()
        if info.get("idhash") is True:   # hashed by identity there: one handle is one object, so here too
            namespace["__hash__"] = object.__hash__
        methods = set(info.get("methods", [])) if type(info.get("methods")) is list else set()
        for attr in info.get("names", []) if type(info.get("names")) is list else []:
            if type(attr) is str and attr.isidentifier() and attr not in namespace and not attr.startswith("_tt_") \
                    and (attr == "__init__" or not attr.startswith("__")):  # `__class__` would fool isinstance
                namespace[attr] = _Attribute(attr, method=attr in methods and attr != "__init__")
        info = dict(info, path=list(path) if path else None)
        try:
            return Mirror(name, tuple(bases), namespace, info=info)
        except TypeError:   # bases in an order Python cannot linearise here
            return Mirror(name, (Handle,), namespace, info=info)

    # -- answers --------------------------------------------------------------------------------
    def answer(self, header: dict, buffers: list):
        decoder = self.decoder(buffers)
        for item in header.get("w", []) if type(header.get("w")) is list else []:
            if type(item) is list and len(item) == 4:
                category = _trusted_class(item[0], Warning) or UserWarning
                line = int(item[3]) if type(item[3]) is int else 0
                warnings.warn_explicit(str(item[1]), category, str(item[2]), line)
        if "x" in header:
            raise self._exception(header["x"], decoder)
        return decoder.value(header.get("v"))

    def _exception(self, info, decoder) -> BaseException:
        if type(info) is not dict:
            return WorkerGone("the submission's process sent a broken error")
        if info.get("ref") is not None:   # the tests' own exception, back through learner code
            with contextlib.suppress(WireError):
                original = self.lent_object(info["ref"])
                if isinstance(original, BaseException):
                    return original
        message = str(info.get("msg", ""))[:4000]
        cls = None
        if info.get("cls") is not None:
            with contextlib.suppress(WireError):
                cls = decoder.value(info["cls"])
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            cls = _trusted_class(info.get("types")) or RuntimeError
        if cls in _NOT_RAISED_AS_IS or not issubclass(cls, Exception):
            error = RuntimeError(f"the submission raised {cls.__name__}({message})")
        else:
            try:
                args = decoder.value(info["args"]) if info.get("args") is not None else [message]
                error = cls(*args) if type(args) is list else cls(message)
                if str(error) != message:
                    error = cls(message)
            except Exception:  # noqa: BLE001 - a class that wants other arguments
                error = RuntimeError(f"{cls.__name__}: {message}")
        if info.get("where"):
            error.add_note(f"(raised in the submission at {str(info['where'])[:300]})")
        return error

    def signature(self, obj) -> inspect.Signature:
        blind, self.blind = self.blind, None   # defaults are the API, not values learner code computed
        try:
            described = self.request("signature", [obj])
        finally:
            self.blind = blind
        return inspect.Signature([inspect.Parameter(str(name), inspect._ParameterKind(int(kind)),
                                                    default=default if has_default else _EMPTY)
                                  for name, kind, has_default, default in described])

    # -- what the worker may ask: call or iterate what the tests lent it ----------------------------
    def serve(self, header: dict, buffers: list) -> None:
        seq = header.get("q")
        encoder = self.encoder()
        try:
            args = self.decoder(buffers).value(header.get("v"))
            op = header.get("op")
            if op == "call":
                target, call_args, kwargs = args
                result = target(*call_args, **kwargs)
            elif op == "iter":
                result = iter(args[0])
            elif op == "next":
                result = next(args[0])
            elif op == "array":   # np.asarray in learner code, of an array-like of the tests
                result = np.asarray(args[0]) if args[1] is None else np.asarray(args[0], dtype=args[1])
                if result.dtype.hasobject:
                    raise TypeError(f"{type(args[0]).__name__} is not an array of numbers")
            elif op == "method":
                cls, name, obj, call_args, kwargs = args
                if not isinstance(cls, Mirror) or not cls._tt_judge or name not in vars(cls):
                    raise WireError("not a method of the tests")
                found = vars(cls)[name]
                result = found.fget(obj) if isinstance(found, property) else found(obj, *call_args, **kwargs)
            else:
                raise WireError(f"the worker may not ask {op!r}")
            reply = {"r": seq, "v": encoder.value(result)}
        except WireError:
            raise
        except BaseException as exc:  # the tests' exception travels through learner code and back
            encoder = self.encoder()
            reply = {"r": seq, "x": {"msg": str(exc)[:2000], "ref": self.lend(exc),
                                     "base": not isinstance(exc, Exception)}}
        self.message(reply, encoder)


class _Lent:
    """Wraps a class of the tests lent to the worker (so it is not mistaken for a mirror)."""

    def __init__(self, obj):
        self.obj = obj


class RemoteFunction:
    """A learner function (or bound method) in the worker."""

    __slots__ = ("_tt_key", "_tt_path", "__name__", "__qualname__", "__weakref__")

    def __init__(self, key, name, path):
        object.__setattr__(self, "_tt_key", key)
        object.__setattr__(self, "_tt_path", path)
        object.__setattr__(self, "__name__", name)
        object.__setattr__(self, "__qualname__", path[1] if path else name)

    def __call__(self, *args, **kwargs):
        return _judge().request("call", [self, args, kwargs])

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in FORWARDED_DUNDERS:
            raise AttributeError(name)
        return _judge().request("getattr", [self, name])

    @property
    def __signature__(self):
        return _judge().signature(self)

    def __repr__(self):
        return f"<function {self.__qualname__} of the submission>"
