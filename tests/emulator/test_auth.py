"""Bearer tokens and scopes: 401 without a known token, 403 naming the scope a token lacks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from schemactl.emulator import Emulator, EmulatorConfig, parse_token
from schemactl.emulator.routes import ROUTES, Route
from tests.emulator import openapi
from tests.emulator.conftest import make_client
from tests.emulator.helpers import (
    ERROR_KEYS,
    assert_error,
    attribute_body,
    list_body,
    ok,
    webhook_body,
)

# Every scope the schema endpoints use (Attio's OpenAPI document, and list_configuration:* for
# list attributes as the newer documents have it).
SCOPES = (
    "object_configuration:read",
    "object_configuration:read-write",
    "list_configuration:read",
    "list_configuration:read-write",
    "webhook:read",
    "webhook:read-write",
    "user_management:read",
    "record_permission:read",
    "record_permission:read-write",
    "list_entry:read",
    "list_entry:read-write",
    "note:read",
    "note:read-write",
    "task:read",
    "task:read-write",
)
SCOPE_IN_TEXT = re.compile(r"[a-z_]+:(?:read-write|read)")


def _token_name(kind: str, scope: str) -> str:
    return f"{kind}-{scope.replace(':', '-')}"


def _satisfies(granted: str, needed: str) -> bool:
    family, _, level = needed.partition(":")
    return granted == needed or (level == "read" and granted == f"{family}:read-write")


def _tokens() -> dict[str, frozenset[str] | None]:
    """`admin` has every scope; for each scope, a token with only it and one with all but it."""
    tokens: dict[str, frozenset[str] | None] = {"admin": None, "nothing": frozenset()}
    for scope in SCOPES:
        tokens[_token_name("only", scope)] = frozenset({scope})
        tokens[_token_name("without", scope)] = frozenset(
            s for s in SCOPES if not _satisfies(s, scope)
        )
    return tokens


@dataclass
class Workspace:
    """An emulator that wants tokens, holding one list (with a select and a status attribute),
    one webhook, one company record with a note, a task and an entry in the list, and the
    seeded member."""

    app: Emulator
    webhook_id: str
    member_id: str
    record_id: str
    note_id: str
    task_id: str
    entry_id: str

    def client(self, token: str | None = None, *, header: str | None = None) -> httpx.Client:
        http = make_client(self.app, token=token)
        if header is not None:
            http.headers["Authorization"] = header
        return http


@pytest.fixture
def workspace() -> Iterator[Workspace]:
    app = Emulator(EmulatorConfig(id_seed=11, tokens=_tokens()))
    try:
        with make_client(app, token="admin") as admin:
            ok(admin.post("/v2/lists", json=list_body("pipeline")))
            for slug, kind in (("priority", "select"), ("phase", "status")):
                ok(admin.post("/v2/lists/pipeline/attributes", json=attribute_body(slug, kind)))
            ok(admin.post("/v2/lists/pipeline/attributes/priority/options", json=_title("High")))
            ok(admin.post("/v2/lists/pipeline/attributes/phase/statuses", json=_title("Open")))
            hook = ok(admin.post("/v2/webhooks", json=webhook_body()))
            member = ok(admin.get("/v2/workspace_members"))[0]
            record = ok(admin.post("/v2/objects/companies/records", json={"data": {"values": {}}}))
            note, task, entry = _record_children(admin, record["id"]["record_id"])
        yield Workspace(
            app,
            hook["id"]["webhook_id"],
            member["id"]["workspace_member_id"],
            record["id"]["record_id"],
            note["id"]["note_id"],
            task["id"]["task_id"],
            entry["id"]["entry_id"],
        )
    finally:
        app.close()


def _title(title: str) -> dict:
    return {"data": {"title": title}}


def _record_children(admin: httpx.Client, record_id: str) -> tuple[dict, dict, dict]:
    """A note on the record, a task linked to it, and its entry in the pipeline list."""
    parent = {"parent_object": "companies", "parent_record_id": record_id}
    note = {"title": "Call", "format": "plaintext", "content": "Notes", **parent}
    task = {
        "content": "Follow up",
        "format": "plaintext",
        "deadline_at": None,
        "is_completed": False,
        "linked_records": [{"target_object": "companies", "target_record_id": record_id}],
        "assignees": [],
    }
    return (
        ok(admin.post("/v2/notes", json={"data": note})),
        ok(admin.post("/v2/tasks", json={"data": task})),
        ok(admin.post("/v2/lists/pipeline/entries", json={"data": {**parent, "entry_values": {}}})),
    )


def _scope_named(response: httpx.Response) -> list[str]:
    """The scopes a 403 message names (`…:read` is not mistaken inside `…:read-write`)."""
    return SCOPE_IN_TEXT.findall(response.json()["message"])


def _assert_missing_scope(response: httpx.Response, scope: str) -> None:
    assert_error(response, 403, "unauthorized")
    assert _scope_named(response) == [scope], response.json()["message"]


# --- 401 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic YWRtaW46", "Token admin", "admin", "bearer-admin"],
    ids=["absent", "empty", "scheme-only", "no-token", "basic", "token-scheme", "bare", "glued"],
)
def test_missing_header_or_wrong_scheme_is_401(workspace, header):
    with workspace.client(header=header) as http:
        if header is None:
            http.headers.pop("Authorization", None)
        response = http.get("/v2/objects")
    body = assert_error(response, 401, "unauthorized")
    assert set(body) == ERROR_KEYS
    assert body["type"] == "auth_error"


@pytest.mark.parametrize("token", ["wrong", "Admin", "admin2", "only", "fuzz:admin"])
def test_unknown_token_is_401(workspace, token):
    with workspace.client(header=f"Bearer {token}") as http:
        response = http.get("/v2/objects")
    assert_error(response, 401, "unauthorized")


def test_scheme_is_case_insensitive(workspace):
    with workspace.client(header="bearer admin") as http:
        assert http.get("/v2/objects").status_code == 200


def test_401_comes_before_routing_details_and_writes_nothing(workspace):
    with workspace.client() as anonymous, workspace.client("admin") as admin:
        before = len(ok(admin.get("/v2/objects")))
        response = anonymous.post(
            "/v2/objects",
            json={"data": {"api_slug": "sneaky", "singular_noun": "S", "plural_noun": "Ss"}},
        )
        assert_error(response, 401, "unauthorized")
        assert_error(anonymous.get("/v2/objects/does-not-exist"), 401, "unauthorized")
        assert len(ok(admin.get("/v2/objects"))) == before


# --- tokens with every scope, and with some -----------------------------------------------


def test_token_with_every_scope_reaches_everything(workspace):
    with workspace.client("admin") as http:
        assert ok(http.get("/v2/objects"))
        ok(http.post("/v2/objects", json=_object("tickets")))
        assert ok(http.get("/v2/lists/pipeline/attributes"))
        assert ok(http.get("/v2/objects/deals/attributes/stage/statuses"))
        assert ok(http.get(f"/v2/webhooks/{workspace.webhook_id}"))
        assert ok(http.get("/v2/workspace_members"))
        me = http.get("/v2/self").json()
    assert sorted(me["scope"].split()) == sorted(
        s for s in SCOPES if s.endswith("read-write") or s == "user_management:read"
    )


def _object(slug: str) -> dict:
    return {"data": {"api_slug": slug, "singular_noun": slug[:-1], "plural_noun": slug}}


def test_self_describes_only_the_scopes_granted(workspace):
    with workspace.client(_token_name("only", "webhook:read")) as http:
        assert http.get("/v2/self").json()["scope"] == "webhook:read"
    with workspace.client("nothing") as http:
        response = http.get("/v2/self")
    assert response.status_code == 200
    assert response.json()["scope"] == ""


# One request per endpoint family, with the scope it needs. Options and statuses take their
# scope from where the attribute lives: object_configuration under objects, list_configuration
# under lists.
FAMILIES = [
    ("GET", "/v2/objects", "object_configuration:read"),
    ("POST", "/v2/objects", "object_configuration:read-write"),
    ("PATCH", "/v2/objects/companies", "object_configuration:read-write"),
    ("GET", "/v2/objects/people/attributes", "object_configuration:read"),
    ("POST", "/v2/objects/people/attributes", "object_configuration:read-write"),
    ("PATCH", "/v2/objects/people/attributes/name", "object_configuration:read-write"),
    ("GET", "/v2/lists/pipeline/attributes", "list_configuration:read"),
    ("GET", "/v2/lists/pipeline/attributes/priority", "list_configuration:read"),
    ("POST", "/v2/lists/pipeline/attributes", "list_configuration:read-write"),
    ("PATCH", "/v2/lists/pipeline/attributes/priority", "list_configuration:read-write"),
    ("GET", "/v2/objects/companies/attributes/categories/options", "object_configuration:read"),
    (
        "POST",
        "/v2/objects/companies/attributes/categories/options",
        "object_configuration:read-write",
    ),
    ("GET", "/v2/lists/pipeline/attributes/priority/options", "list_configuration:read"),
    (
        "PATCH",
        "/v2/lists/pipeline/attributes/priority/options/High",
        "list_configuration:read-write",
    ),
    ("GET", "/v2/objects/deals/attributes/stage/statuses", "object_configuration:read"),
    (
        "PATCH",
        "/v2/objects/deals/attributes/stage/statuses/Lead",
        "object_configuration:read-write",
    ),
    ("GET", "/v2/lists/pipeline/attributes/phase/statuses", "list_configuration:read"),
    ("POST", "/v2/lists/pipeline/attributes/phase/statuses", "list_configuration:read-write"),
    ("GET", "/v2/lists", "list_configuration:read"),
    ("GET", "/v2/lists/pipeline", "list_configuration:read"),
    ("POST", "/v2/lists", "list_configuration:read-write"),
    ("PATCH", "/v2/lists/pipeline", "list_configuration:read-write"),
    ("GET", "/v2/webhooks", "webhook:read"),
    ("POST", "/v2/webhooks", "webhook:read-write"),
    ("DELETE", "/v2/webhooks/{webhook}", "webhook:read-write"),
    ("GET", "/v2/workspace_members", "user_management:read"),
    ("GET", "/v2/workspace_members/{member}", "user_management:read"),
]


def _fill(workspace: Workspace, path: str) -> str:
    return path.format(webhook=workspace.webhook_id, member=workspace.member_id)


@pytest.mark.parametrize(
    ("method", "path", "scope"), FAMILIES, ids=[" ".join(f[:2]) for f in FAMILIES]
)
def test_token_lacking_the_scope_gets_403_naming_it(workspace, method, path, scope):
    path = _fill(workspace, path)
    body = None if method == "GET" else {"data": {}}
    with workspace.client(_token_name("without", scope)) as http:
        _assert_missing_scope(http.request(method, path, json=body), scope)
    with workspace.client(_token_name("only", scope)) as http:
        allowed = http.request(method, path, json=body)
    # With the scope, the request gets past auth: reads succeed, writes meet validation.
    assert allowed.status_code == (200 if method in ("GET", "DELETE") else 400), allowed.text


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/v2/objects/people/attributes", "object_configuration:read"),
        ("/v2/lists/pipeline/attributes", "list_configuration:read"),
        ("/v2/lists/pipeline/attributes/priority/options", "list_configuration:read"),
        ("/v2/objects/deals/attributes/stage/statuses", "object_configuration:read"),
    ],
)
def test_object_and_list_configuration_are_not_interchangeable(workspace, path, scope):
    other = (
        "list_configuration:read-write"
        if scope.startswith("object")
        else "object_configuration:read-write"
    )
    with workspace.client(_token_name("only", other)) as http:
        _assert_missing_scope(http.get(path), scope)


def test_a_refused_write_changes_nothing(workspace):
    with workspace.client(_token_name("only", "object_configuration:read")) as http:
        _assert_missing_scope(
            http.post("/v2/objects", json=_object("tickets")), "object_configuration:read-write"
        )
        assert "tickets" not in {o["api_slug"] for o in ok(http.get("/v2/objects"))}


def test_403_comes_before_lookups(workspace):
    """A token without the scope learns nothing about what exists."""
    with workspace.client(_token_name("without", "object_configuration:read")) as http:
        _assert_missing_scope(http.get("/v2/objects/no-such-object"), "object_configuration:read")
        _assert_missing_scope(http.get("/v2/objects/people"), "object_configuration:read")


@pytest.mark.parametrize("family", ["object_configuration", "list_configuration", "webhook"])
def test_read_write_implies_read_but_not_the_reverse(workspace, family):
    read_path = {
        "object_configuration": "/v2/objects",
        "list_configuration": "/v2/lists",
        "webhook": "/v2/webhooks",
    }[family]
    with workspace.client(_token_name("only", f"{family}:read-write")) as http:
        assert http.get(read_path).status_code == 200
    with workspace.client(_token_name("only", f"{family}:read")) as http:
        assert http.get(read_path).status_code == 200
        _assert_missing_scope(http.post(read_path, json={"data": {}}), f"{family}:read-write")


def test_token_specs_parse_as_documented():
    assert parse_token("dev") == ("dev", None)
    assert parse_token("ci:object_configuration:read") == (
        "ci",
        frozenset({"object_configuration:read"}),
    )
    assert parse_token("ci:webhook:read, list_configuration:read-write,") == (
        "ci",
        frozenset({"webhook:read", "list_configuration:read-write"}),
    )
    assert parse_token("none:") == ("none", frozenset())


def test_scoped_token_from_a_spec_behaves_like_the_spec_says():
    app = Emulator(EmulatorConfig(tokens=dict([parse_token("ci:object_configuration:read")])))
    try:
        with make_client(app, token="ci") as http:
            assert http.get("/v2/objects").status_code == 200
            _assert_missing_scope(http.get("/v2/lists"), "list_configuration:read")
    finally:
        app.close()


# --- the table: every route needs exactly the scope Attio's document lists ------------------


def _doc_scope(method: str, template: str) -> list[str] | None:
    """The scopes the document's `security` lists for an operation (None: no such operation)."""
    doc = openapi.document()
    assert doc is not None
    operation = doc["paths"].get(template, {}).get(method.lower())
    if operation is None:
        return None
    security = operation.get("security", doc.get("security", []))
    return [scope for requirement in security for scope in requirement.get("oauth2", [])]


