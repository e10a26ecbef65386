"""Where numba keeps the compiled kernels' machine code, so that a read-only install runs them compiled too.

numba caches a ``cache=True`` function beside its source (``__pycache__``) or in the user's cache
folder (``~/.cache/numba``), and refuses to define the function at all ("cannot cache function
...: no locator available") when it can write neither: a system-wide or container install whose
HOME cannot be written. Each kernel module asks :func:`caching` for its ``cache=`` option before
it defines a kernel. When none of numba's places can be written, numba is pointed at a folder in
the temporary directory that only this user can write; when even that fails, the kernels are
compiled in memory, once per process (the same code, a slower first query).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numba
from numba.misc.appdirs import AppDirs


def _writable(folder: Path) -> bool:
    """Whether a file can be made in ``folder`` (made if missing), as numba itself checks."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _numba_can_cache(source_dir: Path) -> bool:
    """Whether numba finds a place for the cache of a module in ``source_dir``: ``NUMBA_CACHE_DIR``,
    the module's ``__pycache__`` or the user's cache folder, in numba's order."""
    places = [Path(numba.config.CACHE_DIR)] if numba.config.CACHE_DIR else []
    places += [source_dir / "__pycache__", Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)]
    return any(_writable(place) for place in places)


def private_temp_folder() -> Path | None:
    """``anb-numba-cache-<uid>`` in the temporary directory, made if missing; None unless it is a
    folder of this user's that no one else can write. numba unpickles what it finds in its cache,
    so a folder another user can write would run their code."""
    folder = Path(tempfile.gettempdir()) / f"anb-numba-cache-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder if _writable(folder) else None


def caching(source_file: str) -> bool:
    """The ``cache=`` option for the kernels defined in ``source_file``: True when numba can write
    their cache (pointing it at :func:`private_temp_folder` if it must), False to compile in memory."""
    if _numba_can_cache(Path(source_file).parent):
        return True
    folder = private_temp_folder()
    if folder is None:
        return False
    numba.config.CACHE_DIR = str(folder)
    return True
