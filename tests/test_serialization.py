"""tinytorch.save / tinytorch.load: round trips, and a file that cannot run code."""
from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import tinytorch
from tinytorch.core.tensor import Tensor


def test_round_trip_keeps_types_values_and_dtypes(tmp_path):
    state = {
        "weight": Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "mask": np.array([True, False]),
        "steps": np.int64(7), 3: [0.1, float("nan"), float("inf"), -0.0, 1e-310],
        "betas": (0.9, 0.999), "name": "adam", "none": None, "big": 2 ** 100,
        "rng": np.random.default_rng(0).bit_generator.state,
    }
    tinytorch.save(state, tmp_path / "s.tt")
    back = tinytorch.load(tmp_path / "s.tt")
    assert set(back) == set(state)
    assert isinstance(back["weight"], Tensor) and back["weight"].dtype == np.float32
    assert np.array_equal(back["weight"].data, state["weight"].data)
    assert back["mask"].dtype == np.bool_ and back["steps"] == 7 and back["steps"].dtype == np.int64
    values = back[3]
    assert values[0] == 0.1 and np.isnan(values[1]) and values[2] == np.inf and values[4] == 1e-310
    assert str(values[3]) == "-0.0"
    assert back["betas"] == (0.9, 0.999) and back["name"] == "adam" and back["none"] is None
    assert back["big"] == 2 ** 100 and back["rng"] == state["rng"]


def test_what_cannot_be_saved_without_code_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"\['layer'\] is a object"):
        tinytorch.save({"layer": object()}, tmp_path / "x.tt")
    with pytest.raises(TypeError, match="dtype object"):
        tinytorch.save([np.array([{}], dtype=object)], tmp_path / "x.tt")
    assert not (tmp_path / "x.tt").exists(), "a refused save writes nothing"


def test_loading_never_unpickles(tmp_path):
    ran = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    path = tmp_path / "evil.tt"
    buffer = io.BytesIO()
    np.save(buffer, np.array([Exploit()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("structure.json", json.dumps({"format": "tinytorch-save", "version": 1,
                                                       "object": {"__array__": 0}}))
        archive.writestr("a0.npy", buffer.getvalue())
    with pytest.raises(ValueError, match="not a file written by tinytorch.save"):
        tinytorch.load(path)
    assert not ran.exists(), "loading ran code from the file"
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(ValueError, match="not a file written by tinytorch.save"):
        tinytorch.load(pickled)
    with pytest.raises(FileNotFoundError):
        tinytorch.load(tmp_path / "missing.tt")
