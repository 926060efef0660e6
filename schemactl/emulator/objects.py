"""Objects: list, get, create and update (PATCH, and PUT as the simplified reference has it)."""

from __future__ import annotations

from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.seed import add_common_attributes
from schemactl.emulator.workspace import Workspace, payload, public, slug, text

_FIELDS = {"api_slug", "singular_noun", "plural_noun"}


def list_objects(ws: Workspace) -> list[dict[str, Any]]:
    return [public(o) for o in ws.store.all("object")]


def get_object(ws: Workspace, identifier: str) -> dict[str, Any]:
    return public(ws.object(identifier))


def create_object(ws: Workspace, body: Any) -> dict[str, Any]:
    data = payload(body, allowed=_FIELDS, required=_FIELDS)
    values = {"api_slug": slug(data)} | {k: text(data, k) for k in ("singular_noun", "plural_noun")}
    _refuse_conflicts(ws, values, exclude=None)
    object_id = ws.new_id()
    resource = {
        "id": {"workspace_id": ws.id, "object_id": object_id},
        **values,
        "created_at": ws.now(),
        "_standard": False,
    }
    ws.store.insert("object", object_id, resource)
    # Every Attio object, custom ones too, has record_id, created_at and created_by.
    add_common_attributes(ws, object_id)
    return public(resource)


def update_object(ws: Workspace, identifier: str, body: Any) -> dict[str, Any]:
    current = ws.object(identifier)
    data = payload(body, allowed=_FIELDS)
    if not data:
        raise errors.validation("Body payload validation error: 'data' must change something.")
    if current.get("_standard"):
        raise errors.system_edit(f"Cannot update the standard object {current['api_slug']}.")
    values = {key: slug(data) if key == "api_slug" else text(data, key) for key in data}
    _refuse_conflicts(ws, values, exclude=current["id"]["object_id"])
    updated = current | values
    ws.store.update("object", current["id"]["object_id"], updated)
    return public(updated)


def _refuse_conflicts(ws: Workspace, values: dict[str, str], exclude: str | None) -> None:
    """Attio wants unique slugs and nouns across objects."""
    for other in ws.store.all("object"):
        if other["id"]["object_id"] == exclude:
            continue
        if values.get("api_slug") == other["api_slug"] or any(
            values.get(k) is not None
            and values.get(k) in (other["singular_noun"], other["plural_noun"])
            for k in ("singular_noun", "plural_noun")
        ):
            raise errors.slug_conflict("Please ensure your api_slug and names are unique.")
