"""A bounded load test of the served emulator (the CI form of benchmarks/load_bench.py)."""
