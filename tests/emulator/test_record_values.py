"""Record values of every attribute type: Attio's input forms, validation, and read shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_attribute, create_object, ok

BASE = "/v2/objects/things/records"
STAMP_KEYS = {"active_from", "active_until", "created_by_actor", "attribute_type"}


@pytest.fixture
def things(client: httpx.Client) -> httpx.Client:
    """A custom object with an attribute of every type a workspace can create."""
    create_object(client, "things")
    for slug, kind, extra in (
        ("label", "text", {}),
        ("size", "number", {}),
        ("done", "checkbox", {}),
        ("price", "currency", {"config": _currency("EUR")}),
        ("due", "date", {}),
        ("seen_at", "timestamp", {}),
        ("stars", "rating", {}),
        ("colour", "select", {}),
        ("phase", "status", {}),
        ("owner", "actor-reference", {}),
        ("place", "location", {}),
        ("site", "domain", {}),
        ("mail", "email-address", {}),
        ("phone", "phone-number", {}),
        ("vendor", "record-reference", {"config": _allowed("companies")}),
        ("contact", "record-reference", {"config": _allowed("people")}),
        (
            "related",
            "record-reference",
            {"config": _allowed("companies", "things"), "is_multiselect": True},
        ),
    ):
        create_attribute(client, "objects", "things", slug, kind, **extra)
    for title in ("red", "blue", "old"):
        ok(client.post("/v2/objects/things/attributes/colour/options", json=_title(title)))
    _archive(client, "/v2/objects/things/attributes/colour/options/old")
    for title in ("Open", "Done", "Gone"):
        ok(client.post("/v2/objects/things/attributes/phase/statuses", json=_title(title)))
    _archive(client, "/v2/objects/things/attributes/phase/statuses/Gone")
    return client


def _currency(code: str) -> dict[str, Any]:
    return {"currency": {"default_currency_code": code, "display_type": "symbol"}}


def _allowed(*objects: str) -> dict[str, Any]:
    return {"record_reference": {"allowed_objects": list(objects)}}


def _title(title: str) -> dict[str, Any]:
    return {"data": {"title": title}}


def _archive(client: httpx.Client, path: str) -> None:
    ok(client.patch(path, json={"data": {"is_archived": True}}))


def _create(client: httpx.Client, values: dict[str, Any], base: str = BASE) -> httpx.Response:
    return client.post(base, json={"data": {"values": values}})


def _written(client: httpx.Client, slug: str, given: Any) -> list[dict[str, Any]]:
    """The values of `slug` after a create, checked to read back the same through GET, with the
    attribute's type and the stamps of a fresh value; returned without the stamps."""
    record = ok(_create(client, {slug: given}))
    fetched = ok(client.get(f"{BASE}/{record['id']['record_id']}"))
    assert fetched["values"][slug] == record["values"][slug]
    kind = ok(client.get(f"/v2/objects/things/attributes/{slug}"))["type"]
    for value in record["values"][slug]:
        assert value["attribute_type"] == kind
        assert value["active_until"] is None
        assert value["created_by_actor"]["type"] == "api-token"
    return [
        {k: v for k, v in value.items() if k not in STAMP_KEYS} for value in record["values"][slug]
    ]


def _company(client: httpx.Client, domain: str) -> str:
    created = ok(_create(client, {"domains": [domain]}, "/v2/objects/companies/records"))
    return created["id"]["record_id"]


