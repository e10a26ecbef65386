"""Builders shared by the plugin, store, legacy and CLI tests.

Nothing here relies on ``conftest.py``: every test sets ``ANB_HOME`` (and ``ANB_DATA_DIR`` when
it matters) itself with ``monkeypatch``. The pieces are small on purpose (a few hundred
synthetic architectures, 2-member ensembles, a few dozen boosting rounds) so that the tests
exercise the real code paths (entry points, pooch over HTTP, file locks, tar archives) in seconds.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import importlib
import json
import re
import socket
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from anb.adaptation.few_shot import FEW_SHOT_MAX_ROWS
from anb.devices import discover_devices
from anb.models import make_surrogate
from anb.models.features import cost_features, features_from_encoded
from anb.surrogates.ensemble_io import save_ensemble
from configurationspaces.efficientnet_encoding import decode_values
from configurationspaces.searchspaces import EfficientNetSS

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# Boosting parameters that fit 240 rows in a fraction of a second; tests patch them in for the
# project's tuned configs (5000 rounds at learning rate 0.03), which are not what is tested.
FAST_PARAMS = {
    "num_rounds": 60,
    "early_stopping_rounds": 15,
    "learning_rate": 0.3,
    "max_depth": 4,
    "subsample": 1.0,
    "nthread": 1,
}
# Enough rows for a plain fit: a plugin dataset smaller than this is fitted the few-shot way.
N_SYNTHETIC = FEW_SHOT_MAX_ROWS
DEVICE = "mychip"
PROGRESS_LABEL = "fitting xgb members"


def use_fast_params(monkeypatch) -> None:
    """Make local builds use :data:`FAST_PARAMS` instead of the package's tuned config."""
    monkeypatch.setattr("anb.fitting.model_config.read_model_params", lambda path: dict(FAST_PARAMS))


def set_home(monkeypatch, path: Path) -> Path:
    """A private cache root for one test (``ANB_HOME``)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("ANB_HOME", str(path))
    return path


# --- synthetic measurements ------------------------------------------------------------------


def synthetic_throughput(encoded: np.ndarray) -> np.ndarray:
    """A made-up but learnable speed: inversely proportional to the analytic MACs."""
    macs = cost_features(encoded)[:, 0]
    return 2.0e6 / macs


def sample_architectures(n: int, seed: int) -> np.ndarray:
    return EfficientNetSS(seed=seed).random_encoded(n)


def architecture_dicts(encoded: np.ndarray) -> list[dict]:
    """Architectures as the JSONs hold them: ints for e/k/l, booleans for se."""
    values = decode_values(encoded)
    out = []
    for i in range(len(encoded)):
        arch = {}
        for name, column in values.items():
            value = column[i]
            arch[name] = bool(value) if name.endswith("_se") else int(value)
        out.append(arch)
    return out


def write_result_jsons(directory: Path, encoded: np.ndarray, device: str | None = DEVICE,
                       seed: int = 0) -> Path:
    """Result JSONs in the real Accel-NASBench format, one per row of ``encoded``.

    ``device`` names the ``throughput_<device>`` entry of ``platform_perf`` (none when None).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cost = cost_features(encoded)
    speed = synthetic_throughput(encoded) * (1 + 0.01 * rng.standard_normal(len(encoded)))
    for i, arch in enumerate(architecture_dicts(encoded)):
        perf = {}
        if device is not None:
            perf[f"throughput_{device}"] = {"throughput_mean": float(speed[i]),
                                            "throughput_std": float(0.01 * speed[i])}
        doc = {
            "architecture": arch,
            "metrics": {"val_top1": float(60 + cost[i, 0] / 100), "val_top5": 85.0, "train_time": 1800.0},
            "model_info": {"macs": float(cost[i, 0]), "params": float(cost[i, 1])},
            "platform_perf": perf,
        }
        (directory / f"result_{i}.json").write_text(json.dumps(doc))
    return directory


def synthetic_dataset(directory: Path, n: int = N_SYNTHETIC, device: str | None = DEVICE, seed: int = 0) -> Path:
    return write_result_jsons(directory, sample_architectures(n, seed), device, seed)


# --- ensembles and archives ------------------------------------------------------------------


def fit_members(encoded: np.ndarray, y: np.ndarray, n_members: int = 2, legacy: bool = False) -> list:
    """Small xgb members on the package's features (or the plain 28 columns when ``legacy``)."""
    X = encoded if legacy else features_from_encoded(encoded)
    members = []
    for i in range(n_members):
        rows = np.random.default_rng(i).choice(len(X), size=int(0.9 * len(X)), replace=False)
        members.append(make_surrogate("xgb", dict(FAST_PARAMS), seed=i).fit(X[rows], y[rows]))
    return members


