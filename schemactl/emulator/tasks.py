"""Tasks: create, list (filtered, sorted, paged), get, update the four updatable fields, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemactl.emulator import errors, values
from schemactl.emulator.notes import attio_time, parse_timestamp, record_of
from schemactl.emulator.routing import Route
from schemactl.emulator.workspace import (
    UUID_TEXT,
    Workspace,
    flag,
    invalid,
    page,
    payload,
    public,
    text,
)

KIND = "task"
MAX_CONTENT = 2000
_UPDATABLE = ("deadline_at", "is_completed", "linked_records", "assignees")
_CREATE = {"content", "format", *_UPDATABLE}
_SORTS = ("created_at:asc", "created_at:desc")


def create_task(ws: Workspace, body: Any) -> dict[str, Any]:
    data = payload(body, allowed=_CREATE, required=_CREATE)
    content = text(data, "content", min_length=0)
    if len(content) > MAX_CONTENT:
        raise invalid("content", f"must be at most {MAX_CONTENT} characters")
    if data["format"] != "plaintext":
        raise invalid("format", "must be plaintext")
    task_id = ws.new_id()
    task = {
        "id": {"workspace_id": ws.id, "task_id": task_id},
        "content_plaintext": content,
        **_parse_updatable(ws, data),
        "created_by_actor": {"type": "api-token", "id": ws.token_actor_id()},
        "created_at": ws.now(),
    }
    ws.store.insert(KIND, task_id, task)
    ws.emit("task.created", task["id"])
    return public(task)


def list_tasks(ws: Workspace, query: dict[str, str]) -> list[dict[str, Any]]:
    sort = query.get("sort", _SORTS[0])
    if sort not in _SORTS:
        raise errors.validation("Query parameter 'sort' must be created_at:asc or created_at:desc.")
    tasks = ws.store.all(KIND)  # creation order
    if sort == "created_at:desc":
        tasks.reverse()
    for keep in _query_filters(ws, query):
        tasks = [task for task in tasks if keep(task)]
    chosen = page(tasks, query.get("limit"), query.get("offset"), default=500)
    return [public(task) for task in chosen]


def get_task(ws: Workspace, task_id: str) -> dict[str, Any]:
    return public(_task(ws, task_id))


def update_task(ws: Workspace, task_id: str, body: Any) -> dict[str, Any]:
    current = _task(ws, task_id)
    data = body.get("data") if isinstance(body, dict) else None
    fixed = sorted(set(data) & {"content", "format"}) if isinstance(data, dict) else []
    if fixed:
        raise errors.validation(
            f"Body payload validation error: 'data.{fixed[0]}' cannot be updated; only "
            "deadline_at, is_completed, linked_records and assignees can."
        )
    data = payload(body, allowed=set(_UPDATABLE))
    if not data:
        raise errors.validation(
            "Body payload validation error: 'data' must hold at least one of deadline_at, "
            "is_completed, linked_records and assignees."
        )
    updated = {**current, **_parse_updatable(ws, data)}
    if updated != current:
        ws.store.update(KIND, task_id, updated)
        ws.emit("task.updated", updated["id"])
    return public(updated)


def delete_task(ws: Workspace, task_id: str) -> dict[str, Any]:
    task = _task(ws, task_id)
    ws.store.delete(KIND, task_id)
    ws.emit("task.deleted", task["id"])
    return {}


def unlink_record(ws: Workspace, object_id: str, record_id: str) -> None:
    """A deleted record drops out of every task's linked_records (each task announced)."""
    gone = {"target_object_id": object_id, "target_record_id": record_id}
    for task in ws.store.all(KIND):
        if gone in task["linked_records"]:
            task["linked_records"] = [link for link in task["linked_records"] if link != gone]
            ws.store.update(KIND, task["id"]["task_id"], task)
            ws.emit("task.updated", task["id"])


# --- request parsing -------------------------------------------------------------------------


