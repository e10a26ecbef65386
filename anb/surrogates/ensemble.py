"""`ANBEnsemble`: query an ensemble of surrogates for accuracy or a device metric."""

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

    `ANBEnsemble("xgb")` predicts ImageNet top-1 accuracy (%); with `device` (and `metric`,
    which defaults to the device's only one) it predicts that device's throughput (images/s)
    or latency (ms). The ensemble is loaded on first use (a query, or
    [`load_ensemble`][anb.ANBEnsemble.load_ensemble]), from `source`.

    [`query`][anb.ANBEnsemble.query] gives a calibrated predictive std: what a new measurement
    of the architecture scatters by around the mean, fitted on the validation side of the build
    (`anb.models.calibration`). [`query_spread`][anb.ANBEnsemble.query_spread] gives the
    members' raw spread instead, and [`query_members`][anb.ANBEnsemble.query_members] every
    member's prediction. An ensemble whose manifest holds no calibration (a legacy import, or a
    published archive from before calibrations) warns once and uses the raw spread as its std.

    Parameters
    ----------
    model : str, default "xgb"
        The model family (one of [`available_models`][anb.ANBEnsemble.available_models]), or
        its device form `"<family>_accel"`, which needs a `device`.
    device : str or None, default None
        A device's name (see [`discover_devices`][anb.devices.discover_devices]); `None`
        predicts accuracy.
    metric : str or None, default None
        The device's metric, e.g. `"throughput"` or `"latency"`; `None` takes the device's only
        metric. Without a device it must be `None`, `"accuracy"` or `"val_top1"`.
    seed : int or None, default None
        Seeds the generator of [`query_noise`][anb.ANBEnsemble.query_noise]; a non-negative
        integer or `None`.
    n_members : int or None, default None
        How many members to use. `None` uses every member of the shipped, cached or downloaded
        ensemble, and builds `store.DEFAULT_MEMBERS` (5) when there is none. A number (1 to 100)
        uses the first that many of a larger ensemble, builds that many when there is none
        (more than the shipped ensemble has, with `"auto"`: from the cache or a build, with a
        warning), and warns (using what there is) when a cached ensemble has fewer.
    cache_dir : str | Path | None, default None
        The folder of the surrogate cache (made if it does not exist); `None` is anb's own.
    progress : bool, default True
        Whether a download or a build shows a progress bar.
    source : {"auto", "shipped", "cache"}, default "auto"
        Where the ensemble comes from. `"auto"` takes the one shipped with the package where anb
        ships it (xgb for accuracy and every built-in device metric: the same numbers on every
        machine, `anb.surrogates.shipped`), else the cache, else a download, else a local
        build; `"shipped"` only the shipped one; `"cache"` never the shipped one (a local build,
        a download or a legacy import).

    Attributes
    ----------
    family : str
        The model family, e.g. `"xgb"`.
    model : str
        The original's model name: `"<family>_accel"` for a device surrogate, else the family.
    target : Target
        What is predicted: `target.label` (`"accuracy"` or `"<device>/<metric>"`) and
        `target.unit` (`"%"`, `"images/s"`, `"ms"`).
    members : list or None
        The loaded members; `None` until the ensemble is loaded.
    manifest : dict or None
        The loaded ensemble's manifest; `None` until it is loaded.
    calibration : SpreadCalibration or None
        The std calibration of the loaded ensemble; `None` before loading and for an ensemble
        without one.

    Raises
    ------
    ValueError
        For an unknown model, device or metric (naming the ones there are), a device form of
        `model` without a device, a `metric` without a device, a negative or non-integer
        `seed`, an `n_members` outside 1..100, a `source` that is not one of `"auto"`,
        `"shipped"`, `"cache"`, or a `cache_dir` that is a file.
    TypeError
        For a `cache_dir` that is not a path.

    Examples
    --------
    ```python
    import anb
    from configurationspaces.searchspaces import EfficientNetSS
    samples = EfficientNetSS(seed=0).random_sample(4)
    mean, std = anb.ANBEnsemble("xgb").query(samples)                                   # top-1 %
    mean, std = anb.ANBEnsemble("xgb", device="a100", metric="throughput").query(samples)  # images/s
    ```
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
        """Load the members (shipped, cached, downloaded or built), once.

        Returns
        -------
        ANBEnsemble
            `self`, as the original did.

        Warns
        -----
        UserWarning
            When the cached ensemble has fewer members than `n_members` (all of them are used),
            and when its manifest holds no calibration (the std is then the members' raw spread).
        """
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
        """Every member's prediction, in the order of the input.

        Parameters
        ----------
        samples : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures, in any form
            [`encode`][configurationspaces.efficientnet_encoding.encode] takes. They are
            validated before anything is loaded or built.

        Returns
        -------
        numpy.ndarray
            An `(n_members, n)` array: row `i` holds member `i`'s predictions, in the target's
            unit.

        Raises
        ------
        ValueError
            For an invalid architecture, naming the block, the field, the bad value and the
            allowed values.
        """
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
        """The members' mean and the calibrated predictive std, one value per architecture.

        The std is what a measurement of that architecture would scatter by (the members' raw
        spread for an ensemble without a calibration).

        Parameters
        ----------
        samples : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures, in any form
            [`encode`][configurationspaces.efficientnet_encoding.encode] takes.

        Returns
        -------
        mean : numpy.ndarray
            Shape `(n,)`, in the target's unit (top-1 %, images/s or ms).
        std : numpy.ndarray
            Shape `(n,)`, in the same unit.

        Raises
        ------
        ValueError
            For an invalid architecture, naming the block, the field, the bad value and the
            allowed values.
        """
        predictions = self.query_members(samples)
        if predictions.shape[1] == 0:
            return np.empty(0), np.empty(0)
        mean = predictions.mean(axis=0)
        if self.calibration is None:
            return mean, predictions.std(axis=0)
        return mean, self.calibration.std_from_members(predictions, mean)

    def query_spread(self, samples) -> tuple[np.ndarray, np.ndarray]:
        """The members' mean and raw std (their disagreement, uncalibrated).

        Parameters
        ----------
        samples : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures, in any form
            [`encode`][configurationspaces.efficientnet_encoding.encode] takes.

        Returns
        -------
        mean : numpy.ndarray
            Shape `(n,)`, in the target's unit.
        spread : numpy.ndarray
            Shape `(n,)`: the std of the members' predictions.

        Raises
        ------
        ValueError
            For an invalid architecture, naming the block, the field, the bad value and the
            allowed values.
        """
        predictions = self.query_members(samples)
        return predictions.mean(axis=0), predictions.std(axis=0)

    def query_noise(self, samples, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """A noisy evaluation: one independent draw per architecture from its predictive distribution.

        The distribution is the calibration's Student-t with the mean and std of
        [`query`][anb.ANBEnsemble.query]; a Gaussian of the raw spread for an uncalibrated
        ensemble.

        Parameters
        ----------
        samples : Configuration | dict | DataFrame | list | numpy.ndarray
            The architectures, in any form
            [`encode`][configurationspaces.efficientnet_encoding.encode] takes.
        rng : numpy.random.Generator | int | None, default None
            Makes the draws reproducible: a Generator or a seed. `None` uses the ensemble's own
            generator, seeded by its `seed`.

        Returns
        -------
        numpy.ndarray
            Shape `(n,)`: one draw per architecture, in the target's unit.

        Raises
        ------
        ValueError
            For an invalid architecture, or an `rng` that is neither a Generator, a
            non-negative integer nor `None`.
        """
        if rng is None:
            generator = self._rng
        else:
            generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(check_seed(rng, "rng"))
        mean, std = self.query(samples)
        return self.sample_predictive(mean, std, generator)

    def sample_predictive(self, mean: np.ndarray, std: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        """One independent draw per row from the predictive distribution (loaded ensembles only).

        Parameters
        ----------
        mean : numpy.ndarray
            Shape `(n,)`: the means of [`query`][anb.ANBEnsemble.query].
        std : numpy.ndarray
            Shape `(n,)`: the stds of [`query`][anb.ANBEnsemble.query].
        generator : numpy.random.Generator
            The generator the draws come from.

        Returns
        -------
        numpy.ndarray
            Shape `(n,)`: the calibration's Student-t draws, or Gaussian ones for an
            uncalibrated ensemble.
        """
        if self.calibration is None:
            return mean + std * generator.standard_normal(len(mean))
        return self.calibration.sample(mean, std, generator)

    def supported_metrics(self) -> dict[str, str]:
        """The metrics this ensemble's device offers (or accuracy), with their units.

        Returns
        -------
        dict of str to str
            Metric name to unit, e.g. `{"throughput": "images/s", "latency": "ms"}`;
            `{"accuracy": "%"}` for an accuracy ensemble.
        """
        if self.target.device is None:
            return {"accuracy": "%"}
        from anb.devices import get_device

        return dict(get_device(self.target.device).metrics)

    @staticmethod
    def available_models() -> tuple[str, ...]:
        """The model families an ensemble can be made of.

        Returns
        -------
        tuple of str
            The family names, e.g. `("xgb", "lgb", ...)`.
        """
        return tuple(FAMILIES)
