"""The judge's view of learner code: proxies that behave like the objects, data that cannot lie.

A small package stands in for a submission; one judge process (a subprocess here, so this
test run's own `tinytorch` is untouched) runs every check against it through a worker.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PACKAGE = '''
import os
import warnings

import numpy as np


class Thing:
    def __init__(self, data):
        self.data = np.asarray(data, dtype=float)

    def scale(self, k):
        return Thing(self.data * k)

    def scale_in_place(self, k):
        self.data *= k

    def __add__(self, other):
        return Thing(self.data + (other.data if isinstance(other, Thing) else other))

    __radd__ = __add__

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return iter(self.data.tolist())

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    @property
    def size(self):
        return int(self.data.size)


class Base:
    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return self.forward(x)


class ThingError(ValueError):
    pass


def boom():
    raise ThingError("bad thing")


def missing_key():
    raise KeyError("k")


def warn():
    warnings.warn("careful", RuntimeWarning)
    return 1


def overflow():
    return np.exp(np.float32(100.0))


def liar():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)
    return np.zeros(3).view(Liar)


def objects():
    return np.array([object(), 1], dtype=object)


def apply(fn, x):
    return fn(x)


def double_in_place(a):
    a *= 2


def same(a):
    return a


def die():
    os._exit(3)


class Interface:
    __array_interface__ = {"data": (8, False), "shape": (1 << 20,), "typestr": "<f8", "version": 3}


def interface():
    return Interface()


def decorate(fn):
    """A decorator in learner code (as no_grad() or autograd's differentiable)."""
    import functools

    fn.marked = True

    @functools.wraps(fn)
    def run(*args):
        return fn(*args) * 2
    return run


def is_marked(fn):
    return fn.marked


def kind(v):
    return [type(v).__name__, str(v.dtype), list(v.shape), v.reshape(-1)[1] is None]


def zero_d_bool():
    return np.array(True)


def as_array(value, dtype=None):
    return np.asarray(value, dtype=dtype)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def draw(generator, n):
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a np.random.Generator, not {type(generator).__name__}")
    return generator.permutation(n)


def depth(value):
    count = 0
    while isinstance(value, list) and count <= 64:
        value, count = value[0], count + 1
    return count


class Point:
    def __init__(self, x):
        self.x = np.array([x])

    def __eq__(self, other):
        return self.x == other.x

    __hash__ = object.__hash__


class Recorder(Base):
    def __init__(self):
        super().__init__()
        self.seen = []

    def count(self):
        return len(self.seen)
'''

CHECKS = r'''
import json, os, subprocess, sys, warnings
import numpy as np
import pytest
from tito.grading import proxy

class Process:
    def __init__(self, p): self.p = p
    def end(self, expect_exit=False):
        if not expect_exit: self.p.kill()
        self.p.wait()
        return f"exited with code {self.p.returncode}"

def start():
    a, b = os.pipe(); c, d = os.pipe()
    p = subprocess.Popen([sys.executable, "-m", "tito.grading.worker", str(a), str(d)], pass_fds=(a, d))
    os.close(a); os.close(d)
    return Process(p), c, b

judge = proxy.Judge(start)
proxy.install(judge)
import tinytorch.core.things as things
from tinytorch.core.things import Base, Thing, ThingError

def check_classes_and_identity():
    t = Thing([1, 2])
    assert isinstance(t, Thing) and type(t) is Thing and not isinstance(t, Base)
    import tinytorch.core.things as again
    assert again.Thing is Thing and things.boom is again.boom
    assert t.data is t.data, "one array of the worker is one array here"
    assert things.same(t.data) is t.data

def check_values_are_plain_data():
    t = Thing([1, 2])
    assert type(t.data) is np.ndarray and t.data.dtype == np.float64 and list(t.data) == [1.0, 2.0]
    assert (t + 1).data.tolist() == [2.0, 3.0] and (1 + t).data.tolist() == [2.0, 3.0]
    assert t.scale(3).data.tolist() == [3.0, 6.0] and t.size == 2 and len(t) == 2 and list(t) == [1.0, 2.0]

def check_an_object_array_of_the_tests_reaches_learner_code_as_one():
    assert things.kind(np.array([[1, None]], dtype=object)) == ["ndarray", "object", [1, 2], True]

def check_a_0d_bool_array_arrives_as_an_array():
    got = things.zero_d_bool()
    assert type(got) is np.ndarray and got.shape == () and got.dtype == np.bool_ and bool(got)

def check_an_ndarray_subclass_arrives_as_a_plain_array():
    got = things.liar()
    assert type(got) is np.ndarray and not (got == 1).all()

def check_object_arrays_stay_behind():
    got = things.objects()
    assert not isinstance(got, np.ndarray)
    with pytest.raises(TypeError):
        np.asarray(got)

def check_no_array_interface_is_read_here():
    got = things.interface()
    assert not hasattr(got, "__array_interface__")

def check_exceptions_keep_type_and_message():
    with pytest.raises(ThingError, match="bad thing") as caught:
        things.boom()
    assert isinstance(caught.value, ValueError)
    with pytest.raises(KeyError) as caught:
        things.missing_key()
    assert str(caught.value) == "'k'"
    with pytest.raises(AttributeError):
        things.nothing_here

def check_warnings_and_errstate_cross():
    with pytest.warns(RuntimeWarning, match="careful"):
        assert things.warn() == 1
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            things.overflow()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="warn"):
            with pytest.raises(RuntimeWarning):
                things.overflow()