def _expected_scopes(route: Route, target: str | None) -> tuple[str, ...]:
    """What the route must require, from the document; the target decides object vs list."""
    method = "PATCH" if route.method == "PUT" else route.method  # PUT: the reference's synonym
    if (route.method, route.template) in _DOCUMENTED_PUTS:
        method = "PUT"
    listed = _doc_scope(method, route.template)
    assert listed is not None, f"{route.method} {route.template} is not in the document"
    if not listed:
        # The document lists no scope for creating attributes; by the target rule, like PATCH.
        assert (method, route.template) == ("POST", "/v2/{target}/{identifier}/attributes")
        listed = ["object_configuration:read-write"]
    if target == "lists":
        listed = [s.replace("object_configuration", "list_configuration") for s in listed]
    return tuple(listed)


# PUTs the document has itself (elsewhere PUT is the simplified reference's synonym of PATCH).
_DOCUMENTED_PUTS = {
    ("PUT", template)
    for template in (
        "/v2/objects/{object}/records",
        "/v2/objects/{object}/records/{record_id}",
        "/v2/lists/{list}/entries",
        "/v2/lists/{list}/entries/{entry_id}",
    )
}


def _route_cases() -> list[tuple[Route, str | None]]:
    cases: list[tuple[Route, str | None]] = []
    for route in ROUTES:
        targets = ("objects", "lists") if "{target}" in route.template else (None,)
        cases.extend((route, target) for target in targets)
    return cases


