"""Benchmarks (make bench). Figures and their baselines are measured in the same run."""