def check_subclasses_and_callbacks_run_here():
    class Net(Base):
        def __init__(self):
            super().__init__()
            self.scale = 3

        def forward(self, x):
            return x * self.scale

    net = Net()
    assert isinstance(net, Base) and net(2) == 6 and net(5) == 15 and net.calls == 2
    assert things.apply(lambda v: v + 1, 41) == 42
    with pytest.raises(ZeroDivisionError):
        things.apply(lambda v: v / 0, 1)

def check_a_learner_decorator_keeps_the_tests_function_name_and_marks():
    def evaluate(v):
        return v + 1
    wrapped = things.decorate(evaluate)
    assert wrapped.__name__ == "evaluate" and wrapped(1) == 4
    assert things.is_marked(evaluate), "an attribute learner code set on a test's function stays readable there"

def check_an_array_like_of_the_tests_reads_as_its_values_there():
    class Like:   # as a PyTorch tensor: NumPy reads it through __array__
        def __array__(self, dtype=None, copy=None):
            return np.arange(6.0).reshape(2, 3).astype(dtype or np.float64)
    got = things.as_array(Like())
    assert type(got) is np.ndarray and got.shape == (2, 3) and got.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert things.as_array(Like(), np.float32).dtype == np.float32
    assert things.as_array(lambda: 1).shape == (), "an object without __array__ stays an object there"

def check_the_tests_arrays_are_their_own():
    a = np.ones(2)
    things.double_in_place(a)
    assert a.tolist() == [1.0, 1.0], "learner code changed a copy, never the array the judge computes with"
    x = np.arange(3.0)
    t = Thing(x)
    x[1] = -5
    assert t.scale(1).data.tolist() == [0.0, 1.0, 2.0]

def check_in_place_changes_to_learner_arrays_are_seen_both_ways():
    t = Thing([1, 2])
    data = t.data
    t.scale_in_place(10)
    assert t.data.tolist() == [10.0, 20.0] and data.tolist() == [10.0, 20.0]
    data[0] = -1
    assert t.scale(1).data.tolist() == [-1.0, 20.0]

def check_the_tests_writes_into_a_learner_array_reach_learner_code():
    t = Thing(np.arange(3.0))
    got = t.data
    got[2] = 7
    assert t.scale(1).data.tolist() == [0.0, 1.0, 7.0] and things.same(got) is got

def check_np_array_of_a_handle_is_a_copy_np_asarray_is_not():
    t = Thing([1, 2])
    copied = np.array(t)
    copied[0] = 100
    assert t.data[0] == 1
    shared = np.asarray(t)
    shared[0] = 5
    assert t.scale(1).data.tolist() == [5.0, 2.0]

def check_an_identity_hash_is_answered_here():
    a, b = things.Point(1), things.Point(1)
    assert hash(a) == object.__hash__(a) and len({a, b}) == 2 and {a: "a", b: "b"}[a] == "a"

def check_lists_nested_deeper_than_json_cross_by_reference():
    deep = 1.0
    for _ in range(1000):
        deep = [deep]
    assert things.depth(deep) == 65
    assert things.same({"a": [[[1]]]}) == {"a": [[[1]]]}

def check_a_path_crosses_as_a_path():
    import pathlib, tempfile
    target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    back = things.write(target, "hi")
    assert target.read_text() == "hi" and isinstance(back, pathlib.Path) and back == target

