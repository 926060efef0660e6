"""Managed fields as plain data: canonical durations, Refs as `{"ref": …}`, order-free sets."""

from __future__ import annotations

import pytest

from schemactl import model as m
from schemactl.address import Address
from schemactl.plan.fields import canonical_duration, fields_of, plain

A = Address.parse


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # The design's example: all three are fourteen days.
        ("P14D", "P14D"),
        ("P2W", "P14D"),
        ("P0Y0M14DT0H0M0S", "P14D"),
        # Weeks fold into days, and Attio's long form drops its zeros.
        ("P1W3D", "P10D"),
        ("P0Y0M1DT0H0M0S", "P1D"),
        ("P1Y2M3DT4H5M6S", "P1Y2M3DT4H5M6S"),
        # Exact equivalences fold: months into years, seconds and minutes into hours.
        ("P12M", "P1Y"),
        ("P1Y14M", "P2Y2M"),
        ("PT90M", "PT1H30M"),
        ("PT1H30M", "PT1H30M"),
        ("PT3600S", "PT1H"),
        ("PT60.0S", "PT1M"),
        # Large second counts are kept exactly, never rounded to six digits.
        ("PT1234567S", "PT342H56M7S"),
        # Days and hours are not the same unit: a calendar day is not always 24 hours.
        ("PT36H", "PT36H"),
        ("P1DT12H", "P1DT12H"),
        ("PT24H", "PT24H"),
        # Fractions of a second survive without trailing zeros.
        ("PT1.5S", "PT1.5S"),
        ("PT0.50S", "PT0.5S"),
        ("PT59.999S", "PT59.999S"),
        # Every zero duration is the same duration.
        ("P0D", "PT0S"),
        ("PT0S", "PT0S"),
        ("P0Y0M0DT0H0M0S", "PT0S"),
        ("PT0.000S", "PT0S"),
        # Text that names no duration is kept as it is, so a difference still shows.
        ("P", "P"),
        ("PT", "PT"),
        ("14 days", "14 days"),
        ("", ""),
        ("p14d", "p14d"),
        (None, None),
    ],
)
def test_canonical_duration(text, canonical):
    assert canonical_duration(text) == canonical


def test_equal_durations_written_differently_are_equal():
    written = ["P14D", "P2W", "P0Y0M14DT0H0M0S", "P1W7D", "P0Y0M2W"]
    assert {canonical_duration(t) for t in written} == {"P14D"}


def test_different_durations_stay_different():
    assert canonical_duration("PT1234567S") != canonical_duration("PT1234568S")
    assert canonical_duration("P1D") != canonical_duration("PT24H")
    assert canonical_duration("P1M") != canonical_duration("P30D")


def test_plain_turns_a_ref_into_its_address():
    assert plain(m.Ref(A("lists/key_accounts"))) == {"ref": "lists/key_accounts"}


def test_plain_keeps_a_verbatim_address_tail():
    ref = m.Ref(A("objects/deals/attributes/stage/statuses/Won / Lost"))
    assert plain(ref) == {"ref": "objects/deals/attributes/stage/statuses/Won / Lost"}


def test_plain_reaches_refs_nested_in_dicts_lists_and_tuples():
    value = {
        "$and": [
            {"field": "id.list_id", "operator": "equals", "value": m.Ref(A("lists/a"))},
            {"$or": ({"value": m.Ref(A("objects/b"))}, {"value": "literal"})},
        ]
    }
    assert plain(value) == {
        "$and": [
            {"field": "id.list_id", "operator": "equals", "value": {"ref": "lists/a"}},
            {"$or": [{"value": {"ref": "objects/b"}}, {"value": "literal"}]},
        ]
    }


@pytest.mark.parametrize("value", [None, "text", 3, 2.5, True, {"ref": "lists/a"}, []])
def test_plain_leaves_plain_data_alone(value):
    assert plain(value) == value


def test_plain_does_not_mutate_its_input():
    value = {"a": [m.Ref(A("lists/a"))]}
    plain(value)
    assert value == {"a": [m.Ref(A("lists/a"))]}


def test_object_fields():
    item = m.Object("projects", "Project", "Projects", renamed_from="old", id="o-1")
    assert fields_of(item) == {
        "api_slug": "projects",
        "singular_noun": "Project",
        "plural_noun": "Projects",
    }


def test_attribute_fields_sort_allowed_objects_and_spell_out_nested_config():
    item = m.Attribute(
        api_slug="client",
        title="Client",
        type="record-reference",
        allowed_objects=("people", "companies"),
        relationship=m.Relationship("companies", "Projects", "projects", True),
        currency=m.CurrencyConfig("USD", "symbol"),
        default_value={"type": "static", "template": m.Ref(A("objects/companies"))},
        options=(m.SelectOption("ignored"),),
        is_archived=True,
        renamed_from="customer",
        id="a-1",
    )
    assert fields_of(item) == {
        "api_slug": "client",
        "title": "Client",
        "description": None,
        "type": "record-reference",
        "is_required": False,
        "is_unique": False,
        "is_multiselect": False,
        "default_value": {"type": "static", "template": {"ref": "objects/companies"}},
        "currency": {"default_currency_code": "USD", "display_type": "symbol"},
        "allowed_objects": ["companies", "people"],
        "relationship": {
            "object": "companies",
            "title": "Projects",
            "api_slug": "projects",
            "is_multiselect": True,
        },
    }


def test_option_and_status_fields():
    assert fields_of(m.SelectOption("Gold", is_archived=True, renamed_from="G", id="x")) == {
        "title": "Gold"
    }
    assert fields_of(m.Status("Active", True, "P0Y0M14DT0H0M0S", id="s")) == {
        "title": "Active",
        "celebration_enabled": True,
        "target_time_in_status": "P14D",
    }


def test_list_fields_sort_member_access_by_member():
    item = m.List(
        "key_accounts",
        "Key Accounts",
        "companies",
        workspace_access="read-only",
        workspace_member_access=(m.MemberAccess("m2", "full-access"), m.MemberAccess("m1", "read")),
    )
    assert fields_of(item) == {
        "api_slug": "key_accounts",
        "name": "Key Accounts",
        "parent_object": "companies",
        "workspace_access": "read-only",
        "workspace_member_access": [
            {"workspace_member_id": "m1", "level": "read"},
            {"workspace_member_id": "m2", "level": "full-access"},
        ],
    }


def test_webhook_fields_compare_subscriptions_as_a_set():
    first = m.Subscription("record.created")
    second = m.Subscription("list-entry.created", {"value": m.Ref(A("lists/a"))})
    one = m.Webhook("https://h/x", (first, second), status="active", id="w")
    other = m.Webhook("https://h/x", (second, first))
    assert fields_of(one) == fields_of(other)
    assert fields_of(one) == {
        "target_url": "https://h/x",
        "subscriptions": [
            {"event_type": "list-entry.created", "filter": {"value": {"ref": "lists/a"}}},
            {"event_type": "record.created", "filter": None},
        ],
    }