def _person(client: httpx.Client, email: str, **values: Any) -> str:
    body = {"email_addresses": [email], **values}
    return ok(_create(client, body, "/v2/objects/people/records"))["id"]["record_id"]


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "given", "expected"),
    [
        ("label", "hello", {"value": "hello"}),
        ("label", {"value": "hello"}, {"value": "hello"}),
        ("label", ["hello"], {"value": "hello"}),
        ("size", 3.25, {"value": 3.25}),
        ("size", {"value": 7}, {"value": 7}),
        ("done", True, {"value": True}),
        ("done", "false", {"value": False}),
        ("done", {"value": True}, {"value": True}),
        ("price", 12.5, {"currency_value": 12.5, "currency_code": "EUR"}),
        ("price", "4.99", {"currency_value": 4.99, "currency_code": "EUR"}),
        ("price", {"currency_value": 3}, {"currency_value": 3, "currency_code": "EUR"}),
        ("price", {"amount": 5, "currency": "EUR"}, {"currency_value": 5, "currency_code": "EUR"}),
        ("due", "2024-02-29", {"value": "2024-02-29"}),
        ("due", "2023", {"value": "2023-01-01"}),
        ("due", "2023-07", {"value": "2023-07-01"}),
        ("due", "2023-01-02T13:00", {"value": "2023-01-02"}),
        ("due", "2023-01-02T23:00:00-10:00", {"value": "2023-01-03"}),
        ("due", {"value": "2004-07-29"}, {"value": "2004-07-29"}),
        ("seen_at", "2023", {"value": "2023-01-01T00:00:00.000000000Z"}),
        ("seen_at", "2023-01-02T13:00", {"value": "2023-01-02T13:00:00.000000000Z"}),
        ("seen_at", "2023-01-02T15:00:00.5+02:00", {"value": "2023-01-02T13:00:00.500000000Z"}),
        (
            "seen_at",
            {"value": "2023-11-24T15:34:07.111222333Z"},
            {"value": "2023-11-24T15:34:07.111222333Z"},
        ),
        ("stars", 0, {"value": 0}),
        ("stars", 5, {"value": 5}),
        ("stars", {"value": 3}, {"value": 3}),
        (
            "site",
            "https://WWW.Acme.co.uk/about?x=1",
            {"domain": "www.acme.co.uk", "root_domain": "acme.co.uk"},
        ),
        (
            "site",
            {"domain": "app.attio.com"},
            {"domain": "app.attio.com", "root_domain": "attio.com"},
        ),
        (
            "mail",
            "Jane.Doe@Mail.Example.com",
            {
                "original_email_address": "Jane.Doe@Mail.Example.com",
                "email_address": "jane.doe@mail.example.com",
                "email_domain": "mail.example.com",
                "email_root_domain": "example.com",
                "email_local_specifier": "jane.doe",
            },
        ),
        (
            "mail",
            {"email_address": "a@b.io"},
            {
                "original_email_address": "a@b.io",
                "email_address": "a@b.io",
                "email_domain": "b.io",
                "email_root_domain": "b.io",
                "email_local_specifier": "a",
            },
        ),
        (
            "phone",
            "+44 7777 777-777",
            {
                "original_phone_number": "+44 7777 777-777",
                "country_code": "GB",
                "phone_number": "+447777777777",
            },
        ),
        (
            "phone",
            {"original_phone_number": "07777 777777", "country_code": "GB"},
            {
                "original_phone_number": "07777 777777",
                "country_code": "GB",
                "phone_number": "+447777777777",
            },
        ),
        (
            "phone",
            {"original_phone_number": "+1 (555) 867-5309", "country_code": None},
            {
                "original_phone_number": "+1 (555) 867-5309",
                "country_code": "US",
                "phone_number": "+15558675309",
            },
        ),
        (
            "phone",
            {"original_phone_number": "+1 555 867 5309", "country_code": "CA"},
            {
                "original_phone_number": "+1 555 867 5309",
                "country_code": "CA",
                "phone_number": "+15558675309",
            },
        ),
    ],
)
def test_scalar_and_structured_values_round_trip(things, slug, given, expected):
    assert _written(things, slug, given) == [expected]


_NO_PLACE = dict.fromkeys(
    "line_1 line_2 line_3 line_4 locality region postcode country_code latitude longitude".split()
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "1 Infinite Loop, Cupertino, CA, 95014, US",
            {
                "line_1": "1 Infinite Loop",
                "locality": "Cupertino",
                "region": "CA",
                "postcode": "95014",
                "country_code": "US",
            },
        ),
        ("Berlin", {"locality": "Berlin"}),
        ("Paris, FR", {"locality": "Paris", "country_code": "FR"}),
        (
            {**_NO_PLACE, "line_1": "1 Main St", "country_code": "gb", "latitude": 51.5},
            {"line_1": "1 Main St", "country_code": "GB", "latitude": "51.5"},
        ),
    ],
)
def test_location_from_a_string_or_the_full_object(things, given, expected):
    assert _written(things, "place", given) == [{**_NO_PLACE, **expected}]


def test_select_and_status_by_title_id_or_object(things):
    red = next(
        o
        for o in ok(things.get("/v2/objects/things/attributes/colour/options"))
        if o["title"] == "red"
    )
    open_ = next(
        s
        for s in ok(things.get("/v2/objects/things/attributes/phase/statuses"))
        if s["title"] == "Open"
    )
    for given in (
        "red",
        red["id"]["option_id"],
        {"option": "red"},
        {"option": red["id"]["option_id"]},
    ):
        assert _written(things, "colour", given) == [{"option": red}]
    for given in ("Open", open_["id"]["status_id"], {"status": "Open"}):
        assert _written(things, "phase", given) == [{"status": open_}]


