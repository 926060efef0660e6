"""`python -m schemactl` runs the command line."""

from schemactl.cli.main import run

run()
