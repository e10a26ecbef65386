"""``anb measure``: the latency or throughput of architectures on this machine, as an Accel-NASBench dataset.

The protocol. Every architecture is visited once per *round*; each round goes through the
architectures in a new shuffled order (seeded), so that drift of the machine (heat, other
jobs, frequency) falls evenly on all of them instead of on whichever came last. A visit builds
the network (or opens its exported ONNX file), runs ``warmup`` untimed inferences, then times
``runs`` inferences; the visit's value is the median of those. An architecture's result is the
median over rounds of its visits' values (``<metric>_mean``, robust to a round that a burst of
other work slowed) and their standard deviation (``<metric>_std``); every visit's value is kept
beside them (``<metric>_rounds``). Latency is batch 1, in ms; throughput is images/s at
``--batch``.

The output folder holds ``measurement.json`` (protocol, hardware, software, the architectures,
and at the end the repeatability), ``timings.jsonl`` (every visit's timed runs, appended and
flushed to disk as it ends) and one ``result_<i>.json`` per architecture, written atomically when
its last round is done. A killed run resumes with the same command: the visits in
``timings.jsonl`` are not repeated. A folder holding another protocol's measurements, or files
anb did not write, is refused.

The repeatability printed at the end is the Kendall tau between the first round's values and
the median of the other rounds': how well the measurement ranks the architectures against
itself, the ceiling of any surrogate fitted to it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau
from tqdm.auto import tqdm

from anb.adaptation import runtimes, selection
from anb.data.architecture_input import read_architectures
from anb.data.atomic import write_json_atomic
from anb.data.validation import check_int, check_seed, cli_type, read_json
from anb.models.features import cost_features
from configurationspaces.efficientnet_cost import IMAGE_SIZE
from configurationspaces.efficientnet_encoding import decode_records, encode

METRICS = ("latency", "throughput")
MEASUREMENT_FILE = "measurement.json"
TIMINGS_FILE = "timings.jsonl"
RESULT_NAME = re.compile(r"result_\d+\.json")
# Staging files of write_json_atomic, left behind only by a killed writer.
STAGING_NAME = re.compile(r"\.(result_\d+|measurement)\.json\..*\.tmp")
FORMAT = "anb-measurement-1"
DEFAULT_N, DEFAULT_WARMUP, DEFAULT_RUNS, DEFAULT_ROUNDS = 20, 3, 10, 5
DEFAULT_THROUGHPUT_BATCH = 32
MAX_BATCH = 4096
RUNTIME_SHORT = {"torch": "torch", "onnxruntime": "ort"}


@dataclass(frozen=True)
class Protocol:
    """What must be the same for two measurements to be comparable."""

    name: str
    metric: str
    runtime: str
    device: str
    batch: int
    threads: int
    warmup: int
    runs: int
    rounds: int
    seed: int
    precision: str = runtimes.PRECISION
    image_size: int = IMAGE_SIZE
    statistic: str = "median of each visit's runs; result: median and std over rounds"
    order: str = "each round shuffled by numpy.random.default_rng([seed, round])"

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {self.metric!r}")
        check_int(self.batch, "batch", 1, MAX_BATCH)
        if self.metric == "latency" and self.batch != 1:
            raise ValueError(f"latency is measured at batch 1; --batch {self.batch} is for --metric throughput")
        check_int(self.threads, "threads", 1, os.cpu_count() or 1)
        check_int(self.warmup, "warmup", 0)
        check_int(self.runs, "runs", 1)
        check_int(self.rounds, "rounds", 1)

    def value(self, milliseconds: float) -> float:
        """A visit's median time as the metric: ms (latency) or images/s (throughput)."""
        return milliseconds if self.metric == "latency" else self.batch * 1000.0 / milliseconds

    def round_order(self, n: int, round_index: int) -> np.ndarray:
        return np.random.default_rng([self.seed, round_index]).permutation(n)


