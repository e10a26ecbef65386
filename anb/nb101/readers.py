"""Read any NAS-Bench-101 file into table columns (:mod:`anb.nb101.layout`), telling its format by content.

HDF5 by its signature, JSON by its first character, TFRecord by the checksum of its first
record's length: the suffix is not trusted, so a renamed or mislabelled file is still read or
refused with the reason. Every failure is a ``ValueError`` (``FileNotFoundError`` for a missing
path) whose message names the file and what is wrong with it.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from anb.nb101.json_layouts import read_json_content
from anb.nb101.layout import QUANTITIES, TableBuilder
from anb.nb101.tfrecord import iter_nb101, masked_crc32c

FORMATS = ("tfrecord", "hdf5", "json")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HEADER_BYTES = 64


def file_format(path: str | Path) -> str:
    """``"tfrecord"``, ``"hdf5"`` or ``"json"``, from the first bytes of the file."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; expected a NAS-Bench-101 data file ({', '.join(FORMATS)})")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER_BYTES)
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    if not header:
        raise ValueError(f"{path} is empty; expected a NAS-Bench-101 data file ({', '.join(FORMATS)})")
    if header.startswith(HDF5_SIGNATURE):
        return "hdf5"
    if header.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    if len(header) >= 12 and masked_crc32c(header[:8]) == struct.unpack("<I", header[8:12])[0]:
        return "tfrecord"
    if path.suffix.lower() in (".hdf5", ".h5"):
        raise ValueError(f"{path} is not an HDF5 file (it does not start with the HDF5 signature)")
    raise ValueError(f"{path}: cannot tell the format; its content is not HDF5, JSON or a TFRecord")


def read_json_file(path: str | Path):
    """The parsed content of a JSON file; a ``ValueError`` naming the file when it is not JSON."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return json.load(handle)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not valid JSON: it is not UTF-8 text") from None
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise FileNotFoundError(f"{path}: no such file") from None
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None


def read_json(path: str | Path) -> dict:
    return read_json_content(read_json_file(path), str(path))


def read_tfrecord(path: str | Path, progress: bool = False, verify_data_crc: bool = False) -> dict:
    """Stream an official ``nasbench_full.tfrecord`` or ``nasbench_only108.tfrecord``.

    Rows keep the order in which hashes first appear in the file, and runs of a cell at one
    budget fill seeds 0, 1, 2 in file order: the order of the official API.
    """
    path = Path(path)
    table = TableBuilder()
    with open(path, "rb") as handle, _ByteProgress(path, progress) as bar:
        try:
            for record in iter_nb101(handle, verify_data_crc):
                index = table.row(
                    record.module_hash, record.adjacency, record.operations, record.metrics["trainable_parameters"]
                )
                halfway, final = ([point[q] for q in QUANTITIES] for point in (record.halfway, record.final))
                table.add_run(index, record.epochs, halfway, final)
                bar.update(handle.tell() - bar.n)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
    return table.columns(source=str(path))


class _ByteProgress:
    """A tqdm bar over the bytes of a file, or a no-op stand-in."""

    def __init__(self, path: Path, enabled: bool):
        self.n = 0
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name)

    def update(self, amount: int) -> None:
        self.n += amount
        if self._bar is not None:
            self._bar.update(amount)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
