"""Write the project's own train/val/test split of the Accel-NASBench dataset.

The split is random over architectures (duplicated architectures stay on one side), with the
package's default ratios and seed (``anb.data.splits.DEFAULT_RATIOS``, ``DEFAULT_SPLIT_SEED``) or
those of a data config, and is written as ``{train,val,test}_paths.json`` (file base names).
With the defaults it writes the split shipped as ``configs/data_splits/anb_v1``, the package's
default split (``anb.data.splits.default_split``): surrogates that ``anb`` builds locally are fitted
on its train side and early-stopped on val.

    python create_data_splits.py                       # configs/data_splits/anb_v1, seed 0
    python create_data_splits.py --seed 1 --out_dir my_split
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anb.data.dataset import load_dataset
from anb.data.splits import DEFAULT_RATIOS, DEFAULT_SPLIT_SEED, PROJECT_SPLIT, random_split, split_from_data_config
from anb.data.validation import OneLineParser, check_seed, cli_type

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ratios = "/".join(f"{v:g}" for v in DEFAULT_RATIOS.values())
    parser = OneLineParser("create_data_splits.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset_root", default=None, help="directory or .tar.gz of result JSONs (default: the cached dataset)")
    parser.add_argument("--data_config_path", default=None,
                        help=f"data config with train_val_test_split ratios (default: the package's {ratios})")
    parser.add_argument("--seed", type=cli_type(check_seed, "--seed"), default=DEFAULT_SPLIT_SEED, help=f"(default: {DEFAULT_SPLIT_SEED})")
    parser.add_argument("--out_dir", default=str(HERE / "configs" / "data_splits" / PROJECT_SPLIT))
    args = parser.parse_args(argv)
    try:
        data = load_dataset(args.dataset_root)
        if args.data_config_path is None:
            split = random_split(data, **DEFAULT_RATIOS, seed=args.seed)
        else:
            split = split_from_data_config(args.data_config_path, data, args.seed)
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"create_data_splits.py: error: {exc}", file=sys.stderr)
        return 2
    split.save(args.out_dir)
    print(f"{split.source}: {split.sizes()} written to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