def _parse_updatable(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """The updatable fields present in `data`, validated and in their stored form."""
    parsed: dict[str, Any] = {}
    if "deadline_at" in data:
        deadline = data["deadline_at"]
        parsed["deadline_at"] = (
            None if deadline is None else attio_time(parse_timestamp(deadline, "deadline_at"))
        )
    if "is_completed" in data:
        parsed["is_completed"] = flag(data, "is_completed")
    if "linked_records" in data:
        parsed["linked_records"] = _linked_records(ws, data["linked_records"])
    if "assignees" in data:
        parsed["assignees"] = _assignees(ws, data["assignees"])
    return parsed


def _linked_records(ws: Workspace, raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise invalid("linked_records", "must be an array")
    linked: list[dict[str, str]] = []
    for index, item in enumerate(raw):
        where = f"linked_records[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("target_object"), str):
            raise invalid(f"{where}.target_object", "is required: an object slug or id")
        obj = ws.object(item["target_object"])
        link = {
            "target_object_id": obj["id"]["object_id"],
            "target_record_id": _target_record(ws, obj, item, where),
        }
        if link not in linked:
            linked.append(link)
    return linked


def _target_record(ws: Workspace, obj: dict[str, Any], item: dict[str, Any], where: str) -> str:
    """The linked record: by `target_record_id`, or by one value of a unique attribute."""
    object_id = obj["id"]["object_id"]
    others = sorted(set(item) - {"target_object"})
    if others == ["target_record_id"]:
        record_id = item["target_record_id"]
        if not isinstance(record_id, str) or not UUID_TEXT.match(record_id):
            raise invalid(f"{where}.target_record_id", "must be a UUID")
        return record_of(ws, object_id, record_id)
    if len(others) != 1:
        raise invalid(where, "must hold target_record_id or exactly one matching attribute")
    attribute = values.find_attribute(values.live_attributes(ws, object_id), others[0])
    raw = item[others[0]]
    if not attribute["is_unique"]:
        raise invalid(f"{where}.{others[0]}", "must name a unique attribute to match on")
    if not isinstance(raw, list) or len(raw) != 1:
        raise invalid(f"{where}.{others[0]}", "must be an array holding exactly one value")
    wanted = values.parse_values(ws, attribute, raw)
    found = values.holders(ws, "record", object_id, attribute["id"]["attribute_id"], wanted)
    if found:
        return found[0]["id"]["record_id"]
    raise errors.not_found(
        f'No {obj["api_slug"]} record matches the given value of "{attribute["api_slug"]}".'
    )


def _assignees(ws: Workspace, raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise invalid("assignees", "must be an array")
    chosen: list[dict[str, str]] = []
    for index, item in enumerate(raw):
        member_id = _assignee(ws, item, f"assignees[{index}]")
        actor = {"referenced_actor_type": "workspace-member", "referenced_actor_id": member_id}
        if actor not in chosen:
            chosen.append(actor)
    return chosen


def _assignee(ws: Workspace, item: Any, where: str) -> str:
    keys = set(item) if isinstance(item, dict) else set()
    if keys == {"workspace_member_email_address"}:
        member = _member(ws, item["workspace_member_email_address"])
    elif keys == {"referenced_actor_type", "referenced_actor_id"}:
        if item["referenced_actor_type"] != "workspace-member":
            raise invalid(f"{where}.referenced_actor_type", "must be workspace-member")
        member = _member(ws, item["referenced_actor_id"])
    else:
        raise invalid(
            where,
            "must be {referenced_actor_type, referenced_actor_id} or "
            "{workspace_member_email_address}",
        )
    if member is None:
        raise errors.value_not_found(f"Workspace member {_quoted(item)} not found.")
    return member["id"]["workspace_member_id"]


def _member(ws: Workspace, reference: Any) -> dict[str, Any] | None:
    """A workspace member by id or email address (case-insensitive), if there is one."""
    if not isinstance(reference, str):
        return None
    for member in ws.store.all("member"):
        if reference == member["id"]["workspace_member_id"]:
            return member
        if reference.casefold() == (member["email_address"] or "").casefold():
            return member
    return None


def _quoted(item: dict[str, Any]) -> str:
    reference = item.get("workspace_member_email_address", item.get("referenced_actor_id"))
    return f'"{reference}"'


def _query_filters(ws: Workspace, query: dict[str, str]) -> list[Callable[[dict], bool]]:
    """Predicates for the documented filters of `GET /v2/tasks` that the query uses."""
    keep: list[Callable[[dict], bool]] = []
    if "linked_object" in query or "linked_record_id" in query:
        link = _link_filter(ws, query)
        keep.append(lambda task: link in task["linked_records"])
    if "assignee" in query:
        wanted = query["assignee"]
        if wanted in ("", "null"):
            keep.append(lambda task: not task["assignees"])
        else:
            # An unknown member is assigned nothing: the filter matches no task.
            member = _member(ws, wanted)
            member_id = member["id"]["workspace_member_id"] if member else None
            keep.append(
                lambda task: any(a["referenced_actor_id"] == member_id for a in task["assignees"])
            )
    if "is_completed" in query:
        completed = query["is_completed"]
        if completed not in ("true", "false"):
            raise errors.validation("Query parameter 'is_completed' must be true or false.")
        keep.append(lambda task: task["is_completed"] == (completed == "true"))
    return keep


def _link_filter(ws: Workspace, query: dict[str, str]) -> dict[str, str]:
    object_ref, record_id = query.get("linked_object"), query.get("linked_record_id")
    if not object_ref or not record_id:
        raise errors.validation(
            "Query parameters 'linked_object' and 'linked_record_id' must be given together."
        )
    if not UUID_TEXT.match(record_id):
        raise errors.validation("Query parameter 'linked_record_id' must be a UUID.")
    return {
        "target_object_id": ws.object(object_ref)["id"]["object_id"],
        "target_record_id": record_id,
    }


def _task(ws: Workspace, task_id: str) -> dict[str, Any]:
    found = ws.store.get(KIND, task_id) if UUID_TEXT.match(task_id) else None
    if found is None:
        raise errors.not_found(f'Could not find Task with ID "{task_id}".')
    return found


_SCOPES = ("object_configuration:read", "record_permission:read", "user_management:read")

ROUTES: list[Route] = [
    Route("GET", "/v2/tasks", lambda ws, q, b: list_tasks(ws, q), ("task:read", *_SCOPES)),
    Route("POST", "/v2/tasks", lambda ws, q, b: create_task(ws, b), ("task:read-write", *_SCOPES)),
    Route(
        "GET",
        "/v2/tasks/{task_id}",
        lambda ws, q, b, task_id: get_task(ws, task_id),
        ("task:read", *_SCOPES),
    ),
    Route(
        "PATCH",
        "/v2/tasks/{task_id}",
        lambda ws, q, b, task_id: update_task(ws, task_id, b),
        ("task:read-write", *_SCOPES),
    ),
    Route(
        "DELETE",
        "/v2/tasks/{task_id}",
        lambda ws, q, b, task_id: delete_task(ws, task_id),
        "task:read-write",
        wrap=False,
    ),
]
