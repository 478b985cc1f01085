"""Tests of the benchmark helpers (never the benchmarks themselves: those are slow)."""
