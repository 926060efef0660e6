"""Records of objects: create, assert, get, update (PATCH appends, PUT overwrites), delete,
query (limit/offset paging) and the values listing of one attribute, with history.

Values are stored per attribute id (see `values`), so renamed slugs show on the next read.
Relationship attributes (pairs of record references) are kept in step on both sides.
"""

from __future__ import annotations

from typing import Any

from schemactl.emulator import entries, errors, filters, values
from schemactl.emulator.routing import Route
from schemactl.emulator.workspace import UUID_TEXT, Workspace, payload, public

KIND = "record"


def create_record(ws: Workspace, object_identifier: str, body: Any) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    data = payload(body, allowed={"values"}, required={"values"})
    attributes = values.live_attributes(ws, obj["id"]["object_id"])
    parsed = values.parse_value_map(ws, attributes, data["values"])
    return present(ws, obj, _insert(ws, obj, attributes, parsed))


def assert_record(
    ws: Workspace, object_identifier: str, query: dict[str, str], body: Any
) -> dict[str, Any]:
    """`PUT …/records?matching_attribute=`: update the one record holding the matching value,
    or create one. The simplified reference's `data.matching_attribute` is accepted too."""
    obj = ws.object(object_identifier)
    object_id = obj["id"]["object_id"]
    data = payload(body, allowed={"values", "matching_attribute"}, required={"values"})
    attributes = values.live_attributes(ws, object_id)
    matching = _matching_attribute(attributes, query.get("matching_attribute"), data)
    parsed = values.parse_value_map(ws, attributes, data["values"])
    matching_id = matching["id"]["attribute_id"]
    if not parsed.get(matching_id):
        raise errors.ApiError(
            400,
            "missing_value",
            f'A value for the matching attribute "{matching["api_slug"]}" is required.',
        )
    found = values.holders(ws, KIND, object_id, matching_id, parsed[matching_id])
    if not found:
        return present(ws, obj, _insert(ws, obj, attributes, parsed))
    if len(found) > 1:
        raise errors.ApiError(
            400,
            "multiple_match_results",
            f'Several records match the value given for "{matching["api_slug"]}".',
        )
    # The matching attribute's values are added to (if multiselect); every other attribute
    # given is overwritten, as Attio documents for assert.
    rest = {k: v for k, v in parsed.items() if k != matching_id}
    steps = [({matching_id: parsed[matching_id]}, "append"), (rest, "overwrite")]
    return present(ws, obj, _update(ws, obj, found[0], attributes, steps))


def update_record(
    ws: Workspace, object_identifier: str, record_id: str, body: Any, mode: values.Mode
) -> dict[str, Any]:
    """PATCH (`append`: multiselect values are added) or PUT (`overwrite`)."""
    obj = ws.object(object_identifier)
    record = _record(ws, obj, record_id)
    data = payload(body, allowed={"values"}, required={"values"})
    attributes = values.live_attributes(ws, obj["id"]["object_id"])
    parsed = values.parse_value_map(ws, attributes, data["values"])
    return present(ws, obj, _update(ws, obj, record, attributes, [(parsed, mode)]))


def get_record(ws: Workspace, object_identifier: str, record_id: str) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    return present(ws, obj, _record(ws, obj, record_id))


def delete_record(ws: Workspace, object_identifier: str, record_id: str) -> dict[str, Any]:
    obj = ws.object(object_identifier)
    record = _record(ws, obj, record_id)
    # References to this record held by others are left stored; reads skip them.
    ws.store.delete(KIND, record_id)
    entries.forget_record(ws, record["id"]["object_id"], record_id)
    ws.emit("record.deleted", record["id"])
    return {}


def list_values(
    ws: Workspace, object_identifier: str, record_id: str, attribute: str, query: dict[str, str]
) -> list[dict[str, Any]]:
    """`GET …/attributes/{attribute}/values`: the active values, or with `show_historic`
    every value ever held, oldest first."""
    obj = ws.object(object_identifier)
    record = _record(ws, obj, record_id)
    return values.value_history(ws, ws.attribute(obj, attribute), record, query)


def query_records(ws: Workspace, object_identifier: str, body: Any) -> list[dict[str, Any]]:
    obj = ws.object(object_identifier)
    query = filters.query_body(body)
    object_id = obj["id"]["object_id"]
    attributes = values.live_attributes(ws, object_id)
    presented = [present(ws, obj, r, attributes) for r in ws.store.all(KIND, object_id)]
    selected = filters.select(
        presented,
        query.filter,
        query.sorts,
        attributes=attributes,
        values_of=lambda record: record["values"],
        fetch_record=lambda oid, rid: fetch_presented(ws, oid, rid),
        attributes_of=lambda key: values.live_attributes(ws, ws.object(key)["id"]["object_id"]),
        names=(obj["api_slug"], object_id),
    )
    return query.page(selected)


