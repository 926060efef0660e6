"""What each planned change sends to Attio: method, path and body, in the real API's shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemactl.address import Address
from schemactl.attio.client import segment

# Attribute fields Attio lets a PATCH change (type, is_multiselect, relationship never).
_ATTRIBUTE_UPDATABLE = ("title", "description", "api_slug", "is_required", "is_unique")


@dataclass(frozen=True)
class ApiRequest:
    """One write: `POST objects`, `PATCH objects/<id>/attributes/<id>` …"""

    method: str
    path: str
    body: dict[str, Any] | None = None


class UnresolvedError(Exception):
    """An id the request needs is not known (its item was never created or read)."""


def path_of(address: Address, ids: dict[Address, str]) -> str:
    """The API path of an existing item, by live ids: stable across renames in the same apply."""
    parts = []
    for depth, (collection, _name) in enumerate(address.parts):
        current = Address(address.parts[: depth + 1])
        live_id = ids.get(current)
        if live_id is None:
            raise UnresolvedError(f"no live id for {current}")
        parts.append(f"{collection}/{segment(live_id)}")
    return "/".join(parts)


def collection_path(address: Address, ids: dict[Address, str]) -> str:
    """Where a new item at `address` is created: its parent's path plus the collection."""
    collection = address.parts[-1][0]
    parent = address.parent
    return collection if parent is None else f"{path_of(parent, ids)}/{collection}"


def attribute_config(after: dict[str, Any]) -> dict[str, Any]:
    """The write shape of an attribute's config (currency, or record-reference targets)."""
    config: dict[str, Any] = {}
    if after.get("currency"):
        config["currency"] = dict(after["currency"])
    if after.get("allowed_objects") and not after.get("relationship"):
        config["record_reference"] = {"allowed_objects": list(after["allowed_objects"])}
    return config


def resolve_refs(value: Any, ids: dict[Address, str]) -> Any:
    """Filters as Attio takes them: every `{ref: …}` becomes the live id of its item."""
    if isinstance(value, dict):
        if "ref" in value and set(value) <= {"ref", "id"}:
            address = Address.parse(value["ref"])
            if address not in ids:
                raise UnresolvedError(f"no live id for {address} (referenced by a filter)")
            return ids[address]
        return {k: resolve_refs(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, ids) for v in value]
    return value


def create_request(address: Address, after: dict[str, Any], ids: dict[Address, str]) -> ApiRequest:
    kind = address.kind
    where = collection_path(address, ids)
    if kind == "object":
        return ApiRequest("POST", where, dict(after))
    if kind == "list":
        return ApiRequest("POST", where, dict(after))
    if kind == "attribute":
        body: dict[str, Any] = {
            key: after[key]
            for key in ("title", "description", "api_slug", "type", "is_required", "is_unique")
        }
        body["is_multiselect"] = after["is_multiselect"]
        body["config"] = attribute_config(after)
        if after.get("default_value") is not None:
            body["default_value"] = after["default_value"]
        if after.get("relationship"):
            body["relationship"] = dict(after["relationship"])
        return ApiRequest("POST", where, body)
    if kind == "option":
        return ApiRequest("POST", where, {"title": after["title"]})
    if kind == "status":
        return ApiRequest("POST", where, dict(after))
    return ApiRequest(
        "POST",
        where,
        {
            "target_url": after["target_url"],
            "subscriptions": resolve_refs(after["subscriptions"], ids),
        },
    )


def update_request(
    address: Address,
    existing: Address,
    before: dict[str, Any],
    after: dict[str, Any],
    ids: dict[Address, str],
    *,
    restore: bool = False,
) -> ApiRequest:
    """A PATCH of the fields that differ (and `is_archived: false` to restore)."""
    kind = address.kind
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    body: dict[str, Any]
    if kind == "attribute":
        body = {k: changed[k] for k in _ATTRIBUTE_UPDATABLE if k in changed}
        if "default_value" in changed:
            body["default_value"] = changed["default_value"]
        if "currency" in changed or "allowed_objects" in changed:
            body["config"] = attribute_config(after)
    elif kind == "webhook":
        body = {"subscriptions": resolve_refs(after["subscriptions"], ids)}
        if "target_url" in changed:
            body["target_url"] = after["target_url"]
    else:
        body = dict(changed)
    if restore:
        body["is_archived"] = False
    return ApiRequest("PATCH", path_of(existing, ids), body)


def archive_request(address: Address, ids: dict[Address, str]) -> ApiRequest:
    if address.kind == "webhook":
        return ApiRequest("DELETE", path_of(address, ids))
    return ApiRequest("PATCH", path_of(address, ids), {"is_archived": True})