def test_renamed_option_shows_its_new_title(things):
    record = ok(_create(things, {"colour": "red"}))
    ok(things.patch("/v2/objects/things/attributes/colour/options/red", json=_title("crimson")))
    fetched = ok(things.get(f"{BASE}/{record['id']['record_id']}"))
    assert fetched["values"]["colour"][0]["option"]["title"] == "crimson"


def test_actor_reference_by_email_or_member_id(things):
    member = ok(things.get("/v2/workspace_members"))[0]
    member_id = member["id"]["workspace_member_id"]
    expected = [{"referenced_actor_type": "workspace-member", "referenced_actor_id": member_id}]
    for given in (
        member["email_address"].upper(),
        {"workspace_member_email_address": member["email_address"]},
        {"referenced_actor_type": "workspace-member", "referenced_actor_id": member_id},
    ):
        assert _written(things, "owner", given) == expected


def test_personal_name_from_a_string_or_the_object(client):
    cases = [
        ("Smith, John", ("John", "Smith", "John Smith")),
        ("Cher", ("Cher", "", "Cher")),
        ("Doe, Jane, Mary", ("Jane, Mary", "Doe", "Jane, Mary Doe")),
        (
            {"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada King"},
            ("Ada", "Lovelace", "Ada King"),
        ),
    ]
    for index, (given, (first, last, full)) in enumerate(cases):
        person = _person(client, f"p{index}@example.com", name=given)
        [name] = ok(client.get(f"/v2/objects/people/records/{person}"))["values"]["name"]
        assert (name["first_name"], name["last_name"], name["full_name"]) == (first, last, full)
        assert name["attribute_type"] == "personal-name"


def test_record_reference_forms(things):
    acme = _company(things, "acme.com")
    jane = _person(things, "jane@acme.com")
    to_acme = {"target_object": "companies", "target_record_id": acme}
    to_jane = {"target_object": "people", "target_record_id": jane}
    for given in (
        to_acme,
        {"target_object": "companies", "domains": [{"domain": "acme.com"}]},
        {"target_object": "companies", "domains": "https://acme.com/pricing"},
        "acme.com",
        {"record_id": acme},
        {"target_record_id": acme},
    ):
        assert _written(things, "vendor", given) == [to_acme]
    for given in (
        "JANE@acme.com",
        {"target_object": "people", "email_addresses": ["jane@acme.com"]},
    ):
        assert _written(things, "contact", given) == [to_jane]
    thing = ok(_create(things, {"label": "x"}))["id"]["record_id"]
    to_thing = {"target_object": "things", "target_record_id": thing}
    assert _written(things, "related", [to_acme, to_thing]) == [to_acme, to_thing]


def test_references_show_the_target_objects_current_slug(things):
    thing = ok(_create(things, {"label": "x"}))["id"]["record_id"]
    record = ok(
        _create(things, {"related": {"target_object": "things", "target_record_id": thing}})
    )
    ok(things.patch("/v2/objects/things", json={"data": {"api_slug": "gadgets"}}))
    fetched = ok(things.get(f"/v2/objects/gadgets/records/{record['id']['record_id']}"))
    assert fetched["values"]["related"][0]["target_object"] == "gadgets"


def test_references_to_a_deleted_record_disappear(things):
    acme = _company(things, "acme.com")
    record = ok(_create(things, {"vendor": "acme.com"}))["id"]["record_id"]
    assert things.delete(f"/v2/objects/companies/records/{acme}").status_code == 200
    assert ok(things.get(f"{BASE}/{record}"))["values"]["vendor"] == []
    listed = ok(things.get(f"{BASE}/{record}/attributes/vendor/values?show_historic=true"))
    assert listed == []


def test_multiselect_values_in_order_without_duplicates(client):
    person = ok(
        _create(
            client,
            {
                "email_addresses": ["b@x.com", "a@x.com", "B@X.com"],
                "phone_numbers": [
                    "+15558675309",
                    {"original_phone_number": "+447777777777", "country_code": None},
                ],
            },
            "/v2/objects/people/records",
        )
    )
    assert [v["email_address"] for v in person["values"]["email_addresses"]] == [
        "b@x.com",
        "a@x.com",
    ]
    assert [v["country_code"] for v in person["values"]["phone_numbers"]] == ["US", "GB"]


