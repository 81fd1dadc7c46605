"""Benchmarks of the pipeline: throughput (``benchmarks.throughput``) and quality on NewsQuant."""
