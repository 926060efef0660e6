"""Errors about plans that cannot be used."""

from __future__ import annotations

from schemactl.errors import SchemactlError


class PlanFileError(SchemactlError):
    """A saved plan cannot be read: not JSON, another format version, a field missing or wrong."""