class MeasurementFolder:
    """The output folder: its plan, the visits measured so far, the results."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def plan_file(self) -> Path:
        return self.path / MEASUREMENT_FILE

    @property
    def timings_file(self) -> Path:
        return self.path / TIMINGS_FILE

    def result_file(self, index: int) -> Path:
        return self.path / f"result_{index}.json"

    def foreign_files(self) -> list[str]:
        """Names in the folder that ``anb measure`` does not write."""
        ours = {MEASUREMENT_FILE, TIMINGS_FILE}
        return sorted(p.name for p in self.path.iterdir()
                      if p.name not in ours and not RESULT_NAME.fullmatch(p.name) and not STAGING_NAME.fullmatch(p.name))

    def open(self, plan: dict) -> bool:
        """Create the folder for ``plan``, or check that it already holds ``plan``; True when resuming."""
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"--out {self.path} is a file, not a folder")
        if self.path.is_dir() and any(self.path.iterdir()):
            foreign = self.foreign_files()
            if foreign or not self.plan_file.is_file():
                shown = foreign or sorted(p.name for p in self.path.iterdir())
                raise ValueError(f"--out {self.path} holds files anb measure did not write ({', '.join(shown[:5])}"
                                 f"{', ...' if len(shown) > 5 else ''}); measure into a new or empty folder")
            differences = plan_differences(read_json(self.plan_file, "the measurement file"), plan)
            if differences:
                raise ValueError(f"--out {self.path} holds measurements of another protocol ({'; '.join(differences)});"
                                 f" measure into a new folder, or repeat that run's command to resume it")
            for stale in self.path.iterdir():
                if STAGING_NAME.fullmatch(stale.name):
                    stale.unlink()
            return True
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.plan_file, plan)
        return False

    def visits(self) -> dict[tuple[int, int], list[float]]:
        """``(round, architecture index) -> timed runs in ms`` of every visit finished so far.

        A line cut short by a kill is the last one; it and anything unreadable is measured again.
        """
        done = {}
        if self.timings_file.is_file():
            for line in self.timings_file.read_text().splitlines():
                try:
                    visit = json.loads(line)
                    done[(int(visit["round"]), int(visit["index"]))] = [float(t) for t in visit["ms"]]
                except (ValueError, KeyError, TypeError):
                    continue
        return done

    def record_visit(self, round_index: int, index: int, times_ms: list[float]) -> None:
        line = json.dumps({"round": round_index, "index": index, "ms": [round(t, 6) for t in times_ms]})
        with open(self.timings_file, "a") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def plan_differences(found: dict, wanted: dict) -> list[str]:
    """What differs between two plans, in words (empty when the same measurement is asked for)."""
    differences = []
    for key in ("format", "protocol", "architectures", "hardware", "software"):
        a, b = found.get(key), wanted.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            differences += [f"{key} {k}: {a.get(k)!r} there, {b.get(k)!r} now" for k in sorted(set(a) | set(b))
                            if a.get(k) != b.get(k)]
        elif key == "architectures":
            differences.append("other architectures")
        else:
            differences.append(f"{key}: {a!r} there, {b!r} now")
    return differences[:3]


def result_document(protocol: Protocol, architecture: dict, cost: np.ndarray, values: np.ndarray) -> dict:
    """One architecture's result in the Accel-NASBench format."""
    key = protocol.metric
    return {
        "architecture": architecture,
        "metrics": {},
        "model_info": {"macs": float(cost[0]), "params": float(cost[1])},
        "platform_perf": {f"{key}_{protocol.name}": {
            f"{key}_mean": float(np.median(values)),
            f"{key}_std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            f"{key}_rounds": [float(v) for v in values],
        }},
    }


def round_values(protocol: Protocol, visits: dict, index: int) -> np.ndarray:
    """The metric of each round's visit of architecture ``index``."""
    return np.array([protocol.value(np.median(visits[(r, index)])) for r in range(protocol.rounds)])


def repeatability(protocol: Protocol, visits: dict, n: int) -> float | None:
    """Kendall tau between the first round's values and the median of the other rounds'."""
    if protocol.rounds < 2 or n < 2:
        return None
    values = np.array([round_values(protocol, visits, i) for i in range(n)])
    return float(kendalltau(values[:, 0], np.median(values[:, 1:], axis=1)).statistic)


def time_visit(runner, warmup: int, runs: int) -> list[float]:
    for _ in range(warmup):
        runner()
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        runner()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def measure(protocol: Protocol, encoded: np.ndarray, out: str | Path, selection_info: dict | None = None,
            progress: bool = True) -> dict:
    """Measure ``encoded``'s architectures under ``protocol`` into the folder ``out``; return the plan.

    Resumes a folder that holds the same plan; refuses one that holds another or files anb did
    not write (ValueError). Raises ImportError without the runtime and RuntimeError without the device.
    """
    runtimes.check_runtime(protocol.runtime, protocol.device)
    folder = MeasurementFolder(out)
    architectures = decode_records(encoded)
    plan = {"format": FORMAT, "protocol": asdict(protocol), **runtimes.environment(protocol.runtime, protocol.device),
            "selection": selection_info or {"method": "given"}, "architectures": architectures}
    resumed = folder.open(plan)
    visits = folder.visits()
    n = len(architectures)
    cost = cost_features(encoded)[:, :2]

    def finish(index):
        if all((r, index) in visits for r in range(protocol.rounds)) and not folder.result_file(index).is_file():
            write_json_atomic(folder.result_file(index), result_document(
                protocol, architectures[index], cost[index], round_values(protocol, visits, index)))

    for index in range(n):  # results a killed run had measured but not yet written
        finish(index)
    todo = [(r, int(i)) for r in range(protocol.rounds) for i in protocol.round_order(n, r) if (r, int(i)) not in visits]
    runtimes.set_threads(protocol.threads)
    with tempfile.TemporaryDirectory(prefix="anb-measure-onnx-") as onnx_dir, \
            tqdm(total=protocol.rounds * n, initial=protocol.rounds * n - len(todo), unit="visit",
                 desc=f"{'resuming' if resumed else 'measuring'} {protocol.name} {protocol.metric}",
                 disable=not progress) as bar:
        for round_index, index in todo:
            runner = runtimes.prepare_runner(protocol.runtime, protocol.device, architectures[index], protocol.batch,
                                             protocol.threads, Path(onnx_dir) / f"{index}.onnx")
            times = time_visit(runner, protocol.warmup, protocol.runs)
            del runner
            folder.record_visit(round_index, index, times)
            visits[(round_index, index)] = times
            finish(index)
            bar.update()
    tau = repeatability(protocol, visits, n)
    plan["repeatability"] = {"kendall_tau_first_round_vs_rest": tau, "architectures": n}
    write_json_atomic(folder.plan_file, plan)
    return plan


