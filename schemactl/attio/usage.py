"""Whether records or list entries hold values for an attribute, option or status.

One query each, `limit: 1`: a record (or entry) that holds a value for the attribute, or the
option or status as its value. Attio has no cheaper way to ask; a plan with nothing to archive
sends none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemactl.address import Address
from schemactl.attio.client import AttioClient, segment
from schemactl.attio.errors import AttioApiError


@dataclass(frozen=True)
class Usage:
    """What one check found: in use or not, or None with Attio's reason it could not tell."""

    in_use: bool | None
    problem: str = ""


def usage_query(address: Address) -> tuple[str, dict[str, Any]]:
    """The path and body of the query finding one holder of a value at `address`.

    `address` is spelled as the item is live (slugs and titles before any rename), since the
    query runs before the plan is applied.
    """
    if len(address.parts) < 2:  # objects, lists and webhooks are not values of records
        raise ValueError(f"{address} is not an attribute, option or status")
    (target, parent), (_, attribute) = address.parts[:2]
    if address.kind == "attribute":
        condition: dict[str, Any] = {"$not_empty": True}
    else:
        condition = {"$eq": address.name}
    holders = "records" if target == "objects" else "entries"
    return (
        f"{target}/{segment(parent)}/{holders}/query",
        {"filter": {attribute: condition}, "limit": 1},
    )


def check_usage(client: AttioClient, addresses: Sequence[Address]) -> list[Usage]:
    """One query per address (concurrently, in the read budget), in the order given."""

    def check(address: Address) -> Usage:
        path, body = usage_query(address)
        try:
            found = client.query(path, body)
        except AttioApiError as exc:
            if _cannot_tell(exc):
                return Usage(None, exc.message)
            raise
        return Usage(bool(found))

    return client.map_reads(check, addresses)


def _cannot_tell(exc: AttioApiError) -> bool:
    """A token without the records scopes (403), or a value type Attio cannot filter on (400
    filter_error), leaves the answer unknown; any other error is a real failure."""
    return exc.status == 403 or (exc.status == 400 and exc.code == "filter_error")


__all__ = ["Usage", "check_usage", "usage_query"]
