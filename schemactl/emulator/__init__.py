"""An Attio-compatible workspace server (SQLite-backed), for local use and tests.

It imports nothing from schemactl's model, codec or plan code: a shared codec would hide the
same bug on both sides.
"""

from schemactl.emulator.app import Emulator, EmulatorConfig, parse_token
from schemactl.emulator.faults import DroppedConnection, Faults

__all__ = ["DroppedConnection", "Emulator", "EmulatorConfig", "Faults", "parse_token"]
