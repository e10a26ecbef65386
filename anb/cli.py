"""The ``anb`` command: list devices, query surrogates, build/download/import them, manage the cache."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from anb.adaptation import adapt, measure, runtimes
from anb.data import paths
from anb.data.download import DownloadError
from anb.data.architecture_input import read_architectures
from anb.data.validation import OneLineParser, check_int, check_members, check_seed, cli_type, one_line
from anb.devices import discover_devices
from anb.devices.request import Request, resolve_request
from anb.devices.targets import all_targets, resolve_target
from anb.graphs import draw
from anb.models import FAMILIES, MODEL_NAMES
from anb.optimum import command as optimum_command
from anb.surrogates import cache_contents, cache_entry, release, shipped, store
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.ensemble_io import CorruptEnsembleError
from anb.surrogates.legacy import import_legacy
from configurationspaces.efficientnet_encoding import decode_records, decode_values, encode
from configurationspaces.searchspaces import EfficientNetSS


def _requests(models: list[str], device: str | None, metric: str | None, every: bool) -> list[Request]:
    """Each model for the target asked for, or for accuracy and every metric of every device."""
    targets = [(t.device, t.metric) for t in all_targets()] if every else [(device, metric)]
    return [resolve_request(model, *target) for target in targets for model in models]


def cmd_devices(args) -> int:
    rows = [{"device": "-", "metric": "accuracy", "unit": "%", "shipped": _shipped_models(None, None),
             "cached": _cached_models(None, None), "description": "ImageNet top-1"}]
    for name, plugin in discover_devices().items():
        for metric, unit in plugin.metrics.items():
            rows.append({"device": name, "metric": metric, "unit": unit, "shipped": _shipped_models(name, metric),
                         "cached": _cached_models(name, metric), "description": plugin.description})
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _shipped_models(device, metric) -> str:
    target = resolve_target(device, metric)
    return ", ".join(_shipped_state(f, target) for f in FAMILIES if shipped.is_released(f, target)) or "no"


def _shipped_state(family: str, target) -> str:
    """``family``, or that its shipped files fail their checks."""
    try:
        shipped.verify_shipped(family, target)
    except CorruptEnsembleError:
        return f"{family} DAMAGED: reinstall anb"
    return family


def _cached_models(device, metric) -> str:
    target = resolve_target(device, metric)
    cached = [f for f in FAMILIES if (store.entry_dir(f, target) / "manifest.json").is_file()]
    return ", ".join(cached) or "no"


def _architectures(args):
    if not args.input:
        return EfficientNetSS(seed=args.seed).random_encoded(args.random)
    return read_architectures(args.input)


def cmd_query(args) -> int:
    encoded = encode(_architectures(args))
    ensemble = ANBEnsemble(args.model, device=args.device, metric=args.metric, seed=args.seed, source=args.source)
    mean, std = ensemble.query(encoded)
    table = pd.DataFrame(decode_values(encoded))
    table[f"mean ({ensemble.target.unit})"] = mean
    table[f"std ({ensemble.target.unit})"] = std
    if args.json:
        print(table.to_json(orient="records"))
    else:
        print(f"{ensemble.target.label} from {ensemble.model} ({len(ensemble.members)} members)")
        print(table.to_string(index=False))
    return 0


def cmd_export(args) -> int:
    encoded = encode(read_architectures(args.input)) if args.input else EfficientNetSS(seed=args.seed).random_encoded(1)
    if len(encoded) != 1:
        raise ValueError(f"--input holds {len(encoded)} architectures; anb export writes one network")
    path = runtimes.export_onnx(encoded, args.onnx)
    architecture = decode_records(encoded)[0]
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, input '{runtimes.INPUT_NAME}' (batch, 3, 224, 224) "
          f"float32, output '{runtimes.OUTPUT_NAME}' (batch, 1000)): {architecture}")
    return 0


def cmd_build(args) -> int:
    for request in _requests(args.model, args.device, args.metric, args.all):
        family, target = request.family, request.target
        entry = store.entry_dir(family, target)
        if args.force and entry.exists():
            with cache_entry.locked(entry):
                cache_entry.remove(entry)
        print(f"{family} {target.label}: ", end="", flush=True)
        _, manifest = store.obtain(family, target, args.members, source=store.CACHE)
        test = manifest.get("metrics", {}).get("test", {})
        figures = f" (test tau {test['kendall_tau']:.3f}, R2 {test['r2']:.3f})" if test else ""
        note = (" (anb ships this ensemble: queries use the shipped one unless source='cache')"
                if shipped.shipped_members(family, target) else "")
        print(f"ready in {entry}{figures}{note}")
    return 0


def cmd_release(args) -> int:
    if args.check:
        if args.out is not None:
            raise ValueError(f"--check builds into a temporary folder and compares it with the shipped release; it "
                             f"writes nothing, so it takes no --out (got --out {args.out})")
        rows = release.check_release()
        print(pd.DataFrame(rows).to_string(index=False))
        identical = sum(row["identical"] for row in rows)
        print(f"{identical} of {len(rows)} ensembles built here are identical to the shipped ones, bit for bit")
        return 0 if identical == len(rows) else 1
    out = Path(args.out or shipped.ARTIFACT_DIR)
    manifest = release.build_release(out)
    for key, record in manifest["entries"].items():
        print(f"{key}  manifest {record['manifest_sha256']}  config {record['config_file']} {record['config_sha256'][:12]}")
        for i, digest in enumerate(record["models_sha256"]):
            print(f"    member {i}  model {digest}")
    print(f"release {manifest['anb_version']} in {out}: {shipped.RELEASE_FILE} {manifest['manifest_sha256']}")
    return 0


def cmd_download(args) -> int:
    for request in _requests([args.model], args.device, args.metric, args.all):
        family, target = request.family, request.target
        plugin_archive = None
        if target.device:
            plugin_archive = discover_devices()[target.device].archive(family, target.metric)
        if plugin_archive is None:
            print(f"{family} {target.label}: no download published; `anb build` makes it from the dataset")
            continue
        store.obtain(family, target)
        print(f"{family} {target.label}: ready in {store.entry_dir(family, target)}")
    return 0


def cmd_import_legacy(args) -> int:
    for entry in import_legacy(Path(args.directory)):
        print(f"imported {entry}")
    print("query the imported ensembles with source='cache' (`anb query --source cache`): by default anb answers "
          "from the surrogates shipped with it")
    return 0


def cmd_cache(args) -> int:
    root = paths.cache_root()
    if args.clear:
        removed = cache_contents.clear(root) if root.is_dir() else []
        for path in removed:
            print(f"removed {path}")
        print(f"cleared {len(removed)} item(s) anb wrote in {root}; nothing else there was touched")
        return 0
    print(f"cache: {root} (set {paths.ENV_HOME} to move it; `anb cache --clear` removes the surrogates anb wrote)")
    print(f"dataset: {paths.data_dir()} (set {paths.ENV_DATA_DIR} to move it)")
    entries = cache_contents.entries(root)
    for entry in entries:
        size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
        print(f"  {entry.relative_to(root)}  {size / 1e6:.1f} MB")
    if not entries:
        print("  no surrogates cached")
    return 0


MAX_RANDOM = 10_000_000  # rows a table on the terminal can sensibly hold


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser("anb", description="Accel-NASBench surrogates for hardware-aware NAS.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("devices", help="devices, metrics, units and what is cached").set_defaults(func=cmd_devices)

    query = sub.add_parser("query", help="predict accuracy or a device metric")
    query.add_argument("--model", default="xgb")
    query.add_argument("--device")
    query.add_argument("--metric")
    query.add_argument("--random", type=cli_type(lambda v, n: check_int(v, n, 1, MAX_RANDOM), "--random"), default=5,
                       help="query N random architectures (default 5)")
    query.add_argument("--input", help="JSON list of architecture dicts (block0_e, ...), or - for stdin")
    query.add_argument("--seed", type=cli_type(check_seed, "--seed"), default=None,
                       help="seed of the random architectures (a non-negative integer)")
    query.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    query.add_argument("--source", choices=store.SOURCES, default=store.AUTO,
                       help="shipped: the ensemble shipped with anb; cache: cached, downloaded or built here; "
                            "auto (default): shipped when anb ships it")
    query.set_defaults(func=cmd_query)

    export = sub.add_parser("export", help="write the network of an architecture as an ONNX file")
    export.add_argument("--onnx", required=True, help="the ONNX file to write")
    export.add_argument("--input", help="JSON holding the one architecture (as `anb query --input`), or - for stdin")
    export.add_argument("--seed", type=cli_type(check_seed, "--seed"), default=None,
                        help="without --input: export a random architecture drawn with this seed")
    export.set_defaults(func=cmd_export)

    build = sub.add_parser("build", help="fit surrogates from the dataset into the cache")
    build.add_argument("--model", nargs="+", default=["xgb"], help=f"one or more of {', '.join(MODEL_NAMES)}")
    build.add_argument("--device")
    build.add_argument("--metric")
    build.add_argument("--all", action="store_true", help="accuracy and every device metric")
    build.add_argument("--members", type=cli_type(check_members, "--members"), default=store.DEFAULT_MEMBERS,
                       help=f"members of an ensemble that is built (default {store.DEFAULT_MEMBERS})")
    build.add_argument("--force", action="store_true", help="rebuild even if cached")
    build.set_defaults(func=cmd_build)

    rel = sub.add_parser("release", help="build the shipped default surrogates from the committed configs, or check "
                                         "that this machine builds them bit for bit (--check)")
    rel.add_argument("--out", help=f"where to write them (default: the package's own folder, {shipped.ARTIFACT_DIR})")
    rel.add_argument("--check", action="store_true", help="build into a temporary folder and compare with the "
                                                          "shipped ensembles; exit 1 if any member differs")
    rel.set_defaults(func=cmd_release)

    download = sub.add_parser("download", help="download published surrogates into the cache")
    download.add_argument("--model", default="xgb", help=f"one of {', '.join(MODEL_NAMES)}")
    download.add_argument("--device")
    download.add_argument("--metric")
    download.add_argument("--all", action="store_true")
    download.set_defaults(func=cmd_download)

    legacy = sub.add_parser("import-legacy", help="convert an original Accel-NASBench model download "
                                                  "(unpickles it: only import a download you trust)",
                            description="Convert the original's pickled xgboost boosters into this package's cache. "
                                        "Unpickling runs code: only import a download you trust.")
    legacy.add_argument("directory", help="the anb_models_0_9 folder (or its parent)")
    legacy.set_defaults(func=cmd_import_legacy)

    cache = sub.add_parser("cache", help="where the cache is and what it holds")
    cache.add_argument("--clear", action="store_true",
                       help="remove the surrogates anb wrote (entries, their locks, downloaded archives); "
                            "other files and the dataset stay")
    cache.set_defaults(func=cmd_cache)
    adapt.add_parser(sub)
    measure.add_parser(sub)
    draw.add_parser(sub)
    optimum_command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader stopped early (`anb devices | head`): what it did not read is not an error. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again, and exit as a command killed by
        # SIGPIPE does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except (ValueError, OSError, RuntimeError, DownloadError, KeyError, ImportError) as exc:
        print(f"anb {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
