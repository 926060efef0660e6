"""Filtering and sorting of records and list entries, as Attio documents them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemactl.emulator import errors

# The presented values of a subject (record or entry), keyed by attribute slug.
ValuesOf = Callable[[dict[str, Any]], dict[str, list[dict[str, Any]]]]
# A record by (object_id, record_id), presented, for drill-down through references; or None.
FetchRecord = Callable[[str, str], dict[str, Any] | None]


def select(
    subjects: list[dict[str, Any]],
    filter_spec: Any,
    sorts: Any,
    *,
    attributes: list[dict[str, Any]],
    values_of: ValuesOf,
    fetch_record: FetchRecord,
) -> list[dict[str, Any]]:
    """The presented `subjects` that match `filter_spec`, ordered by `sorts` (stable)."""
    if filter_spec or sorts:
        raise errors.ApiError(400, "filter_error", "filters are not supported by this emulator yet")
    return list(subjects)
