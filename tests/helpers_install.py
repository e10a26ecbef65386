"""An install the tests can break: a copy of the package run by a fresh Python, and read-only folders.

The copy (``anb`` and ``configurationspaces``, without compiled caches) is imported ahead of the
editable install through ``PYTHONPATH``, so a test can delete or damage its shipped release, or
mount it read-only, as a user's broken or system-wide install would be, without touching the
source tree. The installed distribution's metadata (version, entry points) still applies.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("anb", "configurationspaces")


def package_copy(site: Path) -> Path:
    """``anb`` and ``configurationspaces`` copied into ``site`` (made), as an install lays them out."""
    for package in PACKAGES:
        shutil.copytree(REPO / package, site / package, ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    return site


def run_from(site: Path, code: str, env: dict | None = None, cwd: Path | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    """``code`` run by a new Python that imports anb from ``site`` (checked before ``code`` runs)."""
    check = f"import anb; assert anb.__file__.startswith({str(site)!r}), anb.__file__\n"
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", check + code], capture_output=True, text=True, env=environment,
                          cwd=cwd or site, timeout=timeout)


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made read-only: by permissions, or (as root, whom permissions do not bind) by a
    read-only bind mount of it."""
    if os.geteuid() != 0:
        paths = sorted(folder.rglob("*"), key=lambda p: -len(p.parts)) + [folder]
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path in reversed(paths):
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"running as root and cannot bind-mount {folder} read-only: {mounted.stderr!r}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)