def default_name(runtime: str, device: str) -> str:
    return f"{device}-{RUNTIME_SHORT.get(runtime, runtime)}"


def add_parser(sub) -> argparse.ArgumentParser:
    measure_parser = sub.add_parser(
        "measure", help="time architectures' networks on this machine into an Accel-NASBench dataset folder",
        description="Time the networks of architectures on this machine (PyTorch eager or ONNX Runtime) with a "
                    "shuffled-rounds protocol, into result JSONs that `anb adapt --measurements DIR` takes. "
                    "A killed run resumes with the same command.")
    measure_parser.add_argument("--runtime", choices=runtimes.RUNTIMES, default="torch")
    measure_parser.add_argument("--device", choices=runtimes.DEVICES, default="cpu")
    measure_parser.add_argument("--metric", choices=METRICS, default="latency",
                                help="latency: batch 1, ms; throughput: images/s at --batch")
    measure_parser.add_argument("--batch", type=cli_type(lambda v, n: check_int(v, n, 1, MAX_BATCH), "--batch"),
                                default=None, help=f"images per inference (latency: 1; throughput: default "
                                                   f"{DEFAULT_THROUGHPUT_BATCH})")
    measure_parser.add_argument("--threads", type=cli_type(lambda v, n: check_int(v, n, 1, os.cpu_count() or 1),
                                                           "--threads"), default=1)
    measure_parser.add_argument("--n", type=cli_type(lambda v, n: check_int(v, n, 2, 100_000), "--n"),
                                default=DEFAULT_N, help=f"architectures to measure (default {DEFAULT_N})")
    measure_parser.add_argument("--seed", type=cli_type(check_seed, "--seed"), default=0,
                                help="seed of the selection and of the rounds' order (default 0)")
    measure_parser.add_argument("--select", choices=selection.SELECTIONS, default="random",
                                help="random (default): uniform draws; spread: k-means over what the known devices' "
                                     "surrogates predict (docs/guide/new-device.md: no better than random on average)")
    measure_parser.add_argument("--input", help="measure these architectures instead (a JSON list of architecture "
                                                "objects, as `anb query --input` takes)")
    measure_parser.add_argument("--name", help="the device's name in the results (default: <device>-<runtime>, "
                                               "e.g. cpu-torch)")
    for flag, default, what in (("--warmup", DEFAULT_WARMUP, "untimed inferences per visit"),
                                ("--runs", DEFAULT_RUNS, "timed inferences per visit"),
                                ("--rounds", DEFAULT_ROUNDS, "visits per architecture, each round in a new order")):
        minimum = 0 if flag == "--warmup" else 1
        measure_parser.add_argument(flag, type=cli_type(lambda v, n, m=minimum: check_int(v, n, m), flag),
                                    default=default, help=f"{what} (default {default})")
    measure_parser.add_argument("--out", required=True, help="the results folder (created; resumed if it holds "
                                                             "this same measurement)")
    measure_parser.set_defaults(func=run)
    return measure_parser


def run(args) -> int:
    batch = args.batch if args.batch is not None else (1 if args.metric == "latency" else DEFAULT_THROUGHPUT_BATCH)
    protocol = Protocol(args.name or default_name(args.runtime, args.device), args.metric, args.runtime, args.device,
                        batch, args.threads, args.warmup, args.runs, args.rounds, args.seed)
    runtimes.check_runtime(protocol.runtime, protocol.device)
    if args.input:
        encoded, info = encode(read_architectures(args.input)), {"method": "given", "file": str(args.input)}
    else:
        encoded = selection.select_architectures(args.select, args.n, args.seed, exclude_device=protocol.name)
        info = {"method": args.select, "n": args.n, "seed": args.seed}
    plan = measure(protocol, encoded, args.out, info)
    tau = plan["repeatability"]["kendall_tau_first_round_vs_rest"]
    unit = "ms" if protocol.metric == "latency" else "images/s"
    print(f"measured {len(encoded)} architectures ({protocol.metric}, {unit}) on {plan['hardware']['cpu']} with "
          f"{protocol.runtime}, {protocol.threads} thread(s), into {args.out}")
    if tau is not None:
        print(f"repeatability: Kendall tau {tau:.3f} between round 1 and the median of rounds 2-{protocol.rounds} "
              f"(the ceiling of any surrogate of these measurements)")
    print(f"next: anb adapt --measurements {args.out} --name {protocol.name} --metric {protocol.metric}")
    return 0
