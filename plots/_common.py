"""What the scripts in plots/ share: arguments, targets, ensembles and test-split predictions."""

from __future__ import annotations

import argparse
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

import anb
from anb.devices import get_device
from anb.devices.targets import Target, resolve_target
from anb.fitting.metrics import evaluate_metrics
from anb.fitting.plotting import save_figure
from anb.surrogates.store import DEFAULT_MEMBERS

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
FORMATS = ("png", "pdf")


def parser(description: str, ensembles: bool = True) -> argparse.ArgumentParser:
    """An argument parser with the options every plot script has (and the ensembles' ones)."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", default=str(DEFAULT_OUT), help=f"where the PNG/PDF (and the numbers behind them, CSV/JSON) go (default: {DEFAULT_OUT})")
    p.add_argument("--model", default="xgb", help="surrogate family (default: xgb)")
    if ensembles:
        p.add_argument("--n-members", type=int, default=None,
                       help=f"ensemble members to use: the first N of a cached ensemble, or N built when the cache "
                            f"lacks it (default: all cached ones, or {DEFAULT_MEMBERS} built)")
    p.add_argument("--formats", nargs="+", default=list(FORMATS), help="figure formats (default: png pdf)")
    return p


def parse_target(text: str) -> Target:
    """``accuracy``, ``a100`` or ``zcu102/latency``."""
    if text in ("accuracy", "val_top1"):
        return resolve_target()
    device, _, metric = text.partition("/")
    return resolve_target(device, metric or None)


def add_targets_option(p: argparse.ArgumentParser, default_help: str = "accuracy and every device metric") -> None:
    p.add_argument("--targets", nargs="+", default=None,
                   help=f"targets as accuracy, <device> or <device>/<metric> (default: {default_help})")


def chosen_targets(args, default: list[Target]) -> list[Target]:
    """The ``--targets`` a user gave, else ``default``."""
    return [parse_target(t) for t in args.targets] if args.targets else default


_ENSEMBLES: dict = {}


def ensemble(target: Target, model: str = "xgb", n_members: int | None = None) -> anb.ANBEnsemble:
    """The cached surrogate of a target (built on first use), loaded once per process."""
    key = (model, target.device, target.metric, n_members)
    if key not in _ENSEMBLES:
        _ENSEMBLES[key] = anb.ANBEnsemble(model, device=target.device, metric=target.metric,
                                          n_members=n_members, progress=False).load_ensemble()
    return _ENSEMBLES[key]


@lru_cache(maxsize=None)
def measurements(device: str | None) -> pd.DataFrame:
    """The dataset a target's surrogate was fitted on (the device plugin's own, or Accel-NASBench)."""
    return get_device(device).load_measurements() if device else anb.load_dataset()


def test_predictions(target: Target, model: str = "xgb", n_members: int | None = None) -> pd.DataFrame:
    """The ensemble's mean and std on the held-out test files of the split it was built on.

    Columns: ``name``, ``measured``, ``predicted``, ``std``, ``abs_error``.
    """
    surrogate = ensemble(target, model, n_members)
    names = surrogate.manifest.get("test_names")
    if not names:
        raise ValueError(f"the {target.label} surrogate's manifest lists no test files; rebuild it with this version")
    data = measurements(target.device).set_index("name", drop=False)
    rows = data.loc[[n for n in names if n in data.index]]
    rows = rows[rows[target.column].notna()]
    mean, std = surrogate.query(rows.reset_index(drop=True))
    measured = rows[target.column].to_numpy(float)
    return pd.DataFrame({"name": rows["name"].to_numpy(), "measured": measured, "predicted": mean, "std": std,
                         "abs_error": np.abs(mean - measured)})


def test_metrics(frame: pd.DataFrame) -> dict:
    return evaluate_metrics(frame["measured"], frame["predicted"])


def grid(n: int, cols: int | None = None) -> tuple[int, int]:
    cols = min(n, cols or 3)
    return int(np.ceil(n / cols)), cols


def finish_grid(fig, axes, n_used: int, title: str, out_dir: str | Path, stem: str, formats) -> list[Path]:
    """Blank the unused panels of a grid, title it and write it."""
    for ax in list(axes.flat)[n_used:]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, out_dir, stem, formats)


def finish(fig, out_dir: str | Path, stem: str, formats) -> list[Path]:
    written = save_figure(fig, Path(out_dir) / stem, formats=tuple(formats))
    for path in written:
        print(f"wrote {path}")
    return written


def write_json(path: Path, obj) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, default=float))
    print(f"wrote {path}")
    return path


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    print(f"wrote {path}")
    return path
