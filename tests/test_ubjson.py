"""The UBJSON reader: every construct of the format, xgboost's own models, and damaged documents."""

import json
import struct

import numpy as np
import pytest
import xgboost as xgb

from anb.models.ubjson import UBJSONError, read_value


def load_ubjson(raw: bytes):
    """The whole document's value (read_value reads one value and says where it ends)."""
    value, end = read_value(raw)
    assert end == len(raw), f"{len(raw) - end} bytes follow the value"
    return value


def _string(text: str) -> bytes:
    data = text.encode()
    return b"i" + bytes([len(data)]) + data


@pytest.mark.parametrize("raw, expected", [
    (b"T", True), (b"F", False), (b"Z", None), (b"NNT", True),
    (b"i\xff", -1), (b"U\xff", 255), (b"I" + struct.pack(">h", -300), -300), (b"l" + struct.pack(">i", 1 << 20), 1 << 20),
    (b"L" + struct.pack(">q", -(1 << 40)), -(1 << 40)), (b"d" + struct.pack(">f", 0.5), 0.5),
    (b"D" + struct.pack(">d", 0.1), 0.1), (b"S" + _string("héllo"), "héllo"), (b"Ca", "a"), (b"H" + _string("1.5"), 1.5),
    (b"[" + b"i\x01" + b"S" + _string("x") + b"T" + b"]", [1, "x", True]),
    (b"[#i\x02" + b"i\x01" + b"Z", [1, None]),
    (b"{" + _string("a") + b"i\x01" + _string("b") + b"[]" + b"}", {"a": 1, "b": []}),
    (b"{#i\x01" + _string("k") + b"T", {"k": True}),
    (b"{$i#i\x02" + _string("a") + b"\x01" + _string("b") + b"\x02", {"a": 1, "b": 2}),
])
def test_every_construct_reads_as_json_would_hold_it(raw, expected):
    assert load_ubjson(raw) == expected


def test_a_typed_numeric_array_is_one_big_endian_numpy_array():
    values = np.array([1.5, -2.25, 3.0], ">f4")
    array = load_ubjson(b"[$d#i\x03" + values.tobytes())
    assert array.dtype == np.dtype(">f4") and np.array_equal(array, values)
    assert np.array_equal(load_ubjson(b"[$U#i\x02\x00\x07"), [0, 7])


def _same(ubj, plain) -> bool:
    """``ubj`` (read from UBJSON) holds what ``plain`` (read from JSON) does."""
    if isinstance(ubj, np.ndarray):
        return np.array_equal(ubj, np.asarray(plain, dtype=ubj.dtype))
    if isinstance(ubj, dict):
        return ubj.keys() == plain.keys() and all(_same(ubj[key], plain[key]) for key in ubj)
    if isinstance(ubj, list):
        return len(ubj) == len(plain) and all(map(_same, ubj, plain))
    return ubj == plain


def test_an_xgboost_model_reads_as_xgboost_writes_it_in_json():
    rng = np.random.default_rng(0)
    X, y = rng.random((200, 5)), rng.random(200)
    X[::7, 2] = np.nan
    booster = xgb.train({"max_depth": 4, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=12)
    document = load_ubjson(bytes(booster.save_raw("ubj")))
    assert _same(document, json.loads(bytes(booster.save_raw("json"))))
    assert len(document["learner"]["gradient_booster"]["model"]["trees"]) == 12


@pytest.mark.parametrize("raw, message", [
    (b"", "ends in the middle"),
    (b"[i\x01", "ends in the middle"),
    (b"S" + b"i\x09abc", "runs past the document's end"),
    (b"X", "unknown type marker 'X'"),
    (b"[$i\x01", "a container with a type must have a count"),
    (b"Sd\x00\x00\x00\x00", "a length must be an integer"),
])
def test_a_damaged_document_is_a_ubjson_error(raw, message):
    with pytest.raises(UBJSONError, match=message):
        read_value(raw)


def test_a_value_inside_a_document_is_read_where_it_starts():
    document = b"{" + _string("a") + b"[$i#i\x02\x05\x06" + _string("b") + b"S" + _string("xy") + b"}"
    start = document.index(b"[$i")
    value, end = read_value(document, start)
    assert np.array_equal(value, [5, 6]) and document[end:end + 1] == b"i"
    assert read_value(b"TF", 1) == (False, 2)