def check_a_generator_crosses_by_value_as_a_generator():
    for bits in (np.random.PCG64, np.random.MT19937, np.random.Philox, np.random.SFC64):
        ours, theirs = np.random.Generator(bits(7)), np.random.Generator(bits(7))
        assert things.draw(theirs, 30).tolist() == ours.permutation(30).tolist(), bits.__name__
    assert things.same(np.random.default_rng(3)).permutation(9).tolist() == \
        np.random.default_rng(3).permutation(9).tolist()
    with pytest.raises(TypeError, match="np.random.Generator"):
        things.draw(np.random.RandomState(0), 3)

def check_a_list_a_learner_object_holds_takes_the_tests_changes():
    class Net(things.Recorder):
        def forward(self, x):
            self.seen.append(x)
            return x
    net = Net()
    net(1); net(2)
    assert net.seen == [1, 2] and net.count() == 2
    net.seen.clear()
    assert net.count() == 0 and net.seen == []
    held = net.seen
    held.append(5)
    held[0] = 6
    assert net.count() == 1 and net.seen == [6] and net.seen is held
    plain = things.Recorder()
    plain.seen.append(Thing([1]))
    assert plain.count() == 1 and isinstance(plain.seen[0], Thing)

def check_a_dead_worker_fails_one_call_and_a_new_one_starts():
    with pytest.raises(proxy.WorkerGone, match="code 3"):
        things.die()
    assert Thing([4]).data.tolist() == [4.0]

results = {}
for name, check in list(globals().items()):
    if name.startswith("check_"):
        try:
            check()
            results[name] = "ok"
        except BaseException as exc:
            import traceback
            results[name] = traceback.format_exc()[-1500:]
judge.close()
print(json.dumps(results))
'''
NAMES = [line.split("(")[0][4:] for line in CHECKS.splitlines() if line.startswith("def check_")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    base = tmp_path_factory.mktemp("submission")
    (base / "tinytorch" / "core").mkdir(parents=True)
    (base / "tinytorch" / "__init__.py").write_text("")
    (base / "tinytorch" / "core" / "__init__.py").write_text("")
    (base / "tinytorch" / "core" / "things.py").write_text(PACKAGE)
    (base / "checks.py").write_text(CHECKS)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(base), str(ROOT)]))
    done = subprocess.run([sys.executable, str(base / "checks.py")], capture_output=True, text=True, env=env,
                          cwd=base, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", NAMES)
def test_proxy(outcomes, name):
    assert outcomes[name] == "ok", outcomes[name]


@pytest.mark.parametrize("tag", [
    {"rng": "RandomState", "st": None},
    {"rng": "os.system", "st": None},
    {"rng": "PCG64", "st": {"d": [["bit_generator", "MT19937"]]}},
    {"rng": "PCG64", "st": {"d": [["bit_generator", "PCG64"], ["state", "not a state"]]}},
    {"rng": "PCG64", "st": 3},
])
def test_a_generator_is_only_ever_made_from_numpys_bit_generators_and_a_valid_state(tag):
    from tito.grading.wire import Decoder, WireError
    with pytest.raises(WireError):
        Decoder([], None).value(tag)


def test_a_blind_judge_sees_zeros_except_what_it_gave():
    """tito grade's blind run: every number learner code sends is zero of its type, but data the
    tests gave it comes back as it went (what code computing nothing returns)."""
    import numpy as np

    from tito.grading.wire import Decoder, Encoder

    given: set = set()
    sent = Encoder(None, given=given)
    sent.value([np.arange(3.0), 0.25, np.float32(2)])
    answer = Encoder(None)
    header = answer.value([np.arange(3.0), np.arange(3.0) * 2, 0.25, 0.5, np.float32(2), np.float32(3),
                           (2, 3), [4, 5], True, "text", np.random.default_rng(5)])
    got = Decoder(answer.buffers, None, blind=given).value(header)
    assert got[0].tolist() == [0.0, 1.0, 2.0] and got[1].tolist() == [0.0, 0.0, 0.0] and got[1].dtype == np.float64
    assert got[2:6] == [0.0, 0.0, np.float32(0), np.float32(0)], "a single number is zero, given or not"
    assert got[6:10] == [(2, 3), [0, 0], True, "text"], "shapes, flags and text are not numbers learner code computed"
    assert got[10].permutation(5).tolist() == np.random.default_rng(5).permutation(5).tolist()
