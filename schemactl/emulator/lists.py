"""Lists: list, get, create and update; a list's parent object can never change."""

from __future__ import annotations

from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.workspace import Workspace, invalid, payload, public, slug, text

ACCESS_LEVELS = ("full-access", "read-and-write", "read-only")
_CREATE = {"name", "api_slug", "parent_object", "workspace_access", "workspace_member_access"}
_UPDATE = {"name", "api_slug", "workspace_access", "workspace_member_access"}


def present(ws: Workspace, resource: dict[str, Any]) -> dict[str, Any]:
    """The read shape: `parent_object` is an array of the parent's current slug."""
    shown = public(resource)
    parent = ws.store.get("object", resource["_parent_object_id"]) or {}
    shown["parent_object"] = [parent.get("api_slug")]
    return shown


def list_lists(ws: Workspace) -> list[dict[str, Any]]:
    return [present(ws, r) for r in ws.store.all("list")]


def get_list(ws: Workspace, identifier: str) -> dict[str, Any]:
    return present(ws, ws.list(identifier))


def create_list(ws: Workspace, body: Any) -> dict[str, Any]:
    data = payload(body, allowed=_CREATE, required=_CREATE)
    values = {"name": text(data, "name"), "api_slug": slug(data)}
    parent = ws.object(text(data, "parent_object"))
    access, members = _access(ws, data, None)
    _refuse_taken_slug(ws, values["api_slug"])
    list_id = ws.new_id()
    resource = {
        "id": {"workspace_id": ws.id, "list_id": list_id},
        **values,
        "workspace_access": access,
        "workspace_member_access": members,
        "created_by_actor": {"type": "api-token", "id": ws.token_actor_id()},
        "created_at": ws.now(),
        "_parent_object_id": parent["id"]["object_id"],
    }
    ws.store.insert("list", list_id, resource)
    ws.emit("list.created", resource["id"])
    return present(ws, resource)


def update_list(ws: Workspace, identifier: str, body: Any) -> dict[str, Any]:
    current = ws.list(identifier)
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and "parent_object" in data:
        raise errors.immutable("A list's parent_object cannot be changed through the API.")
    data = payload(body, allowed=_UPDATE)
    if not data:
        raise errors.validation("Body payload validation error: 'data' must change something.")
    updated = dict(current)
    if "name" in data:
        updated["name"] = text(data, "name")
    if "api_slug" in data:
        new_slug = slug(data)
        if new_slug != current["api_slug"]:
            _refuse_taken_slug(ws, new_slug)
        updated["api_slug"] = new_slug
    if "workspace_access" in data or "workspace_member_access" in data:
        updated["workspace_access"], updated["workspace_member_access"] = _access(ws, data, current)
    ws.store.update("list", current["id"]["list_id"], updated)
    ws.emit("list.updated", updated["id"])
    return present(ws, updated)


def _access(
    ws: Workspace, data: dict[str, Any], current: dict[str, Any] | None
) -> tuple[str | None, list[dict[str, str]]]:
    access = data.get("workspace_access", current and current["workspace_access"])
    members = data.get("workspace_member_access", current and current["workspace_member_access"])
    if access is not None and access not in ACCESS_LEVELS:
        raise invalid("workspace_access", "must be full-access, read-and-write, read-only or null")
    if not isinstance(members, list):
        raise invalid("workspace_member_access", "must be an array")
    known = {m["id"]["workspace_member_id"] for m in ws.store.all("member")}
    cleaned = []
    for index, member in enumerate(members):
        if not isinstance(member, dict) or set(member) != {"workspace_member_id", "level"}:
            raise invalid(
                f"workspace_member_access[{index}]", "must be {workspace_member_id, level}"
            )
        if member["level"] not in ACCESS_LEVELS:
            raise invalid(f"workspace_member_access[{index}].level", "is not an access level")
        if member["workspace_member_id"] not in known:
            raise errors.value_not_found(
                f'Workspace member "{member["workspace_member_id"]}" not found.'
            )
        cleaned.append(
            {"workspace_member_id": member["workspace_member_id"], "level": member["level"]}
        )
    if access != "full-access" and not any(m["level"] == "full-access" for m in cleaned):
        raise errors.validation(
            "A list needs workspace_access full-access or at least one member with full-access."
        )
    return access, cleaned


def _refuse_taken_slug(ws: Workspace, api_slug: str) -> None:
    if any(r["api_slug"] == api_slug for r in ws.store.all("list")):
        raise errors.slug_conflict(f"A list with api_slug {api_slug} already exists.")