def fetch_presented(ws: Workspace, object_id: str, record_id: str) -> dict[str, Any] | None:
    """A record by ids, presented, or None (for drill-down through record references)."""
    record = ws.store.get(KIND, record_id)
    if record is None or record["id"]["object_id"] != object_id:
        return None
    obj = ws.store.get("object", object_id)
    return None if obj is None else present(ws, obj, record)


def present(
    ws: Workspace,
    obj: dict[str, Any],
    record: dict[str, Any],
    attributes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The read shape: every attribute of the object keyed by slug, unset ones as []."""
    shown = public(record)
    if attributes is None:  # a query passes them, read once for all its records
        attributes = values.live_attributes(ws, obj["id"]["object_id"])
    record_id = record["id"]["record_id"]
    shown["web_url"] = f"https://app.attio.com/{ws.info['slug']}/{obj['api_slug']}/{record_id}"
    shown["values"] = values.present_values(ws, attributes, record["_values"])
    return shown


# --- writes ------------------------------------------------------------------------------------


def _insert(
    ws: Workspace, obj: dict[str, Any], attributes: list[dict[str, Any]], parsed: values.Values
) -> dict[str, Any]:
    """A new record holding `parsed` (plus defaults and system values); emits record.created."""
    object_id = obj["id"]["object_id"]
    now = ws.now()
    given = {**values.default_values(ws, attributes, parsed, now), **parsed}
    values.require(attributes, given)
    values.refuse_unique_conflicts(ws, KIND, object_id, attributes, given)
    record_id = ws.new_id()
    actor = _actor(ws)
    stored, _ = values.write_values(ws, {}, given, mode="overwrite", now=now, actor=actor)
    for attribute in attributes:
        system = values.system_value(attribute, record_id, now, ws.token_actor_id())
        if system is not None:
            stored[attribute["id"]["attribute_id"]] = [values.stamp(system, now, actor)]
    record = {
        "id": {"workspace_id": ws.id, "object_id": object_id, "record_id": record_id},
        "created_at": now,
        "_values": stored,
    }
    ws.store.insert(KIND, record_id, record, object_id)
    ws.emit("record.created", record["id"])
    _sync_relationships(ws, record, {}, list(given), now)
    return record


def _update(
    ws: Workspace,
    obj: dict[str, Any],
    record: dict[str, Any],
    attributes: list[dict[str, Any]],
    steps: list[tuple[values.Values, values.Mode]],
) -> dict[str, Any]:
    """`record` with each `(parsed, mode)` step written; one record.updated per changed
    attribute. Required attributes written to must keep a value."""
    record_id = record["id"]["record_id"]
    object_id = obj["id"]["object_id"]
    for parsed, _ in steps:
        values.refuse_unique_conflicts(
            ws, KIND, object_id, attributes, parsed, exclude_id=record_id
        )
    now, actor = ws.now(), _actor(ws)
    before = record["_values"]
    stored, changed = before, []
    for parsed, mode in steps:
        stored, step_changed = values.write_values(
            ws, stored, parsed, mode=mode, now=now, actor=actor
        )
        changed += step_changed
    written = [a for a in attributes if any(a["id"]["attribute_id"] in p for p, _ in steps)]
    values.require(written, {k: values.active(v) for k, v in stored.items()})
    if changed:
        record = {**record, "_values": stored}
        ws.store.update(KIND, record_id, record)
        for attribute_id in changed:
            _emit_updated(ws, record, attribute_id)
        _sync_relationships(ws, record, before, changed, now)
    return record


def _sync_relationships(
    ws: Workspace, record: dict[str, Any], before: values.Values, changed: list[str], now: str
) -> None:
    """Mirror reference changes onto the partner attribute of a relationship, as Attio does:
    adding company X to a person's `company` adds the person to X's `team`, and so on."""
    for attribute_id in changed:
        attribute = ws.store.get("attribute", attribute_id) or {}
        partner_id = attribute.get("_partner")
        if attribute.get("type") != "record-reference" or not partner_id:
            continue
        old = _targets(before.get(attribute_id, []))
        new = _targets(record["_values"].get(attribute_id, []))
        for target_id in [t for t in new if t not in old]:
            _link(ws, record, attribute_id, target_id, partner_id, now)
        for target_id in [t for t in old if t not in new]:
            _drop_reference(ws, target_id, partner_id, record["id"]["record_id"], now)


def _link(
    ws: Workspace,
    record: dict[str, Any],
    attribute_id: str,
    target_id: str,
    partner_id: str,
    now: str,
) -> None:
    """Add `record` to the partner attribute of `target_id`. A single-valued partner loses its
    previous reference, whose holder in turn stops pointing at the target."""
    target = ws.store.get(KIND, target_id)
    partner = ws.store.get("attribute", partner_id)
    if target is None or partner is None:
        return
    source_object = ws.store.get("object", record["id"]["object_id"]) or {}
    back = {
        "attribute_type": "record-reference",
        "target_object": source_object.get("api_slug"),
        "target_record_id": record["id"]["record_id"],
        "_target_object_id": record["id"]["object_id"],
    }
    current = values.active(target["_values"].get(partner_id, []))
    if partner["is_multiselect"]:
        _write_one(ws, target, partner_id, [*current, back], now)
        return
    _write_one(ws, target, partner_id, [back], now)
    for displaced in _targets(current):
        if displaced != record["id"]["record_id"]:
            _drop_reference(ws, displaced, attribute_id, target_id, now)


def _drop_reference(
    ws: Workspace, holder_id: str, attribute_id: str, target_record_id: str, now: str
) -> None:
    holder = ws.store.get(KIND, holder_id)
    if holder is None:
        return
    current = values.active(holder["_values"].get(attribute_id, []))
    kept = [v for v in current if v.get("target_record_id") != target_record_id]
    _write_one(ws, holder, attribute_id, kept, now)


def _write_one(
    ws: Workspace, record: dict[str, Any], attribute_id: str, items: list[dict[str, Any]], now: str
) -> None:
    stored, changed = values.write_values(
        ws, record["_values"], {attribute_id: items}, mode="overwrite", now=now, actor=_actor(ws)
    )
    if changed:
        ws.store.update(KIND, record["id"]["record_id"], {**record, "_values": stored})
        _emit_updated(ws, record, attribute_id)


def _emit_updated(ws: Workspace, record: dict[str, Any], attribute_id: str) -> None:
    """One record.updated per changed attribute, its id inside `id` as Attio's payload has it."""
    ws.emit("record.updated", {**record["id"], "attribute_id": attribute_id})


def _targets(items: list[dict[str, Any]]) -> list[str]:
    return [v["target_record_id"] for v in values.active(items) if "target_record_id" in v]


def _actor(ws: Workspace) -> dict[str, Any]:
    return {"type": "api-token", "id": ws.token_actor_id()}


# --- helpers -----------------------------------------------------------------------------------


def _record(ws: Workspace, obj: dict[str, Any], record_id: str) -> dict[str, Any]:
    found = ws.store.get(KIND, record_id) if UUID_TEXT.match(record_id) else None
    if found is None or found["id"]["object_id"] != obj["id"]["object_id"]:
        raise errors.not_found(f'Record with ID "{record_id}" not found.')
    return found


def _matching_attribute(
    attributes: list[dict[str, Any]], from_query: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    from_body = data.get("matching_attribute")
    if from_query is not None and from_body is not None and from_query != from_body:
        raise errors.validation(
            "Body payload validation error: 'data.matching_attribute' differs from the "
            "matching_attribute query parameter."
        )
    key = from_query if from_query is not None else from_body
    if not isinstance(key, str) or not key:
        raise errors.validation("Query parameter 'matching_attribute' is required.")
    found = next((a for a in attributes if key in (a["api_slug"], a["id"]["attribute_id"])), None)
    if found is None:
        raise errors.value_not_found(
            f'No attribute was found for matching_attribute slug/ID "{key}".'
        )
    if not found["is_unique"]:
        raise errors.validation(
            f'The matching attribute "{found["api_slug"]}" must be unique, and it is not.'
        )
    return found


_READ = ("record_permission:read", "object_configuration:read")
_WRITE = ("record_permission:read-write", "object_configuration:read")
_RECORD = "/v2/objects/{object}/records/{record_id}"

ROUTES: list[Route] = [
    Route(
        "POST",
        "/v2/objects/{object}/records",
        lambda ws, q, b, object: create_record(ws, object, b),
        _WRITE,
    ),
    Route(
        "PUT",
        "/v2/objects/{object}/records",
        lambda ws, q, b, object: assert_record(ws, object, q, b),
        _WRITE,
    ),
    Route(
        "POST",
        "/v2/objects/{object}/records/query",
        lambda ws, q, b, object: query_records(ws, object, b),
        _READ,
    ),
    Route(
        "GET",
        _RECORD,
        lambda ws, q, b, object, record_id: get_record(ws, object, record_id),
        _READ,
    ),
    Route(
        "PATCH",
        _RECORD,
        lambda ws, q, b, object, record_id: update_record(ws, object, record_id, b, "append"),
        _WRITE,
    ),
    Route(
        "PUT",
        _RECORD,
        lambda ws, q, b, object, record_id: update_record(ws, object, record_id, b, "overwrite"),
        _WRITE,
    ),
    Route(
        "DELETE",
        _RECORD,
        lambda ws, q, b, object, record_id: delete_record(ws, object, record_id),
        _WRITE,
        wrap=False,
    ),
    Route(
        "GET",
        f"{_RECORD}/attributes/{{attribute}}/values",
        lambda ws, q, b, object, record_id, attribute: list_values(
            ws, object, record_id, attribute, q
        ),
        _READ,
    ),
]
