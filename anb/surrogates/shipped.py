"""The default surrogates shipped inside the package: one benchmark, the same numbers for everyone.

``anb release`` (:mod:`anb.surrogates.release`) fits them from the committed model configs into
``anb/surrogates/default_surrogates/``: one folder per ensemble, in the cache's layout and format (the model
files gzip-compressed), and ``release.json``, which lists every ensemble with the config file it
was built from (name and sha256), the sha256 of its manifest and of each member's model
(uncompressed, so that a rebuild on another machine can be compared with it), and the libraries
of the build. The release manifest carries its own sha256 and names each ensemble's manifest by
its sha256, which in turn names every file: nothing is loaded unverified. The ensembles are read
where they lie, never copied into the cache, so a read-only install serves them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from anb.devices.targets import Target
from anb.models import Surrogate
from anb.surrogates.ensemble_io import MANIFEST_HASH, CorruptEnsembleError, entry_subpath, load_entry, read_manifest

ARTIFACT_DIR = Path(__file__).resolve().parent / "default_surrogates"
RELEASE_FILE = "release.json"
# Bump when what release.json holds changes.
RELEASE_FORMAT = 1


def release_manifest(directory: Path | None = None) -> dict | None:
    """The verified release manifest of ``directory`` (default :data:`ARTIFACT_DIR`); None when it
    holds none (no surrogates shipped)."""
    return _read_release(Path(directory or ARTIFACT_DIR))


@lru_cache(maxsize=None)
def _read_release(directory: Path) -> dict | None:
    if not (directory / RELEASE_FILE).is_file():
        return None
    manifest = read_manifest(directory, RELEASE_FILE)
    if manifest.get("format_version") != RELEASE_FORMAT or not isinstance(manifest.get("entries"), dict):
        raise CorruptEnsembleError(f"{directory / RELEASE_FILE} has release format {manifest.get('format_version')}, "
                                   f"this anb reads format {RELEASE_FORMAT}; reinstall anb")
    return manifest


def forget_releases() -> None:
    """Read every release manifest afresh from now on (after a release was written)."""
    _read_release.cache_clear()


def entry_key(family: str, target: Target) -> str:
    """An ensemble's name in ``release.json``: its folder below the artifact, e.g. ``xgb/a100/throughput``."""
    return entry_subpath(family, target).as_posix()


def shipped_members(family: str, target: Target, directory: Path | None = None) -> int:
    """How many members the shipped ensemble of ``family`` and ``target`` has; 0 when none is shipped."""
    manifest = release_manifest(directory)
    record = manifest["entries"].get(entry_key(family, target)) if manifest else None
    return int(record["n_members"]) if record else 0


def load_shipped(family: str, target: Target, directory: Path | None = None) -> tuple[list[Surrogate], dict]:
    """The shipped ensemble's members and manifest, after checking it is the one ``release.json`` names."""
    directory = Path(directory or ARTIFACT_DIR)
    record = release_manifest(directory)["entries"][entry_key(family, target)]
    entry = directory / entry_key(family, target)
    members, manifest = load_entry(entry, family, target)
    if manifest.get(MANIFEST_HASH) != record["manifest_sha256"]:
        raise CorruptEnsembleError(f"{entry} is not the ensemble {directory / RELEASE_FILE} lists (its manifest's "
                                   f"sha256 differs): the installed package was altered; reinstall anb")
    return members, manifest