def members_mean(members, encoded: np.ndarray) -> np.ndarray:
    X = features_from_encoded(encoded)
    return np.mean([m.predict(X) for m in members], axis=0)


def save_entry(members, entry: Path, target) -> Path:
    """Write an ensemble straight into a cache entry (as a finished build would leave it)."""
    save_ensemble(entry, members, {"target": target.__dict__, "params": FAST_PARAMS, "seed": 0})
    return entry


def make_archive(members, workdir: Path, name: str = "surrogate.tar.gz") -> tuple[Path, str]:
    """A ``.tar.gz`` of an ensemble directory (manifest.json + member_*/ at its root) and its sha256."""
    workdir = Path(workdir)
    ensemble = workdir / "ensemble"
    save_ensemble(ensemble, members, {"target": "mychip/throughput", "seed": 0})
    archive = workdir / name
    with tarfile.open(archive, "w:gz") as tar:
        for child in sorted(ensemble.iterdir()):
            tar.add(child, arcname=child.name)
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


# --- plugins as real installed distributions -------------------------------------------------


def plugin_source(name: str = DEVICE, dataset: Path | None = None, archives: dict | None = None,
                  metrics: dict | None = None, description: str = "a made-up accelerator for the tests") -> str:
    """Python source of a module that defines ``PLUGIN``, a :class:`anb.devices.DevicePlugin`."""
    metrics = metrics or {"throughput": "images/s"}
    archives = archives or {}
    lines = [
        "from pathlib import Path",
        "from anb.devices import DevicePlugin, SurrogateArchive",
        "ARCHIVES = {",
        *(f"    {key!r}: SurrogateArchive({url!r}, {sha!r})," for key, (url, sha) in archives.items()),
        "}",
        f"PLUGIN = DevicePlugin({name!r}, {description!r}, {metrics!r}, archives=ARCHIVES,",
        f"                      dataset={str(dataset) if dataset else None!r})",
    ]
    return "\n".join(lines) + "\n"


def install_distribution(site: Path, dist: str, entry_points: dict[str, str],
                         modules: dict[str, str] | None = None) -> Path:
    """Write an installed distribution into ``site``: ``<dist>-0.1.dist-info`` and its modules.

    ``entry_points`` maps entry-point names to ``module:attribute`` in the ``anb.devices``
    group; ``modules`` maps module names to their source.
    """
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    for module, source in (modules or {}).items():
        (site / f"{module}.py").write_text(source)
    # As installers name it: the name escaped with '_' (importlib.metadata reads the name up to
    # the first '-', so "anb-test-x-0.1.dist-info" would pass for, and hide, the real "anb").
    info = site / f"{re.sub(r'[-_.]+', '_', dist)}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    group = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[anb.devices]\n{group}")
    return site


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    """A directory on ``sys.path`` for test distributions; the plugin registry is reset around it."""
    site = tmp_path / "site"
    site.mkdir()
    before = set(sys.modules)
    monkeypatch.syspath_prepend(str(site))
    discover_devices.cache_clear()
    yield site
    discover_devices.cache_clear()
    # Forget the test's plugin modules so a later test's module of the same name is reloaded.
    for module in set(sys.modules) - before:
        if getattr(sys.modules[module], "__file__", None) and str(site) in str(sys.modules[module].__file__):
            del sys.modules[module]


def activate(site: Path) -> None:
    """Make a site written after :func:`plugin_site` visible: fresh import and plugin caches."""
    importlib.invalidate_caches()
    discover_devices.cache_clear()


def install_plugin(site: Path, dist: str, module: str, source: str, entry_name: str = DEVICE,
                   attribute: str = "PLUGIN") -> None:
    install_distribution(site, dist, {entry_name: f"{module}:{attribute}"}, {module: source})
    activate(site)


# --- HTTP ------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def http_server(directory: Path):
    """A static file server on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url(path: str = "surrogate.tar.gz") -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


# --- cache inspection ------------------------------------------------------------------------


def staging_leftovers(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if ".staging-" in p.name]


def put_it_at(message: str) -> Path:
    """The path a download error tells the user to put a hand-fetched file at."""
    match = re.search(r"put it at (\S+?\.tar\.gz)", message)
    assert match, f"the message does not say where to put the file: {message}"
    return Path(match.group(1))
