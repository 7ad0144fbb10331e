""".npz files (round trip, one test per rejected fault) and validation of arrays given in memory."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from mechsparse.data import dataset
from mechsparse.data.dataset import Dataset, load_dataset, save_dataset
from mechsparse.data.synthetic import generate
from mechsparse.theory import graphs

SMALL = graphs.preset("teach-combined")  # 2 latents, 1 action, a temporal graph


# ---------------------------------------------------------------- files: round trip


def _small(with_z: bool = True) -> Dataset:
    ds = generate(SMALL, 30, t=3, dx=4, seed=0, name="small")
    if not with_z:
        ds.z = None
    return ds


def _same(a: Dataset, b: Dataset) -> None:
    for key in dataset.ALLOWED_KEYS:
        left, right = getattr(a, key), getattr(b, key)
        assert (left is None) == (right is None), key
        if left is not None:
            assert left.dtype == right.dtype and np.array_equal(left, right), key


def test_round_trip_through_a_path(tmp_path):
    ds = _small()
    path = tmp_path / "small.npz"
    save_dataset(path, ds)
    assert [p.name for p in tmp_path.iterdir()] == ["small.npz"]
    back = load_dataset(path)
    _same(ds, back)
    assert back.name == "small" and back.info["source"] == "file"


def test_round_trip_through_bytes_and_a_file_object():
    ds = _small(with_z=False)
    raw = dataset.dataset_bytes(ds)
    _same(ds, load_dataset(raw))
    _same(ds, load_dataset(io.BytesIO(raw)))
    assert not load_dataset(raw).has_ground_truth


def test_files_written_by_numpy_savez_load(tmp_path):
    x = np.random.default_rng(0).standard_normal((5, 1, 3))
    np.savez(tmp_path / "mine.npz", x=x)
    np.savez_compressed(tmp_path / "mine_c.npz", x=x)
    for name in ("mine.npz", "mine_c.npz"):
        ds = load_dataset(tmp_path / name)
        assert ds.x.shape == (5, 1, 3) and ds.a is None and ds.z is None


# ---------------------------------------------------------------- files: one test per fault


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _reject(raw: bytes, *needles: str) -> str:
    with pytest.raises(ValueError) as err:
        load_dataset(raw)
    msg = str(err.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg
    return msg


X = np.zeros((4, 2, 3))


def test_rejects_missing_x():
    _reject(_npz(z=X), "missing array 'x'")


def test_rejects_wrong_rank_of_x():
    _reject(_npz(x=np.zeros((4, 3))), "'x'", "3 dimensions")


def test_rejects_wrong_rank_of_a():
    _reject(_npz(x=X, a=np.zeros((4, 2))), "'a'", "3 dimensions")


def test_rejects_wrong_rank_of_a_graph():
    _reject(_npz(x=X, z=X, gz=np.zeros(3)), "'gz'", "2 dimensions")


def test_rejects_mismatched_n():
    _reject(_npz(x=X, z=np.zeros((5, 2, 3))), "'z'", "N = 5", "x has 4")


def test_rejects_mismatched_t():
    _reject(_npz(x=X, a=np.zeros((4, 1, 2))), "'a'", "T = 1", "x has 2")


def test_rejects_nan():
    bad = X.copy()
    bad[1, 1, 1] = np.nan
    _reject(_npz(x=bad), "'x'", "NaN")


def test_rejects_inf():
    bad = X.copy()
    bad[0, 0, 0] = np.inf
    _reject(_npz(x=X, z=bad), "'z'", "infinite")


def test_rejects_non_binary_graph():
    _reject(_npz(x=X, a=np.zeros((4, 2, 2)), ga=np.full((3, 2), 0.5)), "'ga'", "only 0 and 1")


def test_rejects_graph_rows_disagreeing_with_z():
    _reject(_npz(x=X, z=X, gz=np.eye(4)), "'gz'", "4 rows", "dz = 3")


def test_rejects_graph_columns_disagreeing_with_a():
    _reject(_npz(x=X, z=X, a=np.zeros((4, 2, 2)), ga=np.ones((3, 5))), "'ga'", "5 columns", "da = 2")


def test_rejects_action_graph_without_actions():
    _reject(_npz(x=X, ga=np.ones((3, 2))), "'ga'", "no actions")


def test_rejects_non_square_temporal_graph():
    _reject(_npz(x=X, gz=np.ones((3, 2))), "'gz'", "square")


def test_rejects_temporal_graph_on_single_steps():
    _reject(_npz(x=np.zeros((4, 1, 3)), gz=np.eye(2)), "'gz'", "T = 1")


def test_rejects_object_arrays():
    _reject(_npz(x=X, z=np.array([[["a"]]], dtype=object)), "'z'", "Python objects")


def test_rejects_non_numeric_arrays():
    _reject(_npz(x=np.full((2, 1, 2), "text")), "'x'", "numeric")


def test_rejects_unknown_keys():
    _reject(_npz(x=X, labels=np.zeros(4)), "'labels'", "allowed: x, a, z, ga, gz")


def test_rejects_empty_arrays():
    _reject(_npz(x=np.zeros((0, 1, 3))), "'x'", "empty")


def test_rejects_a_file_that_is_not_npz():
    _reject(b"x,y\n1,2\n", "not an .npz archive")
    _reject(b"", "not an .npz archive")


def test_rejects_a_single_npy_array():
    buf = io.BytesIO()
    np.save(buf, X)
    _reject(buf.getvalue(), "single array")


def test_rejects_a_damaged_archive():
    raw = dataset.dataset_bytes(_small())
    msg = _reject(raw[: len(raw) // 2], "npz")
    assert "archive" in msg


def test_rejects_a_zip_that_is_not_npz():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.npy", b"not an array")
    _reject(buf.getvalue(), "'x'", "cannot be read")


def test_missing_path_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_dataset(tmp_path / "nope.npz")


def test_save_refuses_a_dataset_the_loader_would_reject(tmp_path):
    ds = _small()
    ds.x = ds.x.copy()
    ds.x[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="'x'"):
        save_dataset(tmp_path / "bad.npz", ds)
    assert not any(tmp_path.iterdir())
