"""Architectures given to a command as JSON: a file, or ``-`` for standard input (``--input``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from numbers import Real

from anb.data.validation import read_json

INPUT_FORM = "a JSON list of architecture objects ({\"block0_e\": 6, ...}) or one such object"
JSON_KINDS = ((bool, "boolean"), (str, "string"), (Real, "number"), (list, "list"), (type(None), "null"))


def json_kind(value) -> str:
    return next(name for kind, name in JSON_KINDS if isinstance(value, kind))


def read_architectures(source: str) -> list[Mapping]:
    """The architecture objects in the JSON file ``source`` (``-``: standard input), checked for their form.

    Their values are checked by ``encode``, which names the block and field of a bad one.
    """
    if source == "-":
        try:
            parsed = json.loads(sys.stdin.read())
        except ValueError as exc:
            raise ValueError(f"--input - (standard input) is not valid JSON: {exc}") from None
    else:
        parsed = read_json(source, "--input")
    if isinstance(parsed, Mapping):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise ValueError(f"--input must hold {INPUT_FORM}; got a JSON {json_kind(parsed)}")
    if not parsed:
        raise ValueError(f"--input holds an empty list; it must hold {INPUT_FORM}")
    for i, item in enumerate(parsed):
        if not isinstance(item, Mapping):
            raise ValueError(f"--input item #{i} is a JSON {json_kind(item)}, not an architecture object; "
                             f"--input must hold {INPUT_FORM}")
    return parsed
