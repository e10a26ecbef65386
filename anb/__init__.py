"""anb: surrogate benchmarks for hardware-aware NAS."""
