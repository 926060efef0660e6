"""Fuzz tests: random and mutated manifests and project files through the real pipeline."""
