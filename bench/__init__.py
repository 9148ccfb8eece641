"""Reproducible benchmarks: each measurement is a ratio against a baseline in the same run."""
