"""Test Kendall tau and R² of the project's tuned model configs against the published ones.

For every target (accuracy and the eight device targets) and model family, both configs are
fitted on the same split (by default the published one: fit on train, early-stop on val,
score on test) with the same seeds, and the test metrics are averaged over the seeds. The
project's config is "at least as good" on a target when neither its mean tau nor its mean R²
is lower at the table's precision (4 decimals).

    python benchmarks/tuned_vs_published.py                        # xgb and lgb, seeds 0 1 2
    python benchmarks/tuned_vs_published.py --families xgb --jobs 2 --update-doc docs/hpo.md
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from anb.data import paths

TARGETS = (
    (None, None),
    ("a100", "throughput"),
    ("3090", "throughput"),
    ("tpuv2", "throughput"),
    ("tpuv3", "throughput"),
    ("zcu102", "throughput"),
    ("zcu102", "latency"),
    ("vck190", "throughput"),
    ("vck190", "latency"),
)
DIGITS = 4
DOC_START, DOC_END = "<!-- tuned-vs-published:start -->", "<!-- tuned-vs-published:end -->"


@lru_cache(maxsize=2)
def _data_and_split(dataset_root: str | None, split_dir: str):
    from anb.data.dataset import load_dataset
    from anb.data.splits import load_split_dir

    data = load_dataset(dataset_root)
    return data, load_split_dir(split_dir, data)


def fit_and_score(family: str, config_path: str, device, metric, seed: int, dataset_root, split_dir: str, n_threads: int) -> dict:
    """Fit one model of ``family`` with the config's defaults; its test metrics."""
    from anb.devices.targets import resolve_target
    from anb.fitting.model_config import read_model_params
    from anb.fitting.training import evaluate_sides, fit_members, split_data
    from anb.models import family_class

    data, split = _data_and_split(dataset_root, split_dir)
    sides, _ = split_data(data, split, resolve_target(device, metric))
    params = read_model_params(config_path)
    thread_param = family_class(family).thread_param
    if thread_param is not None:
        params[thread_param] = n_threads
    start = time.perf_counter()
    members = fit_members(family, params, sides, 1, seed, progress=False)
    seconds = time.perf_counter() - start
    metrics, _ = evaluate_sides(members, sides)
    return {"tau": metrics["test"]["kendall_tau"], "r2": metrics["test"]["r2"], "rmse": metrics["test"]["rmse"], "seconds": seconds}


def config_paths(family: str, device, metric, published_dir: Path) -> dict[str, Path]:
    from anb.fitting.model_config import config_file_name, default_config_path
    from anb.models import family_class

    name = config_file_name(family, device, metric)
    tuned = default_config_path(family, device, metric)
    if tuned.name != name:
        raise FileNotFoundError(f"the project has no {name} (only the fallback {tuned.name})")
    published = published_dir / family_class(family).config_folder / name
    if not published.is_file():
        raise FileNotFoundError(f"no published config {published}")
    return {"tuned": tuned, "published": published}


def compare(families, seeds, dataset_root, split_dir: Path, published_dir: Path, jobs: int, n_threads: int) -> dict:
    """``{family: [row per target]}`` with the mean test tau/R² of both configs."""
    from anb.devices.targets import resolve_target

    jobs_list = []
    for family in families:
        for device, metric in TARGETS:
            for kind, path in config_paths(family, device, metric, published_dir).items():
                for seed in seeds:
                    jobs_list.append(((family, device, metric, kind, seed), (family, str(path), device, metric, seed, dataset_root, str(split_dir), n_threads)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {key: pool.submit(fit_and_score, *args) for key, args in jobs_list}
        scores = {key: future.result() for key, future in futures.items()}

    tables = {}
    for family in families:
        rows = []
        for device, metric in TARGETS:
            row = {"target": resolve_target(device, metric).label}
            for kind in ("tuned", "published"):
                runs = [scores[(family, device, metric, kind, seed)] for seed in seeds]
                for key in ("tau", "r2", "seconds"):
                    row[f"{kind}_{key}"] = float(np.mean([r[key] for r in runs]))
            rounded = {k: round(v, DIGITS) for k, v in row.items() if k != "target"}
            row["as_good"] = rounded["tuned_tau"] >= rounded["published_tau"] and rounded["tuned_r2"] >= rounded["published_r2"]
            rows.append(row)
        tables[family] = rows
    return tables


def markdown(tables: dict, seeds) -> str:
    lines = []
    for family, rows in tables.items():
        wins = sum(r["as_good"] for r in rows)
        lines += [
            (f"**{family}**: the project's config is at least as good (test tau and R² both not lower) "
            f"on {wins} of {len(rows)} targets. Mean of seeds {', '.join(map(str, seeds))}."),
            "",
            "| target | tau tuned | tau published | R² tuned | R² published | at least as good | fit s tuned / published |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['target']} | {r['tuned_tau']:.{DIGITS}f} | {r['published_tau']:.{DIGITS}f} | "
                f"{r['tuned_r2']:.{DIGITS}f} | {r['published_r2']:.{DIGITS}f} | {'yes' if r['as_good'] else 'no'} | "
                f"{r['tuned_seconds']:.1f} / {r['published_seconds']:.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def update_doc(path: Path, table: str) -> None:
    text = path.read_text()
    pattern = re.compile(re.escape(DOC_START) + r".*?" + re.escape(DOC_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {DOC_START} ... {DOC_END} markers to put the table between")
    path.write_text(pattern.sub(lambda _: f"{DOC_START}\n{table}\n{DOC_END}", text))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=["xgb", "lgb"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--dataset_root", default=None, help="default: the cached dataset")
    parser.add_argument("--split-dir", default=None, help="default: $ANB_DATA_DIR/default_split (the published split)")
    parser.add_argument("--published-dir", default=None, help="default: $ANB_DATA_DIR/published_model_configs")
    parser.add_argument("--jobs", type=int, default=2, help="fits in parallel (processes)")
    parser.add_argument("--n-threads", type=int, default=1, help="threads per fit")
    parser.add_argument("--update-doc", default=None, help="also write the table into this markdown file, between markers")
    args = parser.parse_args(argv)

    split_dir = Path(args.split_dir) if args.split_dir else paths.data_dir() / "default_split"
    published_dir = Path(args.published_dir) if args.published_dir else paths.data_dir() / "published_model_configs"
    start = time.perf_counter()
    try:
        tables = compare(args.families, args.seeds, args.dataset_root, split_dir, published_dir, args.jobs, args.n_threads)
    except (OSError, ValueError) as exc:
        print(f"tuned_vs_published.py: error: {exc}", file=sys.stderr)
        return 2
    table = markdown(tables, args.seeds)
    print(f"split: {split_dir}; published configs: {published_dir}\n")
    print(table)
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.update_doc:
        update_doc(Path(args.update_doc), table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
