"""One cache entry's life: a lock, a private staging folder, a verified atomic install, removal.

Every writer of the cache (a download, a local build, a legacy import, ``anb build --force``)
goes through :func:`locked` and :func:`staged`, so a reader never sees half an entry and a
failure never leaves one behind.
"""

from __future__ import annotations

import errno
import fcntl
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anb.surrogates.ensemble_io import load_ensemble_dir

STAGING_MARK = ".staging-"
RETIRED_MARK = ".retired-"
# Below this much free space after a failed write, the failure is taken to be a full disk
# (xgboost reports one as "FileStream.Write incomplete", not as an OSError).
FULL_DISK_BYTES = 1 << 20


def lock_path(entry: Path) -> Path:
    return entry.parent / f".{entry.name}.lock"


@contextmanager
def locked(entry: Path, unwritable: str | None = None) -> Iterator[None]:
    """An exclusive lock on one cache entry, held across processes (POSIX ``flock``).

    ``unwritable`` is what to tell the user when the entry's folder cannot be written, for an
    entry outside the cache; a cache entry's message says to set ``ANB_HOME``.
    """
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path(entry), "a")
    except OSError as exc:
        if unwritable is not None:
            raise OSError(exc.errno, f"cannot write in {entry.parent} ({exc.strerror}): {unwritable}") from exc
        raise OSError(exc.errno, f"cannot write in the cache at {entry.parent} ({exc.strerror}): anb writes there to "
                                 f"build or download the entry {entry.name}, or to replace it when it is damaged; set "
                                 f"ANB_HOME to a folder you can write") from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def private_folder(entry: Path, mark: str) -> Path:
    """A new folder beside ``entry``, hidden, with the permissions the user's umask gives."""
    while True:
        path = entry.parent / f".{entry.name}{mark}{secrets.token_hex(4)}"
        try:
            path.mkdir(mode=0o777)
            return path
        except FileExistsError:
            continue


def remove_stale(entry: Path) -> list[Path]:
    """Remove staging folders a killed writer of ``entry`` left behind; call it holding the lock.

    Every staging folder of an entry is made under its lock, so one found while holding the
    lock belongs to no running process.
    """
    stale = sorted(entry.parent.glob(f".{entry.name}{STAGING_MARK}*")) + sorted(
        entry.parent.glob(f".{entry.name}{RETIRED_MARK}*"))
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def _disk_is_full(path: Path, exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(path).free < FULL_DISK_BYTES
    except OSError:
        return False


@contextmanager
def staged(entry: Path, replace: bool = False) -> Iterator[Path]:
    """A private folder that becomes ``entry`` once the block has filled it and it verifies.

    The caller holds :func:`locked`. Any failure (in the block, the verification or the rename)
    removes the folder and leaves ``entry`` as it was; a full disk is reported as such, with
    the place that filled up. ``replace`` swaps out an existing entry; without it an existing
    entry is an error.
    """
    remove_stale(entry)
    staging = private_folder(entry, STAGING_MARK)
    try:
        yield staging
        load_ensemble_dir(staging)
        install(staging, entry, replace)
    except BaseException as exc:
        full = _disk_is_full(staging, exc)
        shutil.rmtree(staging, ignore_errors=True)
        if full:
            raise OSError(errno.ENOSPC, f"no space left on the disk while writing the cache entry {entry} "
                                        f"({exc}); free some space there or point ANB_HOME elsewhere") from exc
        raise


def install(staging: Path, entry: Path, replace: bool) -> None:
    """Rename the filled ``staging`` folder to ``entry``; with ``replace``, an existing ``entry`` is
    swapped out (and put back if the rename fails)."""
    if not entry.exists():
        staging.rename(entry)
        return
    if not replace:
        raise FileExistsError(f"the cache entry {entry} already exists")
    retired = private_folder(entry, RETIRED_MARK)
    entry.rename(retired / entry.name)
    try:
        staging.rename(entry)
    except BaseException:
        (retired / entry.name).rename(entry)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def remove(entry: Path) -> None:
    """Delete a cache entry (the caller holds :func:`locked`); it disappears in one rename."""
    if entry.exists():
        retired = private_folder(entry, RETIRED_MARK)
        entry.rename(retired / entry.name)
        shutil.rmtree(retired)
