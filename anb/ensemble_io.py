"""Save and load an ensemble directory: one folder per member plus a manifest.

The manifest records what the members are (family, target, feature version, split, metrics),
the library versions that wrote them, and the sha256 of every file, so that a corrupted or
truncated file is detected before anything is loaded.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from anb.features import FEATURE_VERSION
from anb.models import Surrogate

MANIFEST = "manifest.json"
# Models imported from the original Accel-NASBench take the plain 28-column ConfigSpace array.
LEGACY_FEATURE_VERSION = 0
LIBRARIES = ("anb", "xgboost", "lightgbm", "scikit-learn", "numpy")


class CorruptEnsembleError(RuntimeError):
    """An ensemble directory whose files do not match its manifest."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def save_ensemble(directory: str | Path, members: list[Surrogate], info: dict,
                  feature_version: int = FEATURE_VERSION) -> Path:
    """Write members and manifest into ``directory`` (which should be a fresh, private folder)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for i, member in enumerate(members):
        for path in member.save(directory / f"member_{i}"):
            files[str(path.relative_to(directory))] = sha256_of(path)
    manifest = {
        **info,
        "family": members[0].family,
        "n_members": len(members),
        "feature_version": feature_version,
        "versions": library_versions(),
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
    return directory / MANIFEST


def read_manifest(directory: str | Path) -> dict:
    path = Path(directory) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CorruptEnsembleError(f"{path} is missing or unreadable: {exc}") from exc


def verify_ensemble(directory: str | Path) -> dict:
    """The manifest, after checking every file it lists against its recorded sha256."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise CorruptEnsembleError(f"{path} is missing")
        if sha256_of(path) != expected:
            raise CorruptEnsembleError(f"{path} does not match the sha256 in its manifest (corrupted or truncated)")
    if manifest.get("feature_version") not in (FEATURE_VERSION, LEGACY_FEATURE_VERSION):
        raise CorruptEnsembleError(
            f"{directory} was built with feature version {manifest.get('feature_version')}, "
            f"this anb uses {FEATURE_VERSION}; rebuild it"
        )
    return manifest


def load_ensemble_dir(directory: str | Path) -> tuple[list[Surrogate], dict]:
    manifest = verify_ensemble(directory)
    directory = Path(directory)
    members = [Surrogate.load(directory / f"member_{i}") for i in range(manifest["n_members"])]
    return members, manifest
