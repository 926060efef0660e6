"""Select options and statuses: …/attributes/{attribute}/options and …/statuses."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.emulator.conftest import make_client
from tests.emulator.helpers import (
    Pep3333,
    assert_error,
    attribute_body,
    create_attribute,
    create_list,
    create_object,
    ok,
)

OPTIONS = "/v2/objects/projects/attributes/tags/options"
STATUSES = "/v2/objects/projects/attributes/stage/statuses"


@pytest.fixture
def projects(client) -> None:
    """A custom object with a select (`tags`) and a status (`stage`) attribute."""
    create_object(client, "projects", "Project", "Projects")
    create_attribute(client, "objects", "projects", "tags", "select", is_multiselect=True)
    create_attribute(client, "objects", "projects", "stage", "status")


def _add(client, path: str, title: str, **extra: object) -> dict:
    return ok(client.post(path, json={"data": {"title": title, **extra}}))


def _titles(client, path: str) -> list[str]:
    return [c["title"] for c in ok(client.get(path))]


# --- options ----------------------------------------------------------------------------------


def test_create_option_returns_its_composite_id(client, projects):
    tags = ok(client.get("/v2/objects/projects/attributes/tags"))
    option = _add(client, OPTIONS, "Enterprise")
    assert option["title"] == "Enterprise"
    assert option["is_archived"] is False
    assert set(option) == {"id", "title", "is_archived"}
    assert option["id"] == {**tags["id"], "option_id": option["id"]["option_id"]}


def test_options_list_in_creation_order(client, projects):
    assert ok(client.get(OPTIONS)) == []
    for title in ("Gold", "Silver", "Bronze"):
        _add(client, OPTIONS, title)
    assert _titles(client, OPTIONS) == ["Gold", "Silver", "Bronze"]


def test_archived_options_are_hidden_unless_show_archived(client, projects):
    _add(client, OPTIONS, "Gold")
    _add(client, OPTIONS, "Silver")
    archived = ok(client.patch(f"{OPTIONS}/Gold", json={"data": {"is_archived": True}}))
    assert archived["is_archived"] is True
    assert _titles(client, OPTIONS) == ["Silver"]
    assert _titles(client, f"{OPTIONS}?show_archived=false") == ["Silver"]
    everything = ok(client.get(f"{OPTIONS}?show_archived=true"))
    assert [(o["title"], o["is_archived"]) for o in everything] == [
        ("Gold", True),
        ("Silver", False),
    ]


def test_an_archived_option_can_be_restored_by_id(client, projects):
    gold = _add(client, OPTIONS, "Gold")
    option_id = gold["id"]["option_id"]
    ok(client.patch(f"{OPTIONS}/{option_id}", json={"data": {"is_archived": True}}))
    restored = ok(client.patch(f"{OPTIONS}/{option_id}", json={"data": {"is_archived": False}}))
    assert restored == gold
    assert _titles(client, OPTIONS) == ["Gold"]


def test_rename_an_option_by_id(client, projects):
    gold = _add(client, OPTIONS, "Gold")
    renamed = ok(
        client.patch(f"{OPTIONS}/{gold['id']['option_id']}", json={"data": {"title": "Platinum"}})
    )
    assert renamed == gold | {"title": "Platinum"}
    assert _titles(client, OPTIONS) == ["Platinum"]


@pytest.mark.parametrize("title", ["High priority", "Très élevé 🚀", "B2B / B2C", "a/b/c"])
def test_rename_an_option_by_a_title_with_spaces_unicode_or_slashes(emulator, title):
    # The conformance hook matches decoded paths against one-segment templates, so a request
    # whose title holds "/" cannot be checked against the document; its body is checked here.
    with make_client(Pep3333(emulator), check="/" not in title) as client:
        create_object(client, "projects", "Project", "Projects")
        create_attribute(client, "objects", "projects", "tags", "select")
        created = _add(client, OPTIONS, title)
        assert _titles(client, OPTIONS) == [title]
        response = client.patch(
            f"{OPTIONS}/{quote(title, safe='')}", json={"data": {"title": f"{title} (old)"}}
        )
        assert ok(response) == created | {"title": f"{title} (old)"}
        assert _titles(client, OPTIONS) == [f"{title} (old)"]


def test_rename_to_a_taken_title_is_409(client, projects):
    _add(client, OPTIONS, "Gold")
    _add(client, OPTIONS, "Silver")
    response = client.patch(f"{OPTIONS}/Silver", json={"data": {"title": "Gold"}})
    assert_error(response, 409, "slug_conflict", mentions='"Gold"')
    assert _titles(client, OPTIONS) == ["Gold", "Silver"]


def test_renaming_an_option_to_its_own_title_is_not_a_conflict(client, projects):
    _add(client, OPTIONS, "Gold")
    assert ok(client.patch(f"{OPTIONS}/Gold", json={"data": {"title": "Gold"}}))["title"] == "Gold"


def test_a_duplicate_option_title_is_409(client, projects):
    _add(client, OPTIONS, "Gold")
    response = client.post(OPTIONS, json={"data": {"title": "Gold"}})
    assert_error(response, 409, "slug_conflict", mentions="select option")
    assert _titles(client, OPTIONS) == ["Gold"]


def test_a_duplicate_of_an_archived_option_is_still_409(client, projects):
    _add(client, OPTIONS, "Gold")
    ok(client.patch(f"{OPTIONS}/Gold", json={"data": {"is_archived": True}}))
    response = client.post(OPTIONS, json={"data": {"title": "Gold"}})
    assert_error(response, 409, "slug_conflict")
    # The way back is to restore it.
    ok(client.patch(f"{OPTIONS}/Gold", json={"data": {"is_archived": False}}))
    assert _titles(client, OPTIONS) == ["Gold"]


def test_the_same_title_may_exist_on_two_attributes(client, projects):
    create_attribute(client, "objects", "projects", "region", "select")
    _add(client, OPTIONS, "Gold")
    _add(client, "/v2/objects/projects/attributes/region/options", "Gold")


def test_options_on_a_non_select_attribute_are_400(client, projects):
    create_attribute(client, "objects", "projects", "notes")
    path = "/v2/objects/projects/attributes/notes/options"
    message = "not a select attribute"
    assert_error(
        client.post(path, json={"data": {"title": "A"}}), 400, "validation_type", mentions=message
    )
    assert_error(client.get(path), 400, "validation_type", mentions=message)
    # A status attribute has statuses, not options.
    response = client.post(
        "/v2/objects/projects/attributes/stage/options", json={"data": {"title": "A"}}
    )
    assert_error(response, 400, "validation_type", mentions=message)


def test_patching_an_unknown_option_is_400_value_not_found(client, projects):
    _add(client, OPTIONS, "Gold")
    response = client.patch(f"{OPTIONS}/Platinum", json={"data": {"title": "Diamond"}})
    assert_error(response, 400, "value_not_found", mentions="Platinum")
    missing_id = "00000000-0000-4000-8000-000000000000"
    response = client.patch(f"{OPTIONS}/{missing_id}", json={"data": {"is_archived": True}})
    assert_error(response, 400, "value_not_found")


def test_options_of_an_unknown_attribute_are_404(client, projects):
    path = "/v2/objects/projects/attributes/nope/options"
    assert_error(client.get(path), 404, "not_found")
    assert_error(client.post(path, json={"data": {"title": "A"}}), 404, "not_found")
    assert_error(client.patch(f"{path}/A", json={"data": {"title": "B"}}), 404, "not_found")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "A", "color": "red"}, "color"),
        ({"title": "A", "celebration_enabled": True}, "celebration_enabled"),
        ({"title": "A", "is_archived": True}, "is_archived"),
    ],
)
def test_option_create_names_a_bad_field(client, projects, data, field):
    response = client.post(OPTIONS, json={"data": data})
    assert_error(response, 400, "validation_type", mentions=field)
    assert ok(client.get(f"{OPTIONS}?show_archived=true")) == []


def test_option_patch_refuses_an_empty_payload(client, projects):
    _add(client, OPTIONS, "Gold")
    assert_error(client.patch(f"{OPTIONS}/Gold", json={"data": {}}), 400, "validation_type")


def test_options_on_list_attributes(client):
    create_list(client, "key_accounts")
    create_attribute(client, "lists", "key_accounts", "priority", "select")
    path = "/v2/lists/key_accounts/attributes/priority/options"
    for title in ("P0", "P1"):
        _add(client, path, title)
    ok(client.patch(f"{path}/P1", json={"data": {"title": "P2"}}))
    assert _titles(client, path) == ["P0", "P2"]


def test_standard_select_options_are_seeded_and_extendable(client):
    path = "/v2/objects/companies/attributes/categories/options"
    assert {"B2B", "SaaS"} <= set(_titles(client, path))
    _add(client, path, "Climate")
    assert _titles(client, path)[-1] == "Climate"


# --- statuses ---------------------------------------------------------------------------------


def test_create_status_with_defaults(client, projects):
    stage = ok(client.get("/v2/objects/projects/attributes/stage"))
    status = _add(client, STATUSES, "Planned")
    assert status == {
        "id": {**stage["id"], "status_id": status["id"]["status_id"]},
        "title": "Planned",
        "is_archived": False,
        "celebration_enabled": False,
        "target_time_in_status": None,
    }


def test_create_status_with_target_time_and_celebration(client, projects):
    status = _add(
        client, STATUSES, "Done", celebration_enabled=True, target_time_in_status="P0Y0M1DT0H0M0S"
    )
    assert status["celebration_enabled"] is True
    assert status["target_time_in_status"] == "P0Y0M1DT0H0M0S"
    assert (
        _add(client, STATUSES, "Active", target_time_in_status="P14D")["target_time_in_status"]
        == "P14D"
    )


@pytest.mark.parametrize("duration", ["14 days", "P", "PT", "14D", "P1.5D", 14])
def test_target_time_in_status_must_be_an_iso_duration(client, projects, duration):
    response = client.post(
        STATUSES, json={"data": {"title": "Active", "target_time_in_status": duration}}
    )
    assert_error(response, 400, "validation_type", mentions="target_time_in_status")
    assert ok(client.get(f"{STATUSES}?show_archived=true")) == []


def test_patch_status_fields_by_title_and_clear_the_target_time(client, projects):
    _add(client, STATUSES, "Active", target_time_in_status="P14D")
    updated = ok(
        client.patch(
            f"{STATUSES}/Active",
            json={"data": {"celebration_enabled": True, "target_time_in_status": "PT12H"}},
        )
    )
    assert (updated["celebration_enabled"], updated["target_time_in_status"]) == (True, "PT12H")
    cleared = ok(client.patch(f"{STATUSES}/Active", json={"data": {"target_time_in_status": None}}))
    assert cleared["target_time_in_status"] is None
    response = client.patch(f"{STATUSES}/Active", json={"data": {"target_time_in_status": "soon"}})
    assert_error(response, 400, "validation_type", mentions="target_time_in_status")
    response = client.patch(f"{STATUSES}/Active", json={"data": {"celebration_enabled": "yes"}})
    assert_error(response, 400, "validation_type", mentions="celebration_enabled")


def test_statuses_archive_restore_and_rename_by_id(client, projects):
    planned = _add(client, STATUSES, "Planned")
    _add(client, STATUSES, "Active")
    status_id = planned["id"]["status_id"]
    ok(client.patch(f"{STATUSES}/{status_id}", json={"data": {"is_archived": True}}))
    assert _titles(client, STATUSES) == ["Active"]
    assert _titles(client, f"{STATUSES}?show_archived=true") == ["Planned", "Active"]
    restored = ok(
        client.patch(
            f"{STATUSES}/{status_id}", json={"data": {"is_archived": False, "title": "Backlog"}}
        )
    )
    assert restored == planned | {"title": "Backlog"}
    assert _titles(client, STATUSES) == ["Backlog", "Active"]


def test_duplicate_and_conflicting_status_titles_are_409(client, projects):
    _add(client, STATUSES, "Planned")
    _add(client, STATUSES, "Active")
    response = client.post(STATUSES, json={"data": {"title": "Planned"}})
    assert_error(response, 409, "slug_conflict", mentions="status")
    ok(client.patch(f"{STATUSES}/Planned", json={"data": {"is_archived": True}}))
    assert_error(client.post(STATUSES, json={"data": {"title": "Planned"}}), 409, "slug_conflict")
    response = client.patch(f"{STATUSES}/Active", json={"data": {"title": "Planned"}})
    assert_error(response, 409, "slug_conflict")


def test_statuses_on_a_non_status_attribute_are_400(client, projects):
    response = client.post(
        "/v2/objects/projects/attributes/tags/statuses", json={"data": {"title": "A"}}
    )
    assert_error(response, 400, "validation_type", mentions="not a status attribute")


def test_patching_an_unknown_status_is_400_value_not_found(client, projects):
    response = client.patch(f"{STATUSES}/Nope", json={"data": {"title": "Yes"}})
    assert_error(response, 400, "value_not_found", mentions="Nope")


def test_deals_stage_is_seeded_with_attios_default_statuses(client):
    path = "/v2/objects/deals/attributes/stage/statuses"
    statuses = ok(client.get(path))
    assert [s["title"] for s in statuses] == ["Lead", "In Progress", "Won 🎉", "Lost"]
    assert [s["celebration_enabled"] for s in statuses] == [False, False, True, False]
    stage = ok(client.get("/v2/objects/deals/attributes/stage"))
    assert {s["id"]["attribute_id"] for s in statuses} == {stage["id"]["attribute_id"]}


def test_deals_stage_statuses_are_editable_through_the_statuses_api(emulator):
    path = "/v2/objects/deals/attributes/stage/statuses"
    with make_client(Pep3333(emulator)) as client:
        won = ok(client.patch(f"{path}/{quote('Won 🎉')}", json={"data": {"title": "Won"}}))
        assert won["title"] == "Won"
        ok(client.patch(f"{path}/Lost", json={"data": {"is_archived": True}}))
        _add(client, path, "Qualified", target_time_in_status="P7D")
        assert _titles(client, path) == ["Lead", "In Progress", "Won", "Qualified"]


def test_status_attributes_on_lists(client):
    create_list(client, "pipeline")
    ok(client.post("/v2/lists/pipeline/attributes", json=attribute_body("stage", "status")))
    path = "/v2/lists/pipeline/attributes/stage/statuses"
    _add(client, path, "Contacted")
    assert _titles(client, path) == ["Contacted"]