# --- relationships -------------------------------------------------------------------------------


def _values(client: httpx.Client, object_slug: str, record_id: str, slug: str) -> list[str]:
    record = ok(client.get(f"/v2/objects/{object_slug}/records/{record_id}"))
    return [v["target_record_id"] for v in record["values"][slug]]


def test_relationship_attributes_stay_in_step_on_both_sides(client):
    acme, globex = _company(client, "acme.com"), _company(client, "globex.com")
    jane = _person(client, "jane@x.com", company="acme.com")
    assert _values(client, "companies", acme, "team") == [jane]
    # Moving Jane: the old company's team loses her, the new one's gains her.
    ok(
        client.patch(
            f"/v2/objects/people/records/{jane}",
            json={"data": {"values": {"company": "globex.com"}}},
        )
    )
    assert _values(client, "companies", acme, "team") == []
    assert _values(client, "companies", globex, "team") == [jane]
    # From the other side: adding John to Acme's team sets John's company.
    john = _person(client, "john@x.com")
    ok(
        client.patch(
            f"/v2/objects/companies/records/{acme}",
            json={
                "data": {
                    "values": {"team": [{"target_object": "people", "target_record_id": john}]}
                }
            },
        )
    )
    assert _values(client, "people", john, "company") == [acme]
    # Jane joins Acme's team: her single company moves there, so Globex's team loses her.
    ok(
        client.patch(
            f"/v2/objects/companies/records/{acme}",
            json={"data": {"values": {"team": ["jane@x.com"]}}},
        )
    )
    assert _values(client, "people", jane, "company") == [acme]
    assert _values(client, "companies", globex, "team") == []
    assert sorted(_values(client, "companies", acme, "team")) == sorted([jane, john])
    # Clearing the team clears both people's company.
    ok(
        client.put(
            f"/v2/objects/companies/records/{acme}", json={"data": {"values": {"team": None}}}
        )
    )
    assert (
        _values(client, "people", jane, "company")
        == _values(client, "people", john, "company")
        == []
    )


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "mentions"),
    [
        ({"label": 5}, "string"),
        ({"label": {"text": "x"}}, "text"),
        ({"size": "5"}, "number"),
        ({"done": "yes"}, "boolean"),
        ({"price": "ten"}, "ten"),
        ({"price": {"currency_value": 1, "currency_code": "USD"}}, "EUR"),
        ({"due": "01/03/2026"}, "ISO 8601"),
        ({"due": "2026-02-30"}, "calendar date"),
        ({"seen_at": "yesterday"}, "ISO 8601"),
        ({"seen_at": "2026-01-01T25:00"}, "calendar date"),
        ({"stars": 6}, "0 to 5"),
        ({"stars": -1}, "0 to 5"),
        ({"stars": 2.5}, "0 to 5"),
        ({"stars": True}, "0 to 5"),
        ({"colour": "old"}, "archived"),
        ({"phase": "Gone"}, "archived"),
        ({"colour": ["red", "blue"]}, "single value"),
        (
            {"owner": {"referenced_actor_type": "api-token", "referenced_actor_id": "x"}},
            "workspace-member",
        ),
        ({"place": {"line_1": "x"}}, "is required"),
        ({"place": {**_NO_PLACE, "country_code": "ZZ"}}, "ZZ"),
        ({"place": {**_NO_PLACE, "latitude": "91"}}, "latitude"),
        ({"place": {**_NO_PLACE, "street": "x"}}, "street"),
        ({"site": "not a domain"}, "not a domain"),
        ({"site": "localhost"}, "localhost"),
        ({"mail": "nope"}, "nope"),
        ({"mail": "a@b"}, "a@b"),
        ({"mail": "a@@b.com"}, "a@@b.com"),
        ({"mail": "a b@c.com"}, "a b@c.com"),
        ({"mail": ".a@c.com"}, ".a@c.com"),
        ({"phone": "5558675309"}, "E.164"),
        ({"phone": "+1 555"}, "E.164"),
        ({"phone": "+44 7777 abc"}, "E.164"),
        ({"phone": {"original_phone_number": "+447777777777"}}, "country_code"),
        ({"phone": {"original_phone_number": "07777777777", "country_code": "XX"}}, "XX"),
        ({"vendor": "acme"}, "not a domain"),
        ({"related": "acme.com"}, "exactly one of"),
        ({"vendor": {"target_object": "people", "target_record_id": "x"}}, "not allowed"),
        ({"vendor": {"target_object": "companies", "name": "Acme"}}, "not a unique attribute"),
        ({"vendor": {"target_object": "companies", "nope": "x"}}, "nope"),
        ({"vendor": {"target_object": "companies", "target_record_id": "x", "extra": 1}}, "extra"),
    ],
)
def test_invalid_values_are_validation_errors_naming_the_attribute(things, values, mentions):
    body = assert_error(_create(things, values), 400, "validation_type", mentions=mentions)
    assert f'"{next(iter(values))}"' in body["message"]


