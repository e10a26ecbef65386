"""Save and load an ensemble directory: one folder per member plus a manifest.

The manifest records what the members are (family, target, feature version, split, metrics),
the library versions that wrote them, and the sha256 of every file, so that a corrupted or
truncated file is detected before anything is loaded. The manifest carries the sha256 of its
own canonical JSON (every key but that one), so an edited or damaged manifest is detected too,
whatever keys it holds.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from anb.data.atomic import write_json_atomic
from anb.devices.targets import Target
from anb.models import Surrogate
from anb.models.features import FEATURE_VERSION

MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest_sha256"
# Models imported from the original Accel-NASBench take the plain 28-column ConfigSpace array.
LEGACY_FEATURE_VERSION = 0
# Bump when what a manifest must hold changes: an entry of another format is rebuilt (2: the
# calibration of the predictive std, anb.models.calibration).
MANIFEST_FORMAT = 2
LIBRARIES = ("anb", "xgboost", "lightgbm", "scikit-learn", "numpy")
DEV_VERSION = "dev"


class CorruptEnsembleError(RuntimeError):
    """An ensemble directory whose files do not match its manifest."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def entry_subpath(family: str, target: Target) -> Path:
    """Where an ensemble lies below a cache version folder or the shipped surrogates:
    ``<model>/<device>/<metric>``, ``<model>/accuracy/val_top1`` for accuracy."""
    device, metric = (target.device, target.metric) if target.device else ("accuracy", target.column)
    return Path(family, device, metric)


def package_version() -> str:
    """This anb's version (:data:`DEV_VERSION` when run from a source tree that was never installed)."""
    try:
        return metadata.version("anb")
    except metadata.PackageNotFoundError:
        return DEV_VERSION


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def save_ensemble(directory: str | Path, members: list[Surrogate], info: dict,
                  feature_version: int = FEATURE_VERSION, compress: bool = False) -> Path:
    """Write members and manifest into ``directory`` (which should be a fresh, private folder);
    ``compress`` stores the model files gzip-compressed (see :meth:`Surrogate.save`)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for i, member in enumerate(members):
        for path in member.save(directory / f"member_{i}", compress=compress):
            files[str(path.relative_to(directory))] = sha256_of(path)
    manifest = {
        **info,
        "family": members[0].family,
        "n_members": len(members),
        "feature_version": feature_version,
        "format_version": MANIFEST_FORMAT,
        "versions": library_versions(),
        "files": files,
    }
    return write_manifest(directory, manifest)


def _manifest_digest(manifest: dict) -> str:
    body = {key: value for key, value in manifest.items() if key != MANIFEST_HASH}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_manifest(directory: str | Path, manifest: dict, name: str = MANIFEST) -> Path:
    """Write ``manifest`` (with its own sha256) into ``directory`` as ``name``, atomically; values
    JSON cannot hold are written as text."""
    path = Path(directory) / name
    manifest = json.loads(json.dumps(manifest, default=str))  # exactly what a reader will see
    manifest[MANIFEST_HASH] = _manifest_digest(manifest)
    return write_json_atomic(path, manifest)


def read_manifest(directory: str | Path, name: str = MANIFEST) -> dict:
    """The manifest ``name`` in ``directory``, after checking it against its own sha256."""
    path = Path(directory) / name
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CorruptEnsembleError(f"{path} is missing or unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get(MANIFEST_HASH) != _manifest_digest(manifest):
        raise CorruptEnsembleError(f"{path} does not match its own sha256 ({MANIFEST_HASH}): it was edited or damaged")
    return manifest


def _check_members_listed(directory: Path, manifest: dict) -> None:
    """Every member ``0..n_members-1`` has files listed (so none is loaded unverified)."""
    n_members, files = manifest.get("n_members"), manifest.get("files")
    if not isinstance(n_members, int) or isinstance(n_members, bool) or n_members < 1 or not isinstance(files, dict):
        raise CorruptEnsembleError(f"{directory / MANIFEST} lacks a member count or the list of files")
    listed = {Path(name).parts[0] for name in files}
    unlisted = [i for i in range(n_members) if f"member_{i}" not in listed]
    if unlisted:
        raise CorruptEnsembleError(f"{directory / MANIFEST} lists no files for member(s) {unlisted}")


def verify_ensemble(directory: str | Path) -> dict:
    """The manifest, after checking it and every file it lists against their recorded sha256."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.get("format_version") != MANIFEST_FORMAT:
        raise CorruptEnsembleError(
            f"{directory} has manifest format {manifest.get('format_version', 1)}, this anb reads format "
            f"{MANIFEST_FORMAT}"
        )
    _check_members_listed(directory, manifest)
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise CorruptEnsembleError(f"{path} is missing")
        if sha256_of(path) != expected:
            raise CorruptEnsembleError(f"{path} does not match the sha256 in its manifest (corrupted or truncated)")
    if manifest.get("feature_version") not in (FEATURE_VERSION, LEGACY_FEATURE_VERSION):
        raise CorruptEnsembleError(
            f"{directory} was built with feature version {manifest.get('feature_version')}, "
            f"this anb uses {FEATURE_VERSION}"
        )
    return manifest


def _load_member(directory: Path) -> Surrogate:
    """A member whose files passed their hashes; one this anb cannot read (a model format an
    earlier anb wrote, e.g. scikit-learn's pickles) makes the entry one to rebuild."""
    try:
        return Surrogate.load(directory)
    except (OSError, ValueError) as exc:
        raise CorruptEnsembleError(f"{directory} cannot be read by this anb ({exc})") from exc


def load_ensemble_members(directory: str | Path, manifest: dict) -> list[Surrogate]:
    """The members of a verified ensemble directory (see :func:`verify_ensemble`)."""
    return [_load_member(Path(directory) / f"member_{i}") for i in range(manifest["n_members"])]


def load_ensemble_dir(directory: str | Path) -> tuple[list[Surrogate], dict]:
    manifest = verify_ensemble(directory)
    return load_ensemble_members(directory, manifest), manifest


def verify_entry(entry: Path, family: str, target: Target) -> dict:
    """The manifest of a verified ensemble that says it is the surrogate its place (in the cache
    or among the shipped surrogates) names.

    The manifest's ``target`` is the :class:`Target` as a dict, or (in a published archive) its label.
    """
    manifest = verify_ensemble(entry)
    recorded = manifest.get("target")
    if isinstance(recorded, dict):
        recorded = Target(recorded.get("device"), recorded.get("metric"), "", "").label
    if (manifest.get("family"), recorded) != (family, target.label):
        raise CorruptEnsembleError(f"{entry} holds the {manifest.get('family')} surrogate of {recorded}, not the "
                                   f"{family} {target.label} one its place names")
    return manifest


def load_entry(entry: Path, family: str, target: Target) -> tuple[list[Surrogate], dict]:
    """The members and manifest of the ensemble :func:`verify_entry` accepts."""
    manifest = verify_entry(entry, family, target)
    return load_ensemble_members(entry, manifest), manifest
