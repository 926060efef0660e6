"""Lists: GET/POST /v2/lists, GET/PATCH /v2/lists/{list}, and list attributes."""

from __future__ import annotations

import re

import pytest

from tests.emulator.helpers import (
    assert_error,
    attribute_body,
    create_attribute,
    create_list,
    create_object,
    list_body,
    ok,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
MISSING_MEMBER = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def member_id(client) -> str:
    return ok(client.get("/v2/workspace_members"))[0]["id"]["workspace_member_id"]


def _object_id(client, slug: str) -> str:
    return ok(client.get(f"/v2/objects/{slug}"))["id"]["object_id"]


def test_a_new_workspace_has_no_lists(client):
    assert ok(client.get("/v2/lists")) == []


def test_create_returns_the_read_shape(client):
    created = create_list(client, "key_accounts", name="Key Accounts")
    assert set(created["id"]) == {"workspace_id", "list_id"}
    assert created["api_slug"] == "key_accounts"
    assert created["name"] == "Key Accounts"
    assert created["parent_object"] == ["companies"]  # a slug on create, an array on read
    assert created["workspace_access"] == "full-access"
    assert created["workspace_member_access"] == []
    assert created["created_by_actor"]["type"] == "api-token"
    assert TIMESTAMP.match(created["created_at"])
    assert ok(client.get("/v2/lists/key_accounts")) == created
    assert ok(client.get(f"/v2/lists/{created['id']['list_id']}")) == created
    assert ok(client.get("/v2/lists")) == [created]


def test_parent_object_may_be_given_by_id_and_is_read_as_its_slug(client):
    created = create_list(client, "hiring", parent_object=_object_id(client, "people"))
    assert created["parent_object"] == ["people"]


def test_parent_object_follows_a_renamed_object(client):
    create_object(client, "projects", "Project", "Projects")
    create_list(client, "active_projects", parent_object="projects")
    ok(client.patch("/v2/objects/projects", json={"data": {"api_slug": "initiatives"}}))
    assert ok(client.get("/v2/lists/active_projects"))["parent_object"] == ["initiatives"]


@pytest.mark.parametrize(
    "missing",
    ["name", "api_slug", "parent_object", "workspace_access", "workspace_member_access"],
)
def test_create_needs_all_five_fields(client, missing):
    body = list_body("key_accounts")
    del body["data"][missing]
    response = client.post("/v2/lists", json=body)
    assert_error(response, 400, "validation_type", mentions=f"data.{missing}")
    assert ok(client.get("/v2/lists")) == []


def test_create_names_an_unknown_field(client):
    response = client.post("/v2/lists", json=list_body("key_accounts", icon="star"))
    assert_error(response, 400, "validation_type", mentions="data.icon")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("api_slug", "Key Accounts"),
        ("parent_object", ["companies"]),
        ("workspace_access", "admin"),
        ("workspace_member_access", "everyone"),
        ("workspace_member_access", [{"workspace_member_id": MISSING_MEMBER}]),
    ],
)
def test_create_refuses_bad_values_naming_the_field(client, field, value):
    body = list_body("key_accounts")
    body["data"][field] = value
    response = client.post("/v2/lists", json=body)
    assert_error(response, 400, "validation_type", mentions=field)


def test_an_unknown_parent_object_is_404(client):
    response = client.post("/v2/lists", json=list_body("key_accounts", parent_object="nope"))
    assert_error(response, 404, "not_found", mentions='"nope"')


def test_a_taken_slug_is_409(client):
    create_list(client, "key_accounts")
    response = client.post("/v2/lists", json=list_body("key_accounts", parent_object="people"))
    assert_error(response, 409, "slug_conflict", mentions="key_accounts")
    assert len(ok(client.get("/v2/lists"))) == 1


def test_rename_to_a_taken_slug_is_409(client):
    create_list(client, "key_accounts")
    create_list(client, "partners")
    response = client.patch("/v2/lists/partners", json={"data": {"api_slug": "key_accounts"}})
    assert_error(response, 409, "slug_conflict")
    assert ok(client.get("/v2/lists/partners"))["api_slug"] == "partners"


def test_patch_renames_in_place(client):
    created = create_list(client, "key_accounts")
    updated = ok(
        client.patch(
            "/v2/lists/key_accounts",
            json={"data": {"api_slug": "top_accounts", "name": "Top Accounts"}},
        )
    )
    assert updated == created | {"api_slug": "top_accounts", "name": "Top Accounts"}
    assert_error(client.get("/v2/lists/key_accounts"), 404, "not_found")
    assert ok(client.get(f"/v2/lists/{created['id']['list_id']}")) == updated


def test_parent_object_cannot_change(client):
    created = create_list(client, "key_accounts")
    response = client.patch("/v2/lists/key_accounts", json={"data": {"parent_object": "people"}})
    assert_error(response, 400, "immutable_value", mentions="parent_object")
    assert ok(client.get("/v2/lists/key_accounts")) == created


def test_patch_refuses_an_empty_payload_and_unknown_fields(client):
    create_list(client, "key_accounts")
    assert_error(client.patch("/v2/lists/key_accounts", json={"data": {}}), 400, "validation_type")
    response = client.patch("/v2/lists/key_accounts", json={"data": {"colour": "red"}})
    assert_error(response, 400, "validation_type", mentions="colour")


