"""Webhooks: list (paged), get, create (the only time the secret is shown), update, delete."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any
from urllib.parse import urlsplit

from schemactl.emulator import errors
from schemactl.emulator.workspace import Workspace, invalid, page, payload, public, text

EVENT_TYPES = (
    "call-recording.created comment.created comment.resolved comment.unresolved comment.deleted "
    "list.created list.updated list.deleted list-attribute.created list-attribute.updated "
    "list-entry.created list-entry.updated list-entry.deleted object-attribute.created "
    "object-attribute.updated note.created note-content.updated note.updated note.deleted "
    "record.created record.merged record.updated record.deleted task.created task.updated "
    "task.deleted workspace-member.created"
).split()
_FIELDS = {"target_url", "subscriptions"}
# Filter fields whose value must name something that exists, as Attio checks.
_ID_FIELDS = {"id.list_id": "list", "id.object_id": "object"}


def list_webhooks(ws: Workspace, query: dict[str, str]) -> list[dict[str, Any]]:
    hooks = [public(h) for h in ws.store.all("webhook")]
    return page(hooks, query.get("limit"), query.get("offset"), default=10, maximum=100)


def get_webhook(ws: Workspace, webhook_id: str) -> dict[str, Any]:
    return public(_find(ws, webhook_id))


def create_webhook(ws: Workspace, body: Any) -> dict[str, Any]:
    data = payload(body, allowed=_FIELDS, required=_FIELDS)
    webhook_id = ws.new_id()
    resource = {
        "id": {"workspace_id": ws.id, "webhook_id": webhook_id},
        "target_url": _target_url(data),
        "subscriptions": _subscriptions(ws, data),
        "status": "active",
        "created_at": ws.now(),
        # Kept privately so deliveries can be signed; `public` drops it from every read.
        "_secret": secrets.token_hex(32),
    }
    ws.store.insert("webhook", webhook_id, resource)
    # The only response that ever shows the secret.
    return public(resource) | {"secret": resource["_secret"]}


def update_webhook(ws: Workspace, webhook_id: str, body: Any) -> dict[str, Any]:
    current = _find(ws, webhook_id)
    data = payload(body, allowed=_FIELDS)
    if not data:
        raise errors.validation("Body payload validation error: 'data' must change something.")
    updated = dict(current)
    if "target_url" in data:
        updated["target_url"] = _target_url(data)
    if "subscriptions" in data:
        updated["subscriptions"] = _subscriptions(ws, data)  # replaced as a whole
    ws.store.update("webhook", webhook_id, updated)
    return public(updated)


def delete_webhook(ws: Workspace, webhook_id: str) -> dict[str, Any]:
    _find(ws, webhook_id)
    ws.store.delete("webhook", webhook_id)
    return {}


def _find(ws: Workspace, webhook_id: str) -> dict[str, Any]:
    found = ws.store.get("webhook", webhook_id)
    if found is None:
        raise errors.not_found(f'Webhook with ID "{webhook_id}" not found.')
    return found


def _target_url(data: dict[str, Any]) -> str:
    url = text(data, "target_url")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return url  # an emulator-only allowance, for local receivers
    raise invalid("target_url", "must be an https:// URL")


def is_loopback(host: str | None) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _subscriptions(ws: Workspace, data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("subscriptions")
    if not isinstance(raw, list):
        raise invalid("subscriptions", "must be an array")
    seen: set[str] = set()
    result = []
    for index, item in enumerate(raw):
        where = f"subscriptions[{index}]"
        if not isinstance(item, dict) or set(item) != {"event_type", "filter"}:
            raise invalid(where, "must have exactly event_type and filter (filter may be null)")
        if item["event_type"] not in EVENT_TYPES:
            raise invalid(f"{where}.event_type", "is not a webhook event type")
        _check_filter(ws, item["filter"], f"{where}.filter")
        identity = repr((item["event_type"], item["filter"]))
        if identity in seen:
            raise errors.ApiError(
                409,
                "uniqueness_conflict",
                "Each subscription must have a unique combination of target URL, event type "
                "and filter.",
            )
        seen.add(identity)
        result.append({"event_type": item["event_type"], "filter": item["filter"]})
    return result


def _check_filter(ws: Workspace, value: Any, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("$and", "$or"):
        raise invalid(where, "must be null or {$and|$or: [conditions]}")
    conditions = next(iter(value.values()))
    if not isinstance(conditions, list):
        raise invalid(where, "must hold an array of conditions")
    for index, condition in enumerate(conditions):
        path = f"{where}.{next(iter(value))}[{index}]"
        if not isinstance(condition, dict) or set(condition) != {"field", "operator", "value"}:
            raise invalid(path, "must be {field, operator, value}")
        if condition["operator"] not in ("equals", "not_equals"):
            raise invalid(f"{path}.operator", "must be equals or not_equals")
        if not isinstance(condition["field"], str) or not isinstance(condition["value"], str):
            raise invalid(path, "needs a string field and value")
        kind = _ID_FIELDS.get(condition["field"])
        if kind and ws.store.get(kind, condition["value"]) is None:
            raise errors.validation(f"Related {kind} not found.")
