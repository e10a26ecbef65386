"""The small interface every surrogate family implements: fit, predict, save, load."""

from __future__ import annotations

import gzip
import json
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from anb.models.target_link import IDENTITY, LINK_PARAM, LogLinearLink, check_link

SPEC_FILE = "surrogate.json"
# The suffix of a model file stored gzip-compressed (the shipped surrogates, anb.surrogates.shipped).
COMPRESSED_SUFFIX = ".gz"


class Surrogate(ABC):
    """A regressor from an encoded architecture matrix to one target.

    ``params`` are the underlying library's own hyperparameters (xgboost/LightGBM native
    parameters, scikit-learn constructor arguments), plus ``num_rounds`` and
    ``early_stopping_rounds`` for the boosters, and ``target_link`` (``"identity"`` or
    ``"log_linear"``, see :mod:`anb.models.target_link`) for every family.
    """

    family: str = ""
    model_file: str = ""
    library: str = ""
    # What a model config may set for this family (names without the ``param:`` prefix). A
    # config naming anything else was most likely written for another family, and the
    # libraries would only warn about an unknown parameter and carry on.
    tunable_params: frozenset[str] = frozenset()
    # The parameter that sets the library's thread count (None: the library has no such knob).
    thread_param: str | None = None
    # The folder of configs/model_configs/ that holds this family's configs.
    config_folder: str = ""
    # The integer parameter that bounds the size of each tree (None: not a tree model), which
    # cost-aware tuning shrinks to find cheaper relatives of a tuned config.
    tree_size_param: str | None = None

    # Every family's class by name, filled in as the subclasses are defined (see __init_subclass__).
    families: dict[str, type[Surrogate]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.family:
            Surrogate.families[cls.family] = cls
            cls.tunable_params = cls.tunable_params | {LINK_PARAM}

    @classmethod
    def for_family(cls, family: str) -> type[Surrogate]:
        """The class of model family ``family``; ``ValueError`` naming the families there are."""
        if family not in Surrogate.families:
            raise ValueError(f"unknown model {family!r}; available: {', '.join(Surrogate.families)}")
        return Surrogate.families[family]

    def __init__(self, params: dict | None = None, seed: int = 0):
        self.params = dict(params or {})
        self.target_link = check_link(self.params.pop(LINK_PARAM, IDENTITY))
        self.seed = int(seed)
        self.fitted_ = False
        # The fitted log-linear trend (None with the identity link).
        self.link_: LogLinearLink | None = None

    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None, y_val: np.ndarray | None) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _save_model(self, path: Path) -> None: ...

    @abstractmethod
    def _load_model(self, raw: bytes) -> None:
        """Restore the model from the bytes :meth:`_save_model` wrote."""

    def fit(self, X, y, X_val=None, y_val=None) -> Surrogate:
        """Fit on ``(X, y)``; boosters stop early on ``(X_val, y_val)`` when it is given."""
        X, y = _check_xy(X, y)
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        if X_val is not None:
            X_val, y_val = _check_xy(X_val, y_val)
            if X_val.shape[1] != X.shape[1]:
                raise ValueError(f"X_val has {X_val.shape[1]} features but X has {X.shape[1]}")
        self.n_features_ = X.shape[1]
        if self.target_link != IDENTITY:
            self.link_ = LogLinearLink().fit(X, y)
            y = self.link_.residual(X, y)
            if y_val is not None:
                y_val = self.link_.residual(X_val, y_val)
        self._fit(X, y, X_val, y_val)
        self.fitted_ = True
        return self

    def predict(self, X) -> np.ndarray:
        if not self.fitted_:
            raise RuntimeError(f"this {self.family} surrogate is not fitted; call fit() or load() first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_:
            raise ValueError(f"X must have shape (n, {self.n_features_}); got {X.shape}")
        if len(X) == 0:
            return np.empty(0)
        output = np.asarray(self._predict(X), dtype=np.float64).ravel()
        return output if self.link_ is None else self.link_.inverse(X, output)

    def evaluations_per_row(self, X) -> float:
        """The model's own prediction work per row of ``X``, on average (see ``prediction_cost``)."""
        raise NotImplementedError(f"{self.family} surrogates do not count their prediction work")

    def extra_state(self) -> dict:
        """Fitted state beyond the model file that ``load`` needs (e.g. a booster's best round)."""
        return {}

    def save(self, directory: str | Path, compress: bool = False) -> list[Path]:
        """Write the model in its library's own format plus a JSON spec; returns the files.

        ``compress`` stores the model file gzip-compressed (``<model_file>.gz``), with no time
        stamp or name in its header, so the same model always gives the same bytes.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / self.model_file
        self._save_model(model_path)
        if compress:
            compressed = model_path.with_name(model_path.name + COMPRESSED_SUFFIX)
            compressed.write_bytes(gzip.compress(model_path.read_bytes(), compresslevel=9, mtime=0))
            model_path.unlink()
            model_path = compressed
        spec = {
            "family": self.family,
            "params": self.params if self.link_ is None else {**self.params, LINK_PARAM: self.target_link},
            "seed": self.seed,
            "n_features": self.n_features_,
            "model_file": model_path.name,
            "state": self.extra_state() if self.link_ is None else {**self.extra_state(), "link": self.link_.state()},
        }
        spec_path = directory / SPEC_FILE
        spec_path.write_text(json.dumps(spec, indent=1))
        return [model_path, spec_path]

    @classmethod
    def load(cls, directory: str | Path) -> Surrogate:
        """Load a surrogate saved by :meth:`save` (of this family, or any when called on the base)."""
        directory = Path(directory)
        spec = json.loads((directory / SPEC_FILE).read_text())
        klass = Surrogate.for_family(spec["family"]) if cls is Surrogate else cls
        model = klass(spec["params"], spec["seed"])
        model.n_features_ = spec["n_features"]
        state = spec.get("state", {})
        if "link" in state:
            model.link_ = LogLinearLink.from_state(state["link"])
        model.restore_state(state)
        model._load_model(read_model_bytes(directory / spec["model_file"]))
        model.fitted_ = True
        return model

    def restore_state(self, state: dict) -> None:
        """Inverse of :meth:`extra_state`."""


def read_model_bytes(path: Path) -> bytes:
    """The model file's bytes, decompressed when it is stored compressed."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.name.endswith(COMPRESSED_SUFFIX) else raw


def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d matrix; got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} values")
    if len(y) == 0:
        raise ValueError("cannot fit on zero rows")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf; drop missing measurements before fitting")
    return X, y
