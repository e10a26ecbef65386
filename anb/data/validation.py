"""Checks of the plain arguments every public door takes: seeds, counts, numbers, flags, JSON files.

Each check names the argument, the bad value and what is allowed, and returns the value in the
form the caller uses, so a public function validates once at its boundary and passes the
result on. ``bool`` is never taken for a number (``True`` is not a count of 1). The integer
and finite-number checks come from :mod:`configurationspaces.arguments` (the search space and
the query path's calibration need them too).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from configurationspaces.arguments import check_finite_number, check_int, check_seed, is_finite_number

# An ensemble larger than this is almost certainly a typo: members are fitted one after the
# other, each taking minutes with the tuned configs, while the build holds the entry's lock.
MAX_MEMBERS = 100


def check_members(value, name: str = "n_members") -> int:
    return check_int(value, name, 1, MAX_MEMBERS)


def with_defaults(params: dict | None, defaults: dict, what: str, known=None) -> dict:
    """``defaults`` updated by ``params``; a ``ValueError`` naming any parameter not in ``known``
    (the defaults' names unless given) and the ones there are."""
    known = set(defaults) if known is None else set(known)
    unknown = set(params or {}) - known
    if unknown:
        raise ValueError(f"unknown {what} parameters {sorted(unknown)}; known: {sorted(known)}")
    return {**defaults, **(params or {})}


def check_positive_number(value, name: str) -> float:
    if not is_finite_number(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def check_folder(value, name: str) -> Path:
    """A path that is a folder or does not exist yet (to be made), not a file."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike); got {type(value).__name__} {value!r}")
    path = Path(value).expanduser()
    existing = next(p for p in [path, *path.parents] if p.exists())
    if not existing.is_dir():
        where = "is a file" if existing == path else f"lies below the file {existing}"
        raise ValueError(f"{name} {str(value)!r} {where}, not a folder; pass a folder (made if it does not exist)")
    return path


def read_json(path: str | Path, what: str):
    """The parsed content of a JSON file; ``ValueError`` names the file when it is not JSON."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {path} is a directory, not a JSON file")
    try:
        text = path.read_bytes().decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError:
        raise ValueError(f"{what} {path} is not valid JSON (not UTF-8 text; a compressed file?)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} {path} is not valid JSON: {exc}") from None


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other error of a command
    (``-h`` shows the usage); subparsers inherit it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} -h`)\n")


def one_line(exc: BaseException) -> str:
    """An error's message on one line (some, tarfile's or a dataset report, span lines), as a
    command prints it."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def cli_type(check, name: str):
    """An argparse ``type=`` that parses an int and applies ``check`` (a usage error names the flag)."""

    def parse(text: str):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer; got {text!r}") from None
        try:
            return check(value, name)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


__all__ = [
    "MAX_MEMBERS",
    "OneLineParser",
    "check_finite_number",
    "check_folder",
    "check_int",
    "check_members",
    "check_positive_number",
    "check_seed",
    "cli_type",
    "one_line",
    "read_json",
]
