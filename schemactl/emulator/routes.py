"""The emulated endpoints: path templates as Attio's OpenAPI document writes them, and scopes."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import Map, Rule

from schemactl.emulator import (
    attributes,
    choices,
    entries,
    lists,
    members,
    notes,
    objects,
    records,
    tasks,
    webhooks,
)
from schemactl.emulator.routing import Route
from schemactl.emulator.workspace import Workspace


def _choice_routes(kind: str, plural: str) -> list[Route]:
    base = f"/v2/{{target}}/{{identifier}}/attributes/{{attribute}}/{plural}"

    def listing(ws: Workspace, q: dict, body: Any, target: str, identifier: str, attribute: str):
        return choices.list_choices(ws, kind, target, identifier, attribute, q)

    def create(ws: Workspace, q: dict, body: Any, target: str, identifier: str, attribute: str):
        return choices.create_choice(ws, kind, target, identifier, attribute, body)

    def update(
        ws: Workspace,
        q: dict,
        body: Any,
        target: str,
        identifier: str,
        attribute: str,
        **choice: str,
    ):
        return choices.update_choice(ws, kind, target, identifier, attribute, choice[kind], body)

    return [
        Route("GET", base, listing, "{config}:read"),
        Route("POST", base, create, "{config}:read-write"),
        Route("PATCH", f"{base}/{{{kind}}}", update, "{config}:read-write"),
    ]


ROUTES: list[Route] = [
    Route(
        "GET", "/v2/objects", lambda ws, q, b: objects.list_objects(ws), "object_configuration:read"
    ),
    Route(
        "POST",
        "/v2/objects",
        lambda ws, q, b: objects.create_object(ws, b),
        "object_configuration:read-write",
    ),
    Route(
        "GET",
        "/v2/objects/{object}",
        lambda ws, q, b, object: objects.get_object(ws, object),
        "object_configuration:read",
    ),
    Route(
        "PATCH",
        "/v2/objects/{object}",
        lambda ws, q, b, object: objects.update_object(ws, object, b),
        "object_configuration:read-write",
    ),
    # The simplified reference's PUT, accepted as a synonym of PATCH.
    Route(
        "PUT",
        "/v2/objects/{object}",
        lambda ws, q, b, object: objects.update_object(ws, object, b),
        "object_configuration:read-write",
    ),
    Route(
        "GET",
        "/v2/{target}/{identifier}/attributes",
        lambda ws, q, b, target, identifier: attributes.list_attributes(ws, target, identifier, q),
        "{config}:read",
    ),
    Route(
        "POST",
        "/v2/{target}/{identifier}/attributes",
        lambda ws, q, b, target, identifier: attributes.create_attribute(ws, target, identifier, b),
        "{config}:read-write",
    ),
    Route(
        "GET",
        "/v2/{target}/{identifier}/attributes/{attribute}",
        lambda ws, q, b, target, identifier, attribute: attributes.get_attribute(
            ws, target, identifier, attribute
        ),
        "{config}:read",
    ),
    Route(
        "PATCH",
        "/v2/{target}/{identifier}/attributes/{attribute}",
        lambda ws, q, b, target, identifier, attribute: attributes.update_attribute(
            ws, target, identifier, attribute, b
        ),
        "{config}:read-write",
    ),
    *_choice_routes("option", "options"),
    *_choice_routes("status", "statuses"),
    Route("GET", "/v2/lists", lambda ws, q, b: lists.list_lists(ws), "list_configuration:read"),
    Route(
        "POST",
        "/v2/lists",
        lambda ws, q, b: lists.create_list(ws, b),
        "list_configuration:read-write",
    ),
    Route(
        "GET",
        "/v2/lists/{list}",
        lambda ws, q, b, list: lists.get_list(ws, list),
        "list_configuration:read",
    ),
    Route(
        "PATCH",
        "/v2/lists/{list}",
        lambda ws, q, b, list: lists.update_list(ws, list, b),
        "list_configuration:read-write",
    ),
    Route("GET", "/v2/webhooks", lambda ws, q, b: webhooks.list_webhooks(ws, q), "webhook:read"),
    Route(
        "POST",
        "/v2/webhooks",
        lambda ws, q, b: webhooks.create_webhook(ws, b),
        "webhook:read-write",
    ),
    Route(
        "GET",
        "/v2/webhooks/{webhook_id}",
        lambda ws, q, b, webhook_id: webhooks.get_webhook(ws, webhook_id),
        "webhook:read",
    ),
    Route(
        "PATCH",
        "/v2/webhooks/{webhook_id}",
        lambda ws, q, b, webhook_id: webhooks.update_webhook(ws, webhook_id, b),
        "webhook:read-write",
    ),
    Route(
        "DELETE",
        "/v2/webhooks/{webhook_id}",
        lambda ws, q, b, webhook_id: webhooks.delete_webhook(ws, webhook_id),
        "webhook:read-write",
        wrap=False,
    ),
    Route(
        "GET",
        "/v2/workspace_members",
        lambda ws, q, b: members.list_members(ws),
        "user_management:read",
    ),
    Route(
        "GET",
        "/v2/workspace_members/{workspace_member_id}",
        lambda ws, q, b, workspace_member_id: members.get_member(ws, workspace_member_id),
        "user_management:read",
    ),
    # Records, entries, notes and tasks: each module holds its own operations.
    *records.ROUTES,
    *entries.ROUTES,
    *notes.ROUTES,
    *tasks.ROUTES,
]
SELF_TEMPLATE = "/v2/self"

ALL_SCOPES = (
    "object_configuration:read-write",
    "list_configuration:read-write",
    "webhook:read-write",
    "user_management:read",
    "record_permission:read-write",
    "list_entry:read-write",
    "note:read-write",
    "task:read-write",
)


def _werkzeug_rule(template: str) -> str:
    """`/v2/{target}/{identifier}/…/{option}` -> werkzeug syntax; titles may contain `/`."""

    def convert(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "target":
            return "<any(objects, lists):target>"
        if name in ("option", "status"):
            return f"<path:{name}>"
        return f"<{name}>"

    return re.sub(r"\{(\w+)\}", convert, template)


def build_map() -> tuple[Map, dict[str, Route]]:
    """A werkzeug Map whose endpoints are `METHOD template` keys into the returned table."""
    table: dict[str, Route] = {}
    rules = []
    for route in ROUTES:
        key = f"{route.method} {route.template}"
        table[key] = route
        rules.append(Rule(_werkzeug_rule(route.template), endpoint=key, methods=[route.method]))
    rules.append(Rule(SELF_TEMPLATE, endpoint="GET /v2/self", methods=["GET"]))
    for path, method in (
        ("reset", "POST"),
        ("state", "GET"),
        ("requests", "GET"),
        ("requests", "DELETE"),
    ):
        rules.append(
            Rule(f"/_emulator/{path}", endpoint=f"control {method} {path}", methods=[method])
        )
    return Map(rules, strict_slashes=False, merge_slashes=False), table
