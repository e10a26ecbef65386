"""The official NAS-Bench-101 ``.tfrecord`` files, read and written without TensorFlow.

Two layers:

* TFRecord framing. A file is a sequence of records, each stored as
  ``uint64 length | uint32 masked CRC32C(length) | data | uint32 masked CRC32C(data)``,
  little-endian; the mask is ``((crc >> 15) | (crc << 17)) + 0xA282EAD8`` (mod 2**32).
* The NAS-Bench-101 row. ``data`` is a UTF-8 JSON list
  ``[module_hash, epochs, adjacency, operations, metrics]``: the adjacency as a string of
  ``'0'``/``'1'`` (row-major, V*V characters), the ops joined by commas, and ``metrics`` the
  base64 of a serialized ``nasbench.ModelMetrics`` protobuf (proto2)::

      message ModelMetrics {
        repeated EvaluationData evaluation_data = 1;  // start, halfway, end of training
        optional int32 trainable_parameters = 2;
        optional double total_time = 3;
      }
      message EvaluationData {
        optional double current_epoch = 1;
        optional double training_time = 2;
        optional double train_accuracy = 3;
        optional double validation_accuracy = 4;
        optional double test_accuracy = 5;
        optional string checkpoint_path = 6;
      }

  Each row is one training run (one of three repeats) of one cell at one epoch budget.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

# --- CRC32C (Castagnoli), as TFRecord uses it -------------------------------------------------

_CASTAGNOLI = 0x82F63B78  # reversed polynomial


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CASTAGNOLI if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()
_MASK_DELTA = 0xA282EAD8


def crc32c(data: bytes) -> int:
    """CRC32C of ``data`` (pure Python: fine for headers and test files, slow for gigabytes)."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


# --- TFRecord framing -------------------------------------------------------------------------

_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


def iter_records(source: str | Path | BinaryIO, verify_data_crc: bool = False) -> Iterator[bytes]:
    """Yield the payload of every record of a TFRecord file, streaming.

    The length checksum is always verified (it is cheap and catches a misaligned or
    truncated file at once); the data checksum only with ``verify_data_crc``, because pure
    Python CRC over the 2 GB full dataset would take many minutes.
    """
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            yield from iter_records(handle, verify_data_crc)
        return
    index = 0
    while True:
        header = source.read(_HEADER.size)
        if not header:
            return
        if len(header) < _HEADER.size:
            raise ValueError(f"record {index}: truncated header ({len(header)} of {_HEADER.size} bytes)")
        length, length_crc = _HEADER.unpack(header)
        if masked_crc32c(header[:8]) != length_crc:
            raise ValueError(f"record {index}: length checksum mismatch; not a TFRecord file or corrupted")
        data = source.read(length)
        footer = source.read(_FOOTER.size)
        if len(data) < length or len(footer) < _FOOTER.size:
            raise ValueError(f"record {index}: truncated, expected {length} data bytes")
        if verify_data_crc and masked_crc32c(data) != _FOOTER.unpack(footer)[0]:
            raise ValueError(f"record {index}: data checksum mismatch")
        yield data
        index += 1


def write_records(target: str | Path | BinaryIO, records: Iterable[bytes]) -> None:
    """Write payloads as a TFRecord file (with both checksums)."""
    if isinstance(target, (str, Path)):
        with open(target, "wb") as handle:
            write_records(handle, records)
        return
    for data in records:
        length = struct.pack("<Q", len(data))
        target.write(length + struct.pack("<I", masked_crc32c(length)))
        target.write(data + struct.pack("<I", masked_crc32c(data)))