@pytest.mark.parametrize(
    ("values", "mentions"),
    [
        ({"colour": "purple"}, "purple"),
        ({"phase": "Nope"}, "Nope"),
        ({"owner": "nobody@example.com"}, "nobody@example.com"),
        ({"owner": {"referenced_actor_type": "workspace-member", "referenced_actor_id": "x"}}, "x"),
        ({"vendor": "missing.com"}, "companies"),
        (
            {
                "vendor": {
                    "target_object": "companies",
                    "target_record_id": "8d0c9d43-1111-4aaa-8bbb-123456789abc",
                }
            },
            "8d0c9d43",
        ),
        ({"related": {"target_object": "nope", "target_record_id": "x"}}, "nope"),
    ],
)
def test_unknown_targets_are_value_not_found(things, values, mentions):
    assert_error(_create(things, values), 400, "value_not_found", mentions=mentions)


def test_a_record_of_another_object_is_not_found_by_id(things):
    jane = _person(things, "jane@x.com")
    given = {"target_object": "companies", "target_record_id": jane}
    assert_error(_create(things, {"vendor": given}), 400, "value_not_found", mentions=jane)


def test_a_shorthand_matching_several_records_is_refused(client):
    _person(client, "a@x.com")
    _person(client, "b@x.com")
    create_attribute(
        client, "objects", "companies", "contact", "record-reference", config=_allowed("people")
    )
    response = _create(
        client,
        {"contact": {"target_object": "people", "email_addresses": ["a@x.com", "b@x.com"]}},
        "/v2/objects/companies/records",
    )
    assert_error(response, 400, "multiple_match_results", mentions="email_addresses")


@pytest.mark.parametrize(
    "slug", ["first_interaction", "last_email_interaction", "next_calendar_interaction"]
)
def test_interaction_values_are_read_only(client, slug):
    response = _create(client, {slug: "2026-01-01"}, "/v2/objects/people/records")
    assert_error(response, 400, "immutable_value", mentions=slug)


@pytest.mark.parametrize("slug", ["avatar_url", "twitter_follower_count", "record_id"])
def test_other_read_only_system_attributes_are_immutable(client, slug):
    response = _create(client, {slug: "x"}, "/v2/objects/people/records")
    assert_error(response, 400, "immutable_value", mentions=slug)


def test_personal_name_object_needs_all_three_fields(client):
    response = _create(
        client,
        {"name": {"first_name": "Ada", "last_name": "Lovelace"}},
        "/v2/objects/people/records",
    )
    assert_error(response, 400, "validation_type", mentions="full_name")


def test_unique_email_addresses_compare_normalised(client):
    _person(client, "jane@x.com")
    response = _create(client, {"email_addresses": ["JANE@X.COM"]}, "/v2/objects/people/records")
    assert_error(response, 409, "uniqueness_conflict", mentions="email_addresses")


# --- defaults ------------------------------------------------------------------------------------


def test_static_and_dynamic_defaults_fill_unmentioned_attributes(things):
    create_attribute(
        things,
        "objects",
        "things",
        "kind",
        "text",
        default_value={"type": "static", "template": [{"value": "widget"}]},
    )
    create_attribute(
        things,
        "objects",
        "things",
        "review_on",
        "date",
        default_value={"type": "dynamic", "template": "P1D"},
    )
    record = ok(_create(things, {}))
    assert record["values"]["kind"][0]["value"] == "widget"
    assert record["values"]["review_on"][0]["value"] > record["created_at"][:10]
    given = ok(_create(things, {"kind": "gizmo", "review_on": None}))
    assert given["values"]["kind"][0]["value"] == "gizmo"
    assert given["values"]["review_on"] == []
