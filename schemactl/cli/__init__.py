"""Thin click commands: the one place that prints and picks exit codes."""