# --- Protobuf wire format (only what ModelMetrics needs) --------------------------------------

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5
_DOUBLE = struct.Struct("<d")
EVALUATION_FIELDS = ("current_epoch", "training_time", "train_accuracy", "validation_accuracy", "test_accuracy")


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = buf[pos]  # IndexError on a truncated message, turned into ValueError by _fields
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ValueError("protobuf: varint longer than 10 bytes")


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of every field: ints for varints, raw bytes otherwise.

    This runs for every one of the ~5 million records of the full file, hence the one-byte
    fast paths: keys of fields 1-15 and the lengths of these small messages are single bytes.
    """
    fields, pos, end = [], 0, len(buf)
    try:
        while pos < end:
            key = buf[pos]
            key, pos = (key, pos + 1) if key < 0x80 else _read_varint(buf, pos)
            number, wire = key >> 3, key & 7
            if wire == _FIXED64:
                value, pos = buf[pos : pos + 8], pos + 8
            elif wire == _LENGTH_DELIMITED:
                size = buf[pos]
                size, pos = (size, pos + 1) if size < 0x80 else _read_varint(buf, pos)
                value, pos = buf[pos : pos + size], pos + size
            elif wire == _VARINT:
                value, pos = _read_varint(buf, pos)
            elif wire == _FIXED32:
                value, pos = buf[pos : pos + 4], pos + 4
            else:
                raise ValueError(f"protobuf: unsupported wire type {wire} (field {number})")
            fields.append((number, wire, value))
    except IndexError:
        raise ValueError("protobuf: truncated message") from None
    if pos > end:
        raise ValueError(f"protobuf: field {fields[-1][0]} runs past the end of the message")
    return fields


def _wire_error(message: str, number: int, wire: int, expected: int) -> ValueError:
    return ValueError(f"protobuf: {message} field {number} has wire type {wire}, expected {expected}")


def decode_evaluation(buf: bytes) -> dict:
    """An ``EvaluationData`` message as a dict (absent doubles are 0.0, as in proto2)."""
    out = dict.fromkeys(EVALUATION_FIELDS, 0.0)
    out["checkpoint_path"] = ""
    for number, wire, value in _fields(buf):
        if 1 <= number <= 5:
            if wire != _FIXED64:
                raise _wire_error("EvaluationData", number, wire, _FIXED64)
            out[EVALUATION_FIELDS[number - 1]] = _DOUBLE.unpack(value)[0]
        elif number == 6:
            if wire != _LENGTH_DELIMITED:
                raise _wire_error("EvaluationData", number, wire, _LENGTH_DELIMITED)
            out["checkpoint_path"] = value.decode("utf-8")
        # Other fields (older files carry a sample_metrics_file string) are not needed.
    return out


def decode_model_metrics(buf: bytes) -> dict:
    """A ``ModelMetrics`` message: ``evaluation_data`` (list of dicts), ``trainable_parameters``, ``total_time``."""
    out = {"evaluation_data": [], "trainable_parameters": 0, "total_time": 0.0}
    expected = {1: _LENGTH_DELIMITED, 2: _VARINT, 3: _FIXED64}
    for number, wire, value in _fields(buf):
        if number in expected and wire != expected[number]:
            raise _wire_error("ModelMetrics", number, wire, expected[number])
        if number == 1:
            out["evaluation_data"].append(decode_evaluation(value))
        elif number == 2:
            # int32 is sign-extended to 64 bits on the wire.
            out["trainable_parameters"] = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 3:
            out["total_time"] = _DOUBLE.unpack(value)[0]
    return out


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32 -> two's complement, 10 bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def encode_evaluation(evaluation: dict) -> bytes:
    out = bytearray()
    for number, name in enumerate(EVALUATION_FIELDS, start=1):
        out += _key(number, _FIXED64) + _DOUBLE.pack(float(evaluation.get(name, 0.0)))
    path = evaluation.get("checkpoint_path", "").encode("utf-8")
    if path:
        out += _key(6, _LENGTH_DELIMITED) + _varint(len(path)) + path
    return bytes(out)


def encode_model_metrics(metrics: dict) -> bytes:
    """Serialize a dict shaped like :func:`decode_model_metrics`' output."""
    out = bytearray()
    for evaluation in metrics.get("evaluation_data", []):
        body = encode_evaluation(evaluation)
        out += _key(1, _LENGTH_DELIMITED) + _varint(len(body)) + body
    out += _key(2, _VARINT) + _varint(int(metrics.get("trainable_parameters", 0)))
    out += _key(3, _FIXED64) + _DOUBLE.pack(float(metrics.get("total_time", 0.0)))
    return bytes(out)


# --- NAS-Bench-101 rows -----------------------------------------------------------------------


@dataclass
class NB101Record:
    """One training run: a cell, an epoch budget and the run's metrics."""

    module_hash: str
    epochs: int
    adjacency: np.ndarray
    operations: list[str]
    metrics: dict = field(repr=False)

    @property
    def halfway(self) -> dict:
        """Evaluation at half the epoch budget (``evaluation_data[1]``; [0] is before training)."""
        return self.metrics["evaluation_data"][1]

    @property
    def final(self) -> dict:
        return self.metrics["evaluation_data"][2]


def parse_record(data: bytes) -> NB101Record:
    """Decode the payload of one record of a NAS-Bench-101 tfrecord."""
    try:
        module_hash, epochs, raw_adjacency, raw_operations, raw_metrics = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, TypeError) as err:
        raise ValueError(f"not a NAS-Bench-101 row (a JSON list of 5 fields): {err}") from None
    dim = int(round(len(raw_adjacency) ** 0.5))
    if dim * dim != len(raw_adjacency) or set(raw_adjacency) - {"0", "1"}:
        raise ValueError(f"row {module_hash}: adjacency {raw_adjacency!r} is not a square 0/1 matrix")
    adjacency = (np.frombuffer(raw_adjacency.encode("ascii"), dtype=np.uint8) - ord("0")).astype(np.int8)
    metrics = decode_model_metrics(base64.b64decode(raw_metrics))
    if len(metrics["evaluation_data"]) < 3:
        raise ValueError(
            f"row {module_hash}: {len(metrics['evaluation_data'])} evaluations; need start, halfway and final"
        )
    return NB101Record(module_hash, int(epochs), adjacency.reshape(dim, dim), raw_operations.split(","), metrics)


def build_record(record: NB101Record) -> bytes:
    """The payload of one record, as the official files store it."""
    adjacency = "".join(str(int(x)) for x in np.asarray(record.adjacency).ravel())
    metrics = base64.b64encode(encode_model_metrics(record.metrics)).decode("ascii")
    row = [record.module_hash, int(record.epochs), adjacency, ",".join(record.operations), metrics]
    return json.dumps(row).encode("utf-8")


def iter_nb101(source: str | Path | BinaryIO, verify_data_crc: bool = False) -> Iterator[NB101Record]:
    """Stream the rows of ``nasbench_full.tfrecord`` / ``nasbench_only108.tfrecord``."""
    for data in iter_records(source, verify_data_crc):
        yield parse_record(data)
