"""Objects: GET/POST /v2/objects, GET/PATCH (and PUT) /v2/objects/{object}."""

from __future__ import annotations

import re

import pytest

from schemactl.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import make_client
from tests.emulator.helpers import assert_error, create_object, ok

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
STANDARD = ["people", "companies", "deals", "users", "workspaces"]


def _body(**data: object) -> dict[str, object]:
    return {"data": data}


def test_a_new_workspace_lists_the_standard_objects(client):
    objects = ok(client.get("/v2/objects"))
    assert [o["api_slug"] for o in objects] == STANDARD
    people = objects[0]
    assert (people["singular_noun"], people["plural_noun"]) == ("Person", "People")
    assert set(people["id"]) == {"workspace_id", "object_id"}
    assert UUID.match(people["id"]["object_id"])
    assert TIMESTAMP.match(people["created_at"])
    # One workspace: every id carries the same workspace_id.
    assert len({o["id"]["workspace_id"] for o in objects}) == 1


def test_optional_standard_objects_can_be_left_out():
    app = Emulator(EmulatorConfig(enable_optional_objects=False))
    try:
        with make_client(app) as http:
            assert [o["api_slug"] for o in ok(http.get("/v2/objects"))] == ["people", "companies"]
            assert_error(http.get("/v2/objects/deals"), 404, "not_found")
            # No attribute refers to an object that is not there.
            present = {o["id"]["object_id"] for o in ok(http.get("/v2/objects"))}
            for slug in ("people", "companies"):
                for attribute in ok(http.get(f"/v2/objects/{slug}/attributes")):
                    allowed = attribute["config"]["record_reference"]["allowed_object_ids"]
                    assert set(allowed or ()) <= present, attribute["api_slug"]
            team = ok(http.get("/v2/objects/companies/attributes/team"))
            assert team["relationship"]["object_slug"] == "people"
    finally:
        app.close()


def test_create_returns_200_and_the_object_is_readable_by_slug_and_id(client):
    created = create_object(client, "projects", "Project", "Projects")
    assert created["api_slug"] == "projects"
    assert (created["singular_noun"], created["plural_noun"]) == ("Project", "Projects")
    assert UUID.match(created["id"]["object_id"])
    assert TIMESTAMP.match(created["created_at"])
    assert ok(client.get("/v2/objects/projects")) == created
    assert ok(client.get(f"/v2/objects/{created['id']['object_id']}")) == created
    assert [o["api_slug"] for o in ok(client.get("/v2/objects"))] == [*STANDARD, "projects"]


def test_a_new_object_starts_with_the_common_system_attributes(client):
    created = create_object(client, "projects")
    attributes = ok(client.get("/v2/objects/projects/attributes"))
    assert [(a["api_slug"], a["type"]) for a in attributes] == [
        ("record_id", "text"),
        ("created_at", "timestamp"),
        ("created_by", "actor-reference"),
    ]
    assert all(a["is_system_attribute"] and not a["is_writable"] for a in attributes)
    assert {a["id"]["object_id"] for a in attributes} == {created["id"]["object_id"]}


def test_unknown_object_is_404_not_found(client):
    assert_error(client.get("/v2/objects/nope"), 404, "not_found", mentions='"nope"')
    missing_id = "00000000-0000-4000-8000-000000000000"
    assert_error(client.get(f"/v2/objects/{missing_id}"), 404, "not_found")
    assert_error(client.patch("/v2/objects/nope", json=_body(singular_noun="X")), 404, "not_found")


