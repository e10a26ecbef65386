"""What anb has written under a cache root, found by its own layout, and how to remove only that.

``ANB_HOME`` may point at a folder that holds other files too, so nothing here deletes by
folder: it removes surrogate entries (``<version>/<model>/<device>/<metric>/`` folders holding
an ensemble manifest), their lock files and leftover staging folders, the downloaded surrogate
archives, and then the folders of that layout that became empty.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from anb.surrogates.cache_entry import RETIRED_MARK, STAGING_MARK
from anb.surrogates.ensemble_io import MANIFEST

DOWNLOADS = "downloads"
# <family>-<device>-<metric>.tar.gz, as store._download names them (pooch may leave a .part file)
ARCHIVE_NAME = re.compile(r"^[A-Za-z0-9_]+-[A-Za-z0-9_.]+-[A-Za-z0-9_]+\.tar\.gz$")
ENTRY_DEPTH = 4  # <version>/<model>/<device>/<metric>


def _is_entry(folder: Path) -> bool:
    """A folder holding a manifest that anb wrote (damaged members or not)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "files" in manifest and "n_members" in manifest


def entries(root: Path) -> list[Path]:
    """Every surrogate entry under ``root``."""
    pattern = "/".join(["*"] * ENTRY_DEPTH)
    return sorted(p for p in Path(root).glob(pattern) if p.is_dir() and not p.name.startswith(".") and _is_entry(p))


def _leftovers(root: Path) -> list[Path]:
    """Lock files and staging folders beside entries (``.<metric>.lock``, ``.<metric>.staging-*``)."""
    pattern = "/".join(["*"] * (ENTRY_DEPTH - 1))
    found = []
    for parent in Path(root).glob(pattern):
        if not parent.is_dir():
            continue
        for path in parent.glob(".*"):
            if (path.is_file() and path.name.endswith(".lock")) or (
                    path.is_dir() and (STAGING_MARK in path.name or RETIRED_MARK in path.name)):
                found.append(path)
    return sorted(found)


def _archives(root: Path) -> list[Path]:
    downloads = Path(root) / DOWNLOADS
    if not downloads.is_dir():
        return []
    return sorted(p for p in downloads.iterdir() if p.is_file() and ARCHIVE_NAME.match(p.name))


def clear(root: Path) -> list[Path]:
    """Remove what anb wrote under ``root`` (see the module doc); returns what was removed."""
    root = Path(root)
    removed = []
    for path in entries(root) + _leftovers(root) + _archives(root):
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            raise OSError(exc.errno, f"cannot remove {path} ({exc.strerror}) after removing {len(removed)} item(s): "
                                     f"clearing the cache {root} needs write access to it; run it as the cache's "
                                     f"owner, or set ANB_HOME to a cache of your own") from exc
        removed.append(path)
    for parent in sorted({p.parent for p in removed}, key=lambda p: -len(p.parts)):
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return removed