def _concrete(workspace: Workspace, template: str, target: str | None) -> str:
    if "/statuses" in template:
        identifier, attribute = ("deals", "stage") if target == "objects" else ("pipeline", "phase")
    elif "/records/" in template:  # a record's values: an attribute of its object
        identifier, attribute = ("companies", "categories")
    else:
        identifier, attribute = (
            ("companies", "categories") if target == "objects" else ("pipeline", "priority")
        )
    values = {
        "target": target or "",
        "identifier": identifier,
        "attribute": attribute,
        "option": "B2B" if target == "objects" else "High",
        "status": "Lead" if target == "objects" else "Open",
        "object": "companies",
        "list": "pipeline",
        "webhook_id": workspace.webhook_id,
        "workspace_member_id": workspace.member_id,
        "record_id": workspace.record_id,
        "note_id": workspace.note_id,
        "task_id": workspace.task_id,
        "entry_id": workspace.entry_id,
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


ROUTE_CASES = _route_cases()


@pytest.mark.usefixtures("requires_openapi")
@pytest.mark.parametrize(
    ("route", "target"),
    ROUTE_CASES,
    ids=[f"{r.method} {r.template}" + (f" [{t}]" if t else "") for r, t in ROUTE_CASES],
)
def test_every_route_requires_exactly_the_documented_scopes(workspace, route, target):
    scopes = _expected_scopes(route, target)
    params = {"target": target} if target else {}
    assert sorted(route.required_scopes(params)) == sorted(scopes)
    path = _concrete(workspace, route.template, target)
    body = {"data": {}} if route.method != "GET" else None
    # Each is necessary: with every other scope granted, the request is refused, naming it.
    for scope in scopes:
        with workspace.client(_token_name("without", scope)) as http:
            _assert_missing_scope(http.request(route.method, path, json=body), scope)
    # Together they suffice: reads succeed; writes get past auth to meet validation.
    workspace.app.config.tokens["exact"] = frozenset(scopes)
    with workspace.client("exact") as http:
        response = http.request(route.method, path, json=body)
    expected = 200 if route.method in ("GET", "DELETE") else 400
    assert response.status_code == expected, response.text


@pytest.mark.usefixtures("requires_openapi")
def test_self_needs_a_token_but_no_scope(workspace):
    assert _doc_scope("GET", "/v2/self") == []
    with workspace.client() as http:
        assert_error(http.get("/v2/self"), 401, "unauthorized")
    with workspace.client("nothing") as http:
        assert http.get("/v2/self").status_code == 200


@pytest.mark.usefixtures("requires_openapi")
def test_every_documented_operation_has_a_route():
    """The table above covers the document's whole surface for what the emulator takes on:
    schema, records, list entries, notes and tasks. Comments, meetings, call recordings,
    threads and SCIM are not emulated at all; `/v2/self` is served outside the table."""
    doc = openapi.document()
    assert doc is not None
    prefixes = (
        "/v2/objects",
        "/v2/{target}/",
        "/v2/lists",
        "/v2/webhooks",
        "/v2/workspace",
        "/v2/notes",
        "/v2/tasks",
    )
    documented = {
        (method.upper(), template)
        for template, operations in doc["paths"].items()
        if template.startswith(prefixes)
        for method in operations
        if method in ("get", "post", "patch", "put", "delete")
    }
    routed = {(r.method, r.template) for r in ROUTES}
    # Not emulated: the fuzzy, ranked search across objects.
    assert documented - routed == {("POST", "/v2/objects/records/search")}
    assert routed - documented == {("PUT", "/v2/objects/{object}")}


# --- no tokens configured: the embedded workspace --------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer anything", "Basic eDp5", "garbage"],
    ids=["none", "bearer", "basic", "raw"],
)
def test_without_configured_tokens_anything_is_accepted(header):
    app = Emulator(EmulatorConfig())
    try:
        with make_client(app) as http:
            if header is not None:
                http.headers["Authorization"] = header
            assert http.get("/v2/objects").status_code == 200
            assert http.get("/v2/workspace_members").status_code == 200
            ok(http.post("/v2/objects", json=_object("tickets")))
            me = http.get("/v2/self").json()
        assert "object_configuration:read-write" in me["scope"].split()
    finally:
        app.close()