@pytest.mark.parametrize("missing", ["api_slug", "singular_noun", "plural_noun"])
def test_create_names_a_missing_field(client, missing):
    data = {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"}
    del data[missing]
    response = client.post("/v2/objects", json={"data": data})
    assert_error(response, 400, "validation_type", mentions=missing)


def test_create_names_an_unknown_field(client):
    response = client.post(
        "/v2/objects",
        json=_body(api_slug="projects", singular_noun="P", plural_noun="Ps", icon="rocket"),
    )
    assert_error(response, 400, "validation_type", mentions="icon")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_slug", "Has Spaces"),
        ("api_slug", 7),
        ("api_slug", ""),
        ("singular_noun", ""),
        ("plural_noun", None),
        ("plural_noun", ["Projects"]),
    ],
)
def test_create_refuses_bad_values_naming_the_field(client, field, value):
    data = {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"}
    response = client.post("/v2/objects", json={"data": data | {field: value}})
    assert_error(response, 400, "validation_type", mentions=field)
    assert_error(client.get("/v2/objects/projects"), 404, "not_found")


def test_create_requires_the_data_wrapper(client):
    bare = {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"}
    assert_error(client.post("/v2/objects", json=bare), 400, "validation_type", mentions="data")


@pytest.mark.parametrize(
    ("slug", "singular", "plural"),
    [
        ("people", "Human", "Humans"),  # a standard object's slug
        ("projects", "Project", "Projects"),  # the same object twice
        ("initiatives", "Project", "Initiatives"),  # a noun already taken
        ("initiatives", "Initiative", "People"),  # a standard object's noun
    ],
)
def test_create_with_a_taken_slug_or_noun_is_409(client, slug, singular, plural):
    create_object(client, "projects", "Project", "Projects")
    response = client.post(
        "/v2/objects",
        json=_body(api_slug=slug, singular_noun=singular, plural_noun=plural),
    )
    assert_error(response, 409, "slug_conflict")
    assert len(ok(client.get("/v2/objects"))) == len(STANDARD) + 1


def test_patch_renames_the_slug_in_place(client):
    created = create_object(client, "projects", "Project", "Projects")
    updated = ok(client.patch("/v2/objects/projects", json=_body(api_slug="initiatives")))
    assert updated["id"] == created["id"]
    assert updated["api_slug"] == "initiatives"
    assert updated["created_at"] == created["created_at"]
    assert_error(client.get("/v2/objects/projects"), 404, "not_found")
    assert ok(client.get("/v2/objects/initiatives")) == updated


def test_patch_by_id_changes_only_the_fields_given(client):
    created = create_object(client, "projects", "Project", "Projects")
    object_id = created["id"]["object_id"]
    updated = ok(client.patch(f"/v2/objects/{object_id}", json=_body(plural_noun="Projecten")))
    assert updated == created | {"plural_noun": "Projecten"}


def test_patch_to_the_current_values_is_not_a_conflict(client):
    create_object(client, "projects", "Project", "Projects")
    updated = ok(
        client.patch(
            "/v2/objects/projects",
            json=_body(api_slug="projects", singular_noun="Project", plural_noun="Projects"),
        )
    )
    assert updated["api_slug"] == "projects"


def test_patch_to_another_objects_slug_is_409(client):
    create_object(client, "projects", "Project", "Projects")
    create_object(client, "tickets", "Ticket", "Tickets")
    response = client.patch("/v2/objects/tickets", json=_body(api_slug="projects"))
    assert_error(response, 409, "slug_conflict")
    assert ok(client.get("/v2/objects/tickets"))["api_slug"] == "tickets"


def test_patch_with_an_empty_payload_is_400(client):
    create_object(client, "projects")
    assert_error(client.patch("/v2/objects/projects", json={"data": {}}), 400, "validation_type")


def test_patch_names_an_unknown_field(client):
    create_object(client, "projects")
    response = client.patch("/v2/objects/projects", json=_body(description="x"))
    assert_error(response, 400, "validation_type", mentions="description")


@pytest.mark.parametrize("slug", STANDARD)
def test_standard_objects_refuse_edits(client, slug):
    response = client.patch(f"/v2/objects/{slug}", json=_body(singular_noun="Renamed"))
    assert_error(response, 400, "system_edit_unauthorized")
    assert ok(client.get(f"/v2/objects/{slug}"))["singular_noun"] != "Renamed"


def test_put_is_accepted_as_a_synonym_of_patch(emulator):
    # PUT is the simplified reference's verb; Attio's document has only PATCH, so this
    # response cannot be checked against it.
    with make_client(emulator, check=False) as http:
        create_object(http, "projects", "Project", "Projects")
        response = http.put("/v2/objects/projects", json=_body(singular_noun="Initiative"))
        assert ok(response)["singular_noun"] == "Initiative"
        assert ok(http.get("/v2/objects/projects"))["singular_noun"] == "Initiative"
        assert_error(
            http.put("/v2/objects/people", json=_body(singular_noun="Human")),
            400,
            "system_edit_unauthorized",
        )
