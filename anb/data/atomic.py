"""Files written whole or not at all: a reader never sees half a file, a failure leaves the old one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable


def replace_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(staging path)`` beside ``path``, then move the result onto ``path`` in one step.

    The staging file is named ``.<name>.<random>.tmp`` (readers of a folder can recognise and skip
    it) and removed if ``write`` fails. The file gets the permissions any new file gets under the
    process's umask, not the owner-only ones of a temporary file: results are shared with
    colleagues and other accounts.
    """
    path = Path(path)
    fd, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    staging = Path(staging)
    try:
        write(staging)
        os.chmod(staging, 0o666 & ~_umask())
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | Path, obj) -> Path:
    """Write ``obj`` as indented JSON to ``path``, atomically."""
    def dump(staging: Path) -> None:
        with open(staging, "w") as handle:
            json.dump(obj, handle, indent=1)
    return replace_atomically(path, dump)


def _umask() -> int:
    # The umask can only be read by setting it; put it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask
