"""Benchmarks for mtus-checker: `python benchmarks/run.py` (see README, Performance)."""
