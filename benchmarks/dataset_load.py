"""How long loading the whole dataset takes, from the archive and from extracted JSONs.

Baseline in the same run: reading and json-parsing the same files with nothing else (the
floor any loader pays), so the figure means something on a shared, noisy machine.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/dataset_load.py
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path

from _timing import best_and_median

from anb.data.dataset import fetch_dataset, load_dataset

REPEATS = 5


def parse_only(directory: Path) -> None:
    for path in directory.glob("result_*.json"):
        json.loads(path.read_bytes())


def main() -> None:
    archive = fetch_dataset()
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        folder = Path(tmp) / "anb_dataset_jsons"
        rows = [
            ("load_dataset(archive .tar.gz)", best_and_median(lambda: load_dataset(archive), REPEATS)),
            ("load_dataset(directory)", best_and_median(lambda: load_dataset(folder), REPEATS)),
            ("baseline: read + json.loads only", best_and_median(lambda: parse_only(folder), REPEATS)),
        ]
    n = len(load_dataset(archive))
    print(f"{n} result files, best / median of {REPEATS}")
    for name, (best, median) in rows:
        print(f"  {name:36s} {best:6.3f} s / {median:6.3f} s")


if __name__ == "__main__":
    main()
