"""Search spaces of the benchmark: sample, validate and encode architectures."""
