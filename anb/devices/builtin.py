"""The six accelerators measured in Accel-NASBench, registered as entry points in pyproject.toml."""

from anb.devices.plugins import UNITS, DevicePlugin

THROUGHPUT = {"throughput": UNITS["throughput"]}
THROUGHPUT_AND_LATENCY = {"throughput": UNITS["throughput"], "latency": UNITS["latency"]}

TPUV2 = DevicePlugin("tpuv2", "Google Cloud TPU v2-8, batch inference throughput", THROUGHPUT)
TPUV3 = DevicePlugin("tpuv3", "Google Cloud TPU v3-8, batch inference throughput", THROUGHPUT)
A100 = DevicePlugin("a100", "NVIDIA A100 GPU, batch inference throughput", THROUGHPUT)
RTX3090 = DevicePlugin("3090", "NVIDIA GeForce RTX 3090 GPU, batch inference throughput", THROUGHPUT)
ZCU102 = DevicePlugin(
    "zcu102", "Xilinx Zynq UltraScale+ ZCU102 FPGA (Vitis AI DPU), throughput and latency", THROUGHPUT_AND_LATENCY
)
VCK190 = DevicePlugin(
    "vck190", "Xilinx Versal VCK190 (Vitis AI DPU), throughput and latency", THROUGHPUT_AND_LATENCY
)

# The devices whose surrogates ship with the package (anb.surrogates.release).
BUILTIN = (TPUV2, TPUV3, A100, RTX3090, ZCU102, VCK190)
