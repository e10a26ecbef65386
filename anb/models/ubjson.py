"""A reader of UBJSON (Universal Binary JSON), the format xgboost saves its models in (``.ubj``).

Enough of the format for any document xgboost writes, so that a shipped model is read with no
xgboost installed (:mod:`anb.models.xgb_nodes` reads a model's settings with it): objects and
arrays (plain, or with a count ``#`` and a type ``$``), numbers, strings, ``T``/``F``/``Z``. A
typed array of numbers becomes one numpy array read in a single ``frombuffer`` (big-endian, as
UBJSON stores numbers), with no Python loop over its values.
"""

from __future__ import annotations

import struct

import numpy as np

# Every numeric type marker and its big-endian struct format (numpy reads the same type as
# ">" + format).
_FORMATS = {ord(k): v for k, v in {"i": "b", "U": "B", "I": "h", "l": "i", "L": "q", "d": "f", "D": "d"}.items()}
_SCALARS = {marker: struct.Struct(">" + format) for marker, format in _FORMATS.items()}
NUMBER_TYPES = {marker: np.dtype(">" + format) for marker, format in _FORMATS.items()}
_INTEGERS = frozenset(_FORMATS) - {ord("d"), ord("D")}
_CONSTANTS = {ord("T"): True, ord("F"): False, ord("Z"): None}
_NOOP, _STRING, _CHAR, _HIGH_PRECISION = ord("N"), ord("S"), ord("C"), ord("H")
_ARRAY, _ARRAY_END, _OBJECT, _OBJECT_END = ord("["), ord("]"), ord("{"), ord("}")
_TYPE, _COUNT = ord("$"), ord("#")


class UBJSONError(ValueError):
    """The bytes are not a UBJSON document this reader understands."""


def read_value(raw: bytes, offset: int = 0) -> tuple[object, int]:
    """The value that starts at byte ``offset`` of ``raw`` (e.g. one member of a large document,
    found by its key), and the offset just past it."""
    reader = _Reader(raw, offset)
    try:
        return reader.value(), reader.at
    except (IndexError, struct.error) as exc:
        raise UBJSONError(f"the document ends in the middle of a value ({exc})") from exc


class _Reader:
    """Reads one value at ``at`` and moves past it; markers are compared as byte values."""

    def __init__(self, raw: bytes, at: int = 0):
        self.raw, self.at = bytes(raw), at

    def marker(self) -> int:
        marker = self.raw[self.at]
        self.at += 1
        # N is a no-op marker that may stand between any two values.
        while marker == _NOOP:
            marker = self.raw[self.at]
            self.at += 1
        return marker

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.raw):
            raise UBJSONError(f"a value of {n} bytes runs past the document's end")
        self.at += n
        return self.raw[self.at - n:self.at]

    def number(self, marker: int):
        scalar = _SCALARS[marker]
        (value,) = scalar.unpack_from(self.raw, self.at)
        self.at += scalar.size
        return value

    def count(self, marker: int | None = None) -> int:
        marker = self.marker() if marker is None else marker
        if marker not in _INTEGERS:
            raise UBJSONError(f"a length must be an integer, not of type {chr(marker)!r}")
        return self.number(marker)

    def string(self) -> str:
        return self.take(self.count()).decode()

    def value(self, marker: int | None = None):
        marker = self.marker() if marker is None else marker
        if marker == _ARRAY:
            return self.array()
        if marker == _OBJECT:
            return self.object()
        if marker in _SCALARS:
            return self.number(marker)
        if marker == _STRING:
            return self.string()
        if marker in _CONSTANTS:
            return _CONSTANTS[marker]
        if marker == _CHAR:
            return self.take(1).decode()
        if marker == _HIGH_PRECISION:
            return float(self.string())
        raise UBJSONError(f"unknown type marker {chr(marker)!r} at byte {self.at - 1}")

    def container_header(self) -> tuple[int | None, int | None]:
        """The optional ``$type`` and ``#count`` after a container's opening marker."""
        element_type = count = None
        if self.raw[self.at] == _TYPE:
            element_type = self.raw[self.at + 1]
            self.at += 2
        if self.raw[self.at] == _COUNT:
            self.at += 1
            count = self.count()
        elif element_type is not None:
            raise UBJSONError("a container with a type must have a count")
        return element_type, count

    def array(self):
        element_type, count = self.container_header()
        if element_type in NUMBER_TYPES:
            dtype = NUMBER_TYPES[element_type]
            start = self.at
            self.take(count * dtype.itemsize)
            return np.frombuffer(self.raw, dtype, count, start)
        if count is not None:
            return [self.value(element_type) for _ in range(count)]
        items = []
        while (marker := self.marker()) != _ARRAY_END:
            items.append(self.value(marker))
        return items

    def object(self) -> dict:
        element_type, count = self.container_header()
        if count is not None:
            return {self.string(): self.value(element_type) for _ in range(count)}
        items = {}
        while (marker := self.marker()) != _OBJECT_END:
            key = self.take(self.count(marker)).decode()  # the marker is the type of the key's length
            items[key] = self.value()
        return items
