"""Running an architecture's network on a real device: PyTorch eager or ONNX Runtime, CPU or CUDA.

A *runner* is a callable that performs one inference of a fixed batch and returns only when
its result is ready (a CUDA run synchronises), so that the time around a call is the time
of an inference. :func:`prepare_runner` makes one per architecture; :func:`environment`
records what the times were measured on. Both runtimes come with ``pip install
'anb[network]'`` (PyTorch's CPU build, onnx and onnxruntime).
"""

from __future__ import annotations

import platform
import warnings
from importlib import metadata
from pathlib import Path

from anb.data.atomic import replace_atomically
from configurationspaces.efficientnet_network import EXTRA, build_network, random_input, require_torch

RUNTIMES = ("torch", "onnxruntime")
DEVICES = ("cpu", "cuda")
PRECISION = "float32"
# ONNX opset of the exported files: old enough for every onnxruntime of the last years, new
# enough for every op the network uses.
ONNX_OPSET = 17
INPUT_NAME, OUTPUT_NAME = "image", "logits"
ORT_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


def _require(module: str, what: str):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"{what} needs {module}: pip install 'anb[{EXTRA}]'") from None


def check_runtime(runtime: str, device: str) -> None:
    """Raise ValueError for an unknown runtime or device, ImportError for a missing extra,
    RuntimeError when the device is not there (``cuda`` without a GPU)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}")
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {device!r}")
    torch = require_torch()
    if runtime == "onnxruntime":
        _require("onnx", "exporting a network to ONNX")
        ort = _require("onnxruntime", "running a network on ONNX Runtime")
        if ORT_PROVIDERS[device] not in ort.get_available_providers():
            raise RuntimeError(f"--device {device}: this onnxruntime has no {ORT_PROVIDERS[device]} (it has "
                               f"{', '.join(ort.get_available_providers())}); install onnxruntime-gpu for CUDA")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: PyTorch sees no CUDA GPU on this machine; measure with --device cpu")


def set_threads(threads: int) -> None:
    """Pin PyTorch's intra-op threads (ONNX Runtime takes its own per session)."""
    torch = require_torch()
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only settable before the first parallel work of the process
        pass


def export_network(network, path: str | Path) -> Path:
    """Write a network (a ``torch.nn.Module`` taking 224x224 images) to ``path`` as ONNX, batch size free.

    Uses PyTorch's TorchScript exporter: the network is a static graph of standard ops, and
    the newer ``torch.export`` route needs onnxscript, one more dependency for the same file.
    The file is written beside ``path`` and renamed into place.
    """
    torch = require_torch()
    _require("onnx", "exporting a network to ONNX")

    def write(staging: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=DeprecationWarning)
            torch.onnx.export(network, (random_input(1),), str(staging), dynamo=False, opset_version=ONNX_OPSET,
                              input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                              dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})
    return replace_atomically(path, write)


def export_onnx(sample, path: str | Path) -> Path:
    """Write the network of one architecture (any form ``encode`` takes) to ``path`` as ONNX."""
    return export_network(build_network(sample), path)


def ort_session(path: str | Path, device: str, threads: int):
    """An ONNX Runtime session of an exported network, sequential, on ``threads`` intra-op threads."""
    ort = _require("onnxruntime", "running a network on ONNX Runtime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=[ORT_PROVIDERS[device]])


def prepare_runner(runtime: str, device: str, sample, batch: int, threads: int, onnx_path: Path | None = None):
    """A callable running one batch of ``sample``'s network (checked by :func:`check_runtime` first).

    For ONNX Runtime the network is exported to ``onnx_path`` unless that file exists.
    """
    image = random_input(batch)
    if runtime == "torch":
        torch = require_torch()
        network = build_network(sample).to(device)
        image = image.to(device)
        synchronize = torch.cuda.synchronize if device == "cuda" else None

        def run():
            with torch.inference_mode():
                network(image)
            if synchronize:
                synchronize()

        return run
    if not onnx_path.is_file():
        export_onnx(sample, onnx_path)
    session = ort_session(onnx_path, device, threads)
    feed = {INPUT_NAME: image.numpy()}

    def run():
        session.run(None, feed)  # returns host arrays: the CUDA work is finished

    return run


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment(runtime: str, device: str) -> dict:
    """The hardware and software a measurement runs on, as JSON-ready dicts."""
    torch = require_torch()
    hardware = {"cpu": _cpu_model(), "machine": platform.machine(), "system": platform.system()}
    if device == "cuda":
        hardware["gpu"] = torch.cuda.get_device_name(0)
    software = {"python": platform.python_version(), "anb": _version("anb"), "torch": torch.__version__,
                "numpy": _version("numpy")}
    if runtime == "onnxruntime":
        software.update(onnx=_version("onnx"), onnxruntime=_version("onnxruntime") or _version("onnxruntime-gpu"))
    return {"hardware": hardware, "software": software}
