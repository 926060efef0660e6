"""Attributes of objects and lists: /v2/{target}/{identifier}/attributes[/{attribute}]."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import (
    assert_error,
    attribute_body,
    create_attribute,
    create_list,
    create_object,
    ok,
)

CONFIGS = {
    "currency": {"currency": {"default_currency_code": "EUR", "display_type": "code"}},
    "record-reference": {"record_reference": {"allowed_objects": ["companies"]}},
}
CREATABLE_TYPES = [
    "text",
    "number",
    "checkbox",
    "currency",
    "date",
    "timestamp",
    "rating",
    "status",
    "select",
    "record-reference",
    "actor-reference",
    "location",
    "domain",
    "email-address",
    "phone-number",
]
REQUIRED = [
    "title",
    "description",
    "api_slug",
    "type",
    "is_required",
    "is_unique",
    "is_multiselect",
    "config",
]


@pytest.fixture
def projects(client) -> dict:
    """A custom object to hang attributes on."""
    return create_object(client, "projects", "Project", "Projects")


def _slugs(client, path: str) -> list[str]:
    return [a["api_slug"] for a in ok(client.get(path))]


def _object_id(client, slug: str) -> str:
    return ok(client.get(f"/v2/objects/{slug}"))["id"]["object_id"]


# --- reading --------------------------------------------------------------------------------


def test_standard_objects_list_their_system_attributes(client):
    people = ok(client.get("/v2/objects/people/attributes"))
    by_slug = {a["api_slug"]: a for a in people}
    assert {"name", "email_addresses", "company", "record_id", "created_at"} <= set(by_slug)
    name = by_slug["name"]
    assert (name["type"], name["is_system_attribute"], name["is_writable"]) == (
        "personal-name",
        True,
        True,
    )
    assert by_slug["email_addresses"]["is_multiselect"] is True
    assert by_slug["record_id"]["is_writable"] is False
    assert {a["id"]["object_id"] for a in people} == {_object_id(client, "people")}


def test_get_by_slug_and_by_id_return_the_same_attribute(client, projects):
    created = create_attribute(client, "objects", "projects", "budget", "number")
    attribute_id = created["id"]["attribute_id"]
    assert ok(client.get("/v2/objects/projects/attributes/budget")) == created
    assert ok(client.get(f"/v2/objects/projects/attributes/{attribute_id}")) == created
    object_id = projects["id"]["object_id"]
    assert ok(client.get(f"/v2/objects/{object_id}/attributes/budget")) == created


def test_unknown_attribute_object_or_list_is_404(client, projects):
    assert_error(
        client.get("/v2/objects/projects/attributes/nope"), 404, "not_found", mentions='"nope"'
    )
    assert_error(client.get("/v2/objects/nope/attributes"), 404, "not_found")
    assert_error(client.get("/v2/lists/nope/attributes"), 404, "not_found")
    response = client.post("/v2/lists/nope/attributes", json=attribute_body("x"))
    assert_error(response, 404, "not_found")
    # An attribute of one object is not found through another.
    create_attribute(client, "objects", "projects", "budget", "number")
    assert_error(client.get("/v2/objects/companies/attributes/budget"), 404, "not_found")


def test_limit_and_offset_page_through_attributes(client, projects):
    for index in range(5):
        create_attribute(client, "objects", "projects", f"field_{index}")
    everything = _slugs(client, "/v2/objects/projects/attributes")
    assert len(everything) == 8  # the three system attributes, then ours in creation order
    assert everything[3:] == [f"field_{i}" for i in range(5)]
    pages = [
        _slugs(client, f"/v2/objects/projects/attributes?limit=3&offset={offset}")
        for offset in (0, 3, 6, 9)
    ]
    assert [len(p) for p in pages] == [3, 3, 2, 0]
    assert [slug for p in pages for slug in p] == everything
    assert _slugs(client, "/v2/objects/projects/attributes?offset=7") == ["field_4"]


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=ten", "offset=-1", "offset=x"])
def test_bad_paging_parameters_are_400(client, query):
    response = client.get(f"/v2/objects/people/attributes?{query}")
    assert_error(response, 400, "validation_type", mentions=query.split("=")[0])


# --- creating -------------------------------------------------------------------------------


@pytest.mark.parametrize("attribute_type", CREATABLE_TYPES)
def test_every_type_is_creatable_with_its_required_config(client, projects, attribute_type):
    slug = attribute_type.replace("-", "_")
    created = create_attribute(
        client, "objects", "projects", slug, attribute_type, config=CONFIGS.get(attribute_type)
    )
    assert created["type"] == attribute_type
    assert created["api_slug"] == slug
    assert created["is_system_attribute"] is False
    assert created["is_writable"] is True
    assert created["is_archived"] is False
    assert created["relationship"] is None
    assert created["id"]["object_id"] == projects["id"]["object_id"]
    # Reads always carry both config blocks, the unused one null.
    assert set(created["config"]) == {"currency", "record_reference"}
    assert ok(client.get(f"/v2/objects/projects/attributes/{slug}")) == created


def test_types_that_need_no_config_still_need_the_config_field(client, projects):
    body = attribute_body("notes")
    del body["data"]["config"]
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions="config")


def test_unknown_type_is_400(client, projects):
    response = client.post("/v2/objects/projects/attributes", json=attribute_body("x", "colour"))
    assert_error(response, 400, "validation_type", mentions="type")
    # Read-only types cannot be created.
    response = client.post(
        "/v2/objects/projects/attributes", json=attribute_body("y", "personal-name")
    )
    assert_error(response, 400, "validation_type", mentions="type")


def test_currency_config_is_read_back(client, projects):
    created = create_attribute(
        client, "objects", "projects", "budget", "currency", config=CONFIGS["currency"]
    )
    assert created["config"] == {
        "currency": {"default_currency_code": "EUR", "display_type": "code"},
        "record_reference": {"allowed_object_ids": None},
    }
    changed = ok(
        client.patch(
            "/v2/objects/projects/attributes/budget",
            json={
                "data": {
                    "config": {
                        "currency": {"default_currency_code": "USD", "display_type": "symbol"}
                    }
                }
            },
        )
    )
    assert changed["config"]["currency"] == {
        "default_currency_code": "USD",
        "display_type": "symbol",
    }


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "config.currency"),
        ({"currency": {"display_type": "symbol"}}, "default_currency_code"),
        ({"currency": {"default_currency_code": "XXX", "display_type": "symbol"}}, "currency_code"),
        ({"currency": {"default_currency_code": "USD"}}, "display_type"),
        ({"currency": {"default_currency_code": "USD", "display_type": "big"}}, "display_type"),
        ({"currency": "USD"}, "config.currency"),
        ({"colour": "red"}, "config.colour"),
    ],
)
def test_bad_currency_config_is_400_naming_the_field(client, projects, config, field):
    response = client.post(
        "/v2/objects/projects/attributes", json=attribute_body("budget", "currency", config=config)
    )
    assert_error(response, 400, "validation_type", mentions=field)
    assert_error(client.get("/v2/objects/projects/attributes/budget"), 404, "not_found")


def test_currency_config_on_a_text_attribute_is_400(client, projects):
    response = client.post(
        "/v2/objects/projects/attributes",
        json=attribute_body("notes", "text", config=CONFIGS["currency"]),
    )
    assert_error(response, 400, "validation_type", mentions="currency")


def test_record_reference_writes_allowed_objects_and_reads_allowed_object_ids(client, projects):
    companies_id = _object_id(client, "companies")
    people_id = _object_id(client, "people")
    created = create_attribute(
        client,
        "objects",
        "projects",
        "client",
        "record-reference",
        config={"record_reference": {"allowed_objects": ["companies", people_id]}},
    )
    assert created["config"]["record_reference"] == {
        "allowed_object_ids": [companies_id, people_id]
    }
    assert "allowed_objects" not in created["config"]["record_reference"]
    assert created["config"]["currency"] == {"default_currency_code": None, "display_type": None}


@pytest.mark.parametrize(
    "config",
    [{}, {"record_reference": {}}, {"record_reference": {"allowed_objects": []}}],
)
def test_record_reference_needs_allowed_objects(client, projects, config):
    response = client.post(
        "/v2/objects/projects/attributes",
        json=attribute_body("client", "record-reference", config=config),
    )
    assert_error(response, 400, "validation_type", mentions="allowed_objects")


def test_record_reference_to_an_unknown_object_is_refused(client, projects):
    response = client.post(
        "/v2/objects/projects/attributes",
        json=attribute_body(
            "client",
            "record-reference",
            config={"record_reference": {"allowed_objects": ["nope"]}},
        ),
    )
    assert_error(response, 404, "not_found", mentions='"nope"')


@pytest.mark.parametrize("attribute_type", ["text", "number", "checkbox", "currency", "status"])
def test_single_value_types_cannot_be_multiselect(client, projects, attribute_type):
    response = client.post(
        "/v2/objects/projects/attributes",
        json=attribute_body(
            "x", attribute_type, config=CONFIGS.get(attribute_type), is_multiselect=True
        ),
    )
    assert_error(response, 400, "validation_type", mentions="multiselect")


def test_select_cannot_be_unique(client, projects):
    body = attribute_body("tier", "select")
    body["data"]["is_unique"] = True
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions="unique")


@pytest.mark.parametrize("missing", REQUIRED)
def test_create_names_a_missing_field(client, projects, missing):
    body = attribute_body("budget", "number")
    del body["data"][missing]
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions=f"data.{missing}")


def test_create_names_an_unknown_field(client, projects):
    body = attribute_body("budget", "number", colour="red")
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions="data.colour")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", 3),
        ("description", 5),
        ("api_slug", "Budget Total"),
        ("is_required", "false"),
        ("is_unique", None),
        ("is_multiselect", 0),
        ("config", []),
    ],
)
def test_create_refuses_wrong_types_naming_the_field(client, projects, field, value):
    body = attribute_body("budget", "number")
    body["data"][field] = value
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions=field)


def test_description_may_be_text_or_null(client, projects):
    described = create_attribute(client, "objects", "projects", "a", description="Why it exists")
    assert described["description"] == "Why it exists"
    assert create_attribute(client, "objects", "projects", "b")["description"] is None


def test_dynamic_default_values(client, projects):
    due = create_attribute(
        client,
        "objects",
        "projects",
        "due",
        "date",
        default_value={"type": "dynamic", "template": "P1M"},
    )
    assert due["default_value"] == {"type": "dynamic", "template": "P1M"}
    assert due["is_default_value_enabled"] is True
    owner = create_attribute(
        client,
        "objects",
        "projects",
        "owner",
        "actor-reference",
        default_value={"type": "dynamic", "template": "current-user"},
    )
    assert owner["default_value"]["template"] == "current-user"
    response = client.post(
        "/v2/objects/projects/attributes",
        json=attribute_body("notes", default_value={"type": "dynamic", "template": "P1M"}),
    )
    assert_error(response, 400, "validation_type", mentions="P1M")


def test_static_default_values_are_read_back_as_values(client, projects):
    created = create_attribute(
        client,
        "objects",
        "projects",
        "budget",
        "number",
        default_value={"type": "static", "template": [{"value": 5}]},
    )
    assert created["default_value"] == {
        "type": "static",
        "template": [{"value": 5, "attribute_type": "number"}],
    }
    assert created["is_default_value_enabled"] is True


@pytest.mark.parametrize(
    "template", ["five", [5], [[{"value": 5}]], {"value": 5}], ids=["str", "int", "nested", "dict"]
)
def test_static_default_templates_must_be_arrays_of_values(client, projects, template):
    response = client.post(
        "/v2/objects/projects/attributes",
        json=attribute_body(
            "budget", "number", default_value={"type": "static", "template": template}
        ),
    )
    assert_error(response, 400, "validation_type", mentions="default_value.template")


@pytest.mark.parametrize("slug", ["people", "companies"])
def test_default_values_are_refused_on_people_and_companies(client, slug):
    response = client.post(
        f"/v2/objects/{slug}/attributes",
        json=attribute_body("due", "date", default_value={"type": "dynamic", "template": "P1D"}),
    )
    assert_error(response, 400, "validation_type", mentions="Default values")


# --- slugs ------------------------------------------------------------------------------------


def test_a_taken_slug_is_409_on_the_same_object_only(client, projects):
    create_attribute(client, "objects", "projects", "budget", "number")
    response = client.post("/v2/objects/projects/attributes", json=attribute_body("budget"))
    assert_error(response, 409, "slug_conflict", mentions="budget")
    # A system attribute's slug is taken too.
    response = client.post("/v2/objects/companies/attributes", json=attribute_body("domains"))
    assert_error(response, 409, "slug_conflict")
    # Another object may use the same slug.
    assert create_attribute(client, "objects", "companies", "budget", "number")["type"] == "number"


def test_an_archived_attribute_keeps_its_slug(client, projects):
    create_attribute(client, "objects", "projects", "budget", "number")
    archive = {"data": {"is_archived": True}}
    ok(client.patch("/v2/objects/projects/attributes/budget", json=archive))
    response = client.post("/v2/objects/projects/attributes", json=attribute_body("budget"))
    assert_error(response, 409, "slug_conflict")


def test_rename_to_a_taken_slug_is_409(client, projects):
    create_attribute(client, "objects", "projects", "budget", "number")
    create_attribute(client, "objects", "projects", "cost", "number")
    response = client.patch(
        "/v2/objects/projects/attributes/cost", json={"data": {"api_slug": "budget"}}
    )
    assert_error(response, 409, "slug_conflict")
    assert ok(client.get("/v2/objects/projects/attributes/cost"))["api_slug"] == "cost"


# --- updating, archiving --------------------------------------------------------------------


def test_patch_renames_in_place_and_keeps_the_id(client, projects):
    created = create_attribute(client, "objects", "projects", "budget", "number")
    updated = ok(
        client.patch(
            "/v2/objects/projects/attributes/budget",
            json={
                "data": {
                    "api_slug": "total_budget",
                    "title": "Total budget",
                    "description": "All of it",
                    "is_required": True,
                    "is_unique": True,
                }
            },
        )
    )
    assert updated == created | {
        "api_slug": "total_budget",
        "title": "Total budget",
        "description": "All of it",
        "is_required": True,
        "is_unique": True,
    }
    assert_error(client.get("/v2/objects/projects/attributes/budget"), 404, "not_found")
    assert ok(client.get("/v2/objects/projects/attributes/total_budget")) == updated


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", "text"), ("is_multiselect", True), ("relationship", None)],
)
def test_type_multiselect_and_relationship_cannot_change(client, projects, field, value):
    created = create_attribute(client, "objects", "projects", "budget", "number")
    response = client.patch("/v2/objects/projects/attributes/budget", json={"data": {field: value}})
    assert_error(response, 400, "immutable_value", mentions=field)
    assert ok(client.get("/v2/objects/projects/attributes/budget")) == created


def test_patch_names_an_unknown_field_and_refuses_an_empty_payload(client, projects):
    create_attribute(client, "objects", "projects", "budget", "number")
    path = "/v2/objects/projects/attributes/budget"
    assert_error(
        client.patch(path, json={"data": {"colour": "red"}}),
        400,
        "validation_type",
        mentions="colour",
    )
    assert_error(client.patch(path, json={"data": {}}), 400, "validation_type")
    assert_error(
        client.patch(path, json={"data": {"is_archived": "yes"}}),
        400,
        "validation_type",
        mentions="is_archived",
    )


@pytest.mark.parametrize(
    ("slug", "attribute", "change"),
    [
        ("people", "name", {"title": "Full name"}),
        ("people", "email_addresses", {"is_archived": True}),
        ("companies", "domains", {"api_slug": "websites"}),
        ("companies", "categories", {"description": "What they do"}),
        ("deals", "stage", {"is_required": False}),
        (
            "deals",
            "value",
            {"config": {"currency": {"default_currency_code": "EUR", "display_type": "code"}}},
        ),
        ("projects", "record_id", {"title": "ID"}),
    ],
)
def test_system_attributes_refuse_edits(client, projects, slug, attribute, change):
    before = ok(client.get(f"/v2/objects/{slug}/attributes/{attribute}"))
    response = client.patch(f"/v2/objects/{slug}/attributes/{attribute}", json={"data": change})
    assert_error(response, 400, "system_edit_unauthorized", mentions="System attribute")
    assert ok(client.get(f"/v2/objects/{slug}/attributes/{attribute}")) == before


def test_custom_attributes_on_standard_objects_are_editable(client):
    create_attribute(client, "objects", "companies", "tier", "select")
    updated = ok(
        client.patch("/v2/objects/companies/attributes/tier", json={"data": {"title": "Tier!"}})
    )
    assert (updated["title"], updated["is_system_attribute"]) == ("Tier!", False)


def test_archived_attributes_are_hidden_unless_show_archived_and_can_be_restored(client, projects):
    create_attribute(client, "objects", "projects", "budget", "number")
    create_attribute(client, "objects", "projects", "notes")
    path = "/v2/objects/projects/attributes"
    archived = ok(client.patch(f"{path}/budget", json={"data": {"is_archived": True}}))
    assert archived["is_archived"] is True
    assert "budget" not in _slugs(client, path)
    assert "budget" not in _slugs(client, f"{path}?show_archived=false")
    shown = {a["api_slug"]: a for a in ok(client.get(f"{path}?show_archived=true"))}
    assert shown["budget"]["is_archived"] is True
    assert shown["notes"]["is_archived"] is False
    # Still addressable while archived, so it can be restored.
    assert ok(client.get(f"{path}/budget"))["is_archived"] is True
    restored = ok(client.patch(f"{path}/budget", json={"data": {"is_archived": False}}))
    assert restored["is_archived"] is False
    assert "budget" in _slugs(client, path)


def test_paging_counts_only_visible_attributes(client, projects):
    for slug in ("a", "b", "c"):
        create_attribute(client, "objects", "projects", slug)
    ok(client.patch("/v2/objects/projects/attributes/a", json={"data": {"is_archived": True}}))
    path = "/v2/objects/projects/attributes"
    assert _slugs(client, f"{path}?limit=2&offset=3") == ["b", "c"]
    assert _slugs(client, f"{path}?limit=2&offset=3&show_archived=true") == ["a", "b"]


# --- relationships --------------------------------------------------------------------------


def _relationship_body(**relationship: object) -> dict:
    return attribute_body(
        "client",
        "record-reference",
        title="Client",
        relationship={
            "object": "companies",
            "title": "Projects",
            "api_slug": "projects",
            "is_multiselect": True,
        }
        | relationship,
    )


def test_a_relationship_creates_the_reverse_attribute_seen_from_both_sides(client, projects):
    forward = ok(client.post("/v2/objects/projects/attributes", json=_relationship_body()))
    reverse = ok(client.get("/v2/objects/companies/attributes/projects"))
    companies_id, projects_id = _object_id(client, "companies"), projects["id"]["object_id"]
    assert forward["config"]["record_reference"]["allowed_object_ids"] == [companies_id]
    assert reverse["config"]["record_reference"]["allowed_object_ids"] == [projects_id]
    assert (reverse["type"], reverse["title"], reverse["is_multiselect"]) == (
        "record-reference",
        "Projects",
        True,
    )
    assert forward["is_multiselect"] is False
    assert forward["relationship"] == {
        "id": reverse["id"],
        "object_slug": "companies",
        "title": "Projects",
        "api_slug": "projects",
        "is_multiselect": True,
    }
    assert reverse["relationship"] == {
        "id": forward["id"],
        "object_slug": "projects",
        "title": "Client",
        "api_slug": "client",
        "is_multiselect": False,
    }
    assert "projects" in _slugs(client, "/v2/objects/companies/attributes")


def test_renaming_one_side_of_a_relationship_shows_on_the_other(client, projects):
    ok(client.post("/v2/objects/projects/attributes", json=_relationship_body()))
    ok(
        client.patch(
            "/v2/objects/companies/attributes/projects",
            json={"data": {"api_slug": "client_projects", "title": "Client projects"}},
        )
    )
    seen = ok(client.get("/v2/objects/projects/attributes/client"))["relationship"]
    assert (seen["api_slug"], seen["title"]) == ("client_projects", "Client projects")
    ok(client.patch("/v2/objects/projects", json={"data": {"api_slug": "initiatives"}}))
    reverse = ok(client.get("/v2/objects/companies/attributes/client_projects"))
    assert reverse["relationship"]["object_slug"] == "initiatives"


def test_allowed_objects_beside_a_relationship_must_be_only_its_object(client, projects):
    body = _relationship_body()
    body["data"]["config"] = {"record_reference": {"allowed_objects": ["people"]}}
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions="allowed_objects")
    body["data"]["config"] = {"record_reference": {"allowed_objects": ["companies"]}}
    assert ok(client.post("/v2/objects/projects/attributes", json=body))["relationship"]


def test_a_relationship_whose_reverse_slug_is_taken_creates_nothing(client, projects):
    response = client.post(
        "/v2/objects/projects/attributes", json=_relationship_body(api_slug="domains")
    )
    assert_error(response, 409, "slug_conflict")
    assert_error(client.get("/v2/objects/projects/attributes/client"), 404, "not_found")


@pytest.mark.parametrize("missing", ["object", "title", "api_slug", "is_multiselect"])
def test_a_relationship_needs_all_four_fields(client, projects, missing):
    body = _relationship_body()
    del body["data"]["relationship"][missing]
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions=f"relationship.{missing}")


def test_a_relationship_needs_a_record_reference(client, projects):
    body = _relationship_body()
    body["data"]["type"] = "text"
    response = client.post("/v2/objects/projects/attributes", json=body)
    assert_error(response, 400, "validation_type", mentions="record-reference")


# --- lists as the target --------------------------------------------------------------------


def test_list_attributes_belong_to_the_list(client):
    created_list = create_list(client, "key_accounts")
    list_id = created_list["id"]["list_id"]
    priority = create_attribute(client, "lists", "key_accounts", "priority", "select")
    assert priority["id"]["object_id"] == list_id
    assert ok(client.get(f"/v2/lists/{list_id}/attributes/priority")) == priority
    assert _slugs(client, "/v2/lists/key_accounts/attributes") == ["priority"]
    # The parent object does not see its lists' attributes.
    assert "priority" not in _slugs(client, "/v2/objects/companies/attributes")


def test_list_attributes_page_archive_and_restore(client):
    create_list(client, "key_accounts")
    for slug in ("a", "b", "c"):
        create_attribute(client, "lists", "key_accounts", slug)
    path = "/v2/lists/key_accounts/attributes"
    assert _slugs(client, f"{path}?limit=2") == ["a", "b"]
    assert _slugs(client, f"{path}?limit=2&offset=2") == ["c"]
    ok(client.patch(f"{path}/b", json={"data": {"is_archived": True}}))
    assert _slugs(client, path) == ["a", "c"]
    assert _slugs(client, f"{path}?show_archived=true") == ["a", "b", "c"]
    ok(client.patch(f"{path}/b", json={"data": {"is_archived": False}}))
    assert _slugs(client, path) == ["a", "b", "c"]


def test_list_attribute_slugs_conflict_within_the_list_only(client):
    create_list(client, "key_accounts")
    create_list(client, "partners")
    create_attribute(client, "lists", "key_accounts", "priority", "select")
    response = client.post("/v2/lists/key_accounts/attributes", json=attribute_body("priority"))
    assert_error(response, 409, "slug_conflict")
    assert create_attribute(client, "lists", "partners", "priority")["api_slug"] == "priority"
    # The parent object's attribute slugs are a separate namespace.
    assert create_attribute(client, "lists", "partners", "domains")["api_slug"] == "domains"


def test_relationships_are_only_for_object_attributes(client):
    create_list(client, "key_accounts")
    response = client.post("/v2/lists/key_accounts/attributes", json=_relationship_body())
    assert_error(response, 400, "validation_type", mentions="Relationships")
