"""``ANBEnsemble``: query an ensemble of surrogates for accuracy or a device metric."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from anb.data.validation import check_folder, check_members, check_seed
from anb.devices.request import resolve_request
from anb.models import FAMILIES
from anb.models.calibration import SpreadCalibration
from anb.models.features import features_from_encoded
from anb.models.member_predictions import MemberPredictions, load_kernel_in_background
from anb.surrogates import shipped, store
from anb.surrogates.ensemble_io import LEGACY_FEATURE_VERSION
from configurationspaces.efficientnet_encoding import encode

# Rows per prediction chunk: bounds the memory of a query of millions of architectures (the
# feature chunk and one prediction row per member) without making the per-call overhead show.
CHUNK_ROWS = 1 << 16

class ANBEnsemble:
    """An ensemble of surrogates of one target, with the original Accel-NASBench calls.

    ``ANBEnsemble("xgb")`` predicts ImageNet top-1 accuracy (%); with ``device`` (and
    ``metric``, which defaults to the device's only one) it predicts that device's throughput
    (images/s) or latency (ms). The ensemble is loaded on first use, from ``source``: ``"auto"``
    (the default) takes the one shipped with the package where anb ships it (xgb for accuracy
    and every built-in device metric: the same numbers on every machine, :mod:`anb.surrogates.shipped`),
    else the cache, else a download, else a local build; ``"shipped"`` only the shipped one;
    ``"cache"`` never the shipped one (a local build, a download or a legacy import).

    ``n_members``: how many members to use. ``None`` (the default) uses every member of the
    shipped, cached or downloaded ensemble, and builds ``store.DEFAULT_MEMBERS`` when there is
    none. A number uses the first that many of a larger ensemble, builds that many when there is
    none (more than the shipped ensemble has, with ``"auto"``: from the cache or a build, with a
    warning), and warns (using what there is) when a cached ensemble has fewer.

    ``query`` gives a calibrated predictive std: what a new measurement of the architecture
    scatters by around the mean, fitted on the validation side of the build
    (:mod:`anb.models.calibration`). ``query_spread`` gives the members' raw spread instead, and
    ``query_members`` every member's prediction. An ensemble whose manifest holds no calibration
    (a legacy import, or a published archive from before calibrations) warns once and uses the
    raw spread as its std.
    """

    def __init__(self, model: str = "xgb", device: str | None = None, metric: str | None = None,
                 seed: int | None = None, n_members: int | None = None,
                 cache_dir: str | Path | None = None, progress: bool = True, source: str = store.AUTO):
        request = resolve_request(model, device, metric)
        seed = check_seed(seed)
        self.source = store.check_source(source)
        n_members = None if n_members is None else check_members(n_members)
        self.family = request.family
        self.target = request.target
        # The original names device surrogates "<model>_accel"; keep that name for display.
        self.model = request.model
        self.seed = seed
        self.n_members = None if n_members is None else int(n_members)
        self.cache_dir = check_folder(cache_dir, "cache_dir") if cache_dir is not None else None
        self.progress = progress
        self._rng = np.random.default_rng(seed)
        self.members = None
        self.manifest = None
        self.calibration = None

    def __repr__(self) -> str:
        return f"ANBEnsemble(model={self.model!r}, target={self.target.label!r}, unit={self.target.unit!r})"

    def load_ensemble(self) -> ANBEnsemble:
        """Load the members (shipped, cached, downloaded or built); returns ``self``, as the original did."""
        if self.members is None:
            members, self.manifest = store.obtain(self.family, self.target, self.n_members or store.DEFAULT_MEMBERS,
                                                  self.cache_dir, self.progress, self.source)
            if self.n_members is not None and len(members) < self.n_members:
                warnings.warn(f"the {self.model} {self.target.label} ensemble in the cache has {len(members)} members, "
                              f"fewer than n_members={self.n_members}; using all {len(members)}. To rebuild it: "
                              f"{self._build_command()}", stacklevel=2)
            self.members = members[:self.n_members]
            self._predictor = MemberPredictions(self.members)
            if self._predictor.table is not None:
                load_kernel_in_background()
            self.calibration = self._calibration()
        return self

    def _calibration(self) -> SpreadCalibration | None:
        record = self.manifest.get("calibration")
        if record is None:
            warnings.warn(f"the {self.model} {self.target.label} ensemble's manifest holds no calibration (a legacy "
                          f"import or an archive from before anb calibrated its std): its std is the members' raw "
                          f"spread, which understates the error. Rebuilding it locally calibrates it: "
                          f"{self._build_command()}", stacklevel=3)
            return None
        return SpreadCalibration.from_dict(record)

    def _build_command(self) -> str:
        where = "" if self.target.device is None else f" --device {self.target.device} --metric {self.target.metric}"
        command = f"anb build --model {self.family}{where} --members {self.n_members or store.DEFAULT_MEMBERS} --force"
        return command + (" (then query with source='cache')" if shipped.shipped_members(self.family, self.target) else "")

    def query_members(self, samples) -> np.ndarray:
        """Every member's prediction: an ``(n_members, n)`` array, in the order of the input."""
        encoded = encode(samples)  # validate before anything is loaded or built
        self.load_ensemble()
        out = np.empty((len(self.members), len(encoded)))
        for start in range(0, len(encoded), CHUNK_ROWS):
            chunk = self._features(encoded[start:start + CHUNK_ROWS])
            out[:, start:start + len(chunk)] = self._predictor.predict(chunk)
        return out

    def _features(self, encoded: np.ndarray) -> np.ndarray:
        """What the members were fitted on: the encoding alone for legacy imports, else the features."""
        if self.manifest["feature_version"] == LEGACY_FEATURE_VERSION:
            return encoded
        return features_from_encoded(encoded)

    def query(self, samples) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)``, one value per architecture: the members' mean and the calibrated
        predictive std (what a measurement of that architecture would scatter by)."""
        predictions = self.query_members(samples)
        if predictions.shape[1] == 0:
            return np.empty(0), np.empty(0)
        mean = predictions.mean(axis=0)
        if self.calibration is None:
            return mean, predictions.std(axis=0)
        return mean, self.calibration.std_from_members(predictions, mean)

    def query_spread(self, samples) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, spread)``: the members' mean and raw std (their disagreement, uncalibrated)."""
        predictions = self.query_members(samples)
        return predictions.mean(axis=0), predictions.std(axis=0)

    def query_noise(self, samples, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """A noisy evaluation: one independent draw per architecture from its predictive
        distribution (the calibration's Student-t with the mean and std of :meth:`query`;
        a Gaussian of the raw spread for an uncalibrated ensemble).

        Reproducible with ``rng`` (a Generator or a seed); by default the ensemble's own
        generator, seeded by its ``seed``.
        """
        if rng is None:
            generator = self._rng
        else:
            generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(check_seed(rng, "rng"))
        mean, std = self.query(samples)
        return self.sample_predictive(mean, std, generator)

    def sample_predictive(self, mean: np.ndarray, std: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        """One independent draw per row from the predictive distribution with the ``mean`` and
        ``std`` of :meth:`query` (loaded ensembles only)."""
        if self.calibration is None:
            return mean + std * generator.standard_normal(len(mean))
        return self.calibration.sample(mean, std, generator)

    def supported_metrics(self) -> dict[str, str]:
        """The metrics this ensemble's device offers (or accuracy), with their units."""
        if self.target.device is None:
            return {"accuracy": "%"}
        from anb.devices import get_device

        return dict(get_device(self.target.device).metrics)

    @staticmethod
    def available_models() -> tuple[str, ...]:
        return tuple(FAMILIES)