def test_unknown_list_is_404(client):
    assert_error(client.get("/v2/lists/nope"), 404, "not_found", mentions='"nope"')
    assert_error(client.patch("/v2/lists/nope", json={"data": {"name": "X"}}), 404, "not_found")


# --- access -----------------------------------------------------------------------------------


def test_member_access_is_kept(client, member_id):
    created = create_list(
        client,
        "key_accounts",
        workspace_access="read-only",
        workspace_member_access=[{"workspace_member_id": member_id, "level": "full-access"}],
    )
    assert created["workspace_access"] == "read-only"
    assert created["workspace_member_access"] == [
        {"workspace_member_id": member_id, "level": "full-access"}
    ]


def test_workspace_access_may_be_null_when_a_member_has_full_access(client, member_id):
    created = create_list(
        client,
        "private",
        workspace_access=None,
        workspace_member_access=[{"workspace_member_id": member_id, "level": "full-access"}],
    )
    assert created["workspace_access"] is None


@pytest.mark.parametrize(
    ("access", "level"),
    [(None, None), ("read-only", None), ("read-and-write", "read-and-write"), (None, "read-only")],
)
def test_someone_must_have_full_access(client, member_id, access, level):
    members = [] if level is None else [{"workspace_member_id": member_id, "level": level}]
    response = client.post(
        "/v2/lists",
        json=list_body("key_accounts", workspace_access=access, workspace_member_access=members),
    )
    assert_error(response, 400, "validation_type", mentions="full-access")


def test_access_rules_hold_on_update(client, member_id):
    create_list(client, "key_accounts")
    response = client.patch("/v2/lists/key_accounts", json={"data": {"workspace_access": None}})
    assert_error(response, 400, "validation_type", mentions="full-access")
    updated = ok(
        client.patch(
            "/v2/lists/key_accounts",
            json={
                "data": {
                    "workspace_access": None,
                    "workspace_member_access": [
                        {"workspace_member_id": member_id, "level": "full-access"}
                    ],
                }
            },
        )
    )
    assert updated["workspace_access"] is None
    # Changing only the workspace access keeps the members.
    updated = ok(
        client.patch("/v2/lists/key_accounts", json={"data": {"workspace_access": "read-only"}})
    )
    assert updated["workspace_member_access"] == [
        {"workspace_member_id": member_id, "level": "full-access"}
    ]


def test_an_unknown_member_is_400_value_not_found(client):
    members = [{"workspace_member_id": MISSING_MEMBER, "level": "full-access"}]
    response = client.post(
        "/v2/lists", json=list_body("key_accounts", workspace_member_access=members)
    )
    assert_error(response, 400, "value_not_found", mentions=MISSING_MEMBER)
    create_list(client, "key_accounts")
    response = client.patch(
        "/v2/lists/key_accounts", json={"data": {"workspace_member_access": members}}
    )
    assert_error(response, 400, "value_not_found", mentions=MISSING_MEMBER)


def test_a_bad_member_level_names_the_field(client, member_id):
    members = [{"workspace_member_id": member_id, "level": "owner"}]
    response = client.post(
        "/v2/lists", json=list_body("key_accounts", workspace_member_access=members)
    )
    assert_error(response, 400, "validation_type", mentions="workspace_member_access[0].level")


# --- list attributes --------------------------------------------------------------------------


def test_list_attributes_are_created_read_and_updated_through_the_list(client):
    created_list = create_list(client, "key_accounts")
    list_id = created_list["id"]["list_id"]
    priority = create_attribute(client, "lists", "key_accounts", "priority", "select")
    assert priority["id"] == {
        "workspace_id": created_list["id"]["workspace_id"],
        "object_id": list_id,
        "attribute_id": priority["id"]["attribute_id"],
    }
    assert ok(client.get("/v2/lists/key_accounts/attributes")) == [priority]
    renamed = ok(
        client.patch(
            f"/v2/lists/{list_id}/attributes/priority",
            json={"data": {"title": "Account priority"}},
        )
    )
    assert renamed == priority | {"title": "Account priority"}


def test_list_attributes_reference_records(client):
    create_list(client, "key_accounts")
    champion = create_attribute(
        client,
        "lists",
        "key_accounts",
        "champion",
        "record-reference",
        config={"record_reference": {"allowed_objects": ["people"]}},
    )
    people_id = _object_id(client, "people")
    assert champion["config"]["record_reference"]["allowed_object_ids"] == [people_id]


def test_list_attribute_errors(client):
    create_list(client, "key_accounts")
    create_attribute(client, "lists", "key_accounts", "priority", "select")
    response = client.post("/v2/lists/key_accounts/attributes", json=attribute_body("priority"))
    assert_error(response, 409, "slug_conflict")
    response = client.patch(
        "/v2/lists/key_accounts/attributes/priority", json={"data": {"type": "text"}}
    )
    assert_error(response, 400, "immutable_value", mentions="type")
    assert_error(client.get("/v2/lists/key_accounts/attributes/nope"), 404, "not_found")
