"""Bounded loading: every .npy header is checked against the size limits before any data is decoded, so small or
crafted files end in a one-line ValueError, never a MemoryError; arrays given in memory meet the same limits."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mechsparse.data import dataset
from mechsparse.data.dataset import load_dataset, validate_arrays
from mechsparse.theory import graphs


def _npy_header(shape: tuple[int, ...], descr: str = "<f4", fortran: bool = False) -> bytes:
    """A version 1.0 .npy header, written by hand so it can declare any shape."""
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _npz_member(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _reject(raw: bytes, *needles: str) -> str:
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            load_dataset(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(err.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg
    assert peak < 64 * 2**20, f"refusing the file allocated {peak / 2**20:.0f} MiB"
    return msg


def huge_header_file() -> bytes:
    """236 bytes: x.npy declares 10^12 float64 values (8 TB) and holds none of them."""
    return _zip({"x.npy": _npy_header((1_000_000, 1000, 1000), "<f8")})


def test_a_tiny_file_declaring_a_huge_array_is_refused_before_allocating():
    raw = huge_header_file()
    assert len(raw) == 236
    _reject(raw, "'x'", "too large")


def test_a_compressed_zero_file_above_the_size_limit_is_refused_before_decoding():
    shape = (1_100_000, 1, 128)  # 563 MB of float32 zeros: above MAX_DATASET_BYTES, within rows and dx
    assert np.prod(shape) * 4 > dataset.MAX_DATASET_BYTES
    buf = io.BytesIO()
    zf = zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    with zf, zf.open("x.npy", "w", force_zip64=True) as out:  # streamed: the array never exists in the test
        out.write(_npy_header(shape))
        block = bytes(1 << 22)
        left = int(np.prod(shape)) * 4
        while left:
            out.write(block[: min(left, len(block))])
            left -= min(left, len(block))
    raw = buf.getvalue()
    assert len(raw) < 4 * 2**20
    _reject(raw, "too large", "MiB")


def test_a_huge_observation_size_is_refused():
    x = np.zeros((1, 1, 2_000_000), dtype=np.float32)
    _reject(_npz(x=x), "'x'", "dx = 2,000,000")
    with pytest.raises(ValueError, match="dx = 2,000,000"):
        validate_arrays({"x": x})


def test_latents_without_graphs_are_bounded_like_the_graphs():
    z = np.zeros((2, 1, 5000), dtype=np.float32)
    msg = _reject(_npz(x=np.zeros((2, 1, 5)), z=z), "'z'", "dz = 5,000")
    assert str(graphs.MAX_DIM) in msg
    with pytest.raises(ValueError, match="dz = 5,000"):
        validate_arrays({"x": np.zeros((2, 1, 5)), "z": z})


def test_too_many_actions_are_refused():
    a = np.zeros((2, 1, graphs.MAX_DIM + 1))
    _reject(_npz(x=np.zeros((2, 1, 5)), a=a), "'a'", f"da = {graphs.MAX_DIM + 1}")
    _reject(_npz(x=np.zeros((2, 1, 5)), a=a[..., :2], ga=np.ones((2, 30))), "'ga'")


def test_too_many_rows_are_refused():
    _reject(_zip({"x.npy": _npy_header((dataset.MAX_ROWS + 1, 1, 1))}), "'x'", "rows")


def test_a_header_declaring_less_data_than_the_member_holds_is_damaged():
    raw = _zip({"x.npy": _npy_header((4, 2, 3)) + bytes(2 * 4 * 2 * 3 * 4)})
    _reject(raw, "'x'", "damaged", "96 bytes")


def test_a_header_declaring_more_data_than_the_member_holds_is_damaged():
    raw = _zip({"x.npy": _npy_header((4, 2, 3)) + bytes(10)})
    _reject(raw, "'x'", "damaged")


def test_object_and_text_headers_are_refused_before_reading():
    _reject(_zip({"x.npy": _npy_header((1, 1, 1), "|O")}), "'x'", "Python objects")
    _reject(_zip({"x.npy": _npy_header((1, 1, 1), "<U5")}), "'x'", "numeric")
    _reject(_zip({"x.npy": _npy_header((1, 1, 1), "<c8") + bytes(8)}), "'x'", "numeric")


def test_a_repeated_member_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("x.npy", _npz_member(np.zeros((1, 1, 2))))
        zf.writestr("x.npy", _npz_member(np.zeros((1, 1, 2))))
    _reject(buf.getvalue(), "'x'", "twice")


def test_fortran_order_float64_and_integer_members_load_as_float32():
    rng = np.random.default_rng(0)
    x = np.asfortranarray(rng.standard_normal((6, 3, 4)))
    a = rng.integers(-2, 3, size=(6, 3, 2))
    z = rng.standard_normal((6, 3, 2)).astype(np.float32)
    ds = load_dataset(_npz(x=x, a=a, z=z))
    assert ds.x.dtype == ds.a.dtype == ds.z.dtype == np.float32 and ds.x.flags.c_contiguous
    np.testing.assert_array_equal(ds.x, x.astype(np.float32))
    np.testing.assert_array_equal(ds.a, a.astype(np.float32))
    np.testing.assert_array_equal(ds.z, z)


def test_float64_too_large_for_float32_is_refused():
    _reject(_npz(x=np.full((2, 1, 2), 1e300)), "'x'", "too large for float32")


def test_float32_arrays_in_memory_are_used_as_they_are():
    x = np.zeros((5, 2, 3), dtype=np.float32)
    assert validate_arrays({"x": x}).x is x
    x64 = np.zeros((5, 2, 3))
    assert validate_arrays({"x": x64}).x.dtype == np.float32


def test_the_limits_are_stated_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "Dataset files and their limits" in readme
    for number in (f"{dataset.MAX_ROWS:,}", f"{dataset.MAX_DX:,}", f"{dataset.MAX_DATASET_BYTES // 2**20} MiB"):
        assert number in readme, number


def test_an_archive_with_a_huge_table_of_contents_is_refused_before_zipfile_reads_it(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k in range(3000):
            zf.writestr(f"pad{k:05d}.npy", b"")
    read_directory = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: read_directory.append(1))
    with pytest.raises(ValueError, match="lists .* bytes of entries"):
        dataset.load_dataset(buf.getvalue())
    assert not read_directory  # refused from the end record alone


def test_zip64_archives_still_load():
    x = np.random.default_rng(0).standard_normal((20, 1, 3)).astype(np.float32)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", allowZip64=True) as zf, zf.open("x.npy", "w", force_zip64=True) as out:
        np.lib.format.write_array(out, x)
    np.testing.assert_array_equal(dataset.load_dataset(buf.getvalue()).x, x)
