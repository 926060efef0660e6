"""Bad requests of every kind get a 4xx in Attio's flat error shape, never a 5xx."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client as WerkzeugClient

from tests.emulator.helpers import ERROR_KEYS, assert_error, attribute_body, ok

WRITES = [
    ("POST", "/v2/objects"),
    ("PATCH", "/v2/objects/people"),
    ("POST", "/v2/objects/people/attributes"),
    ("PATCH", "/v2/objects/people/attributes/name"),
    ("POST", "/v2/objects/companies/attributes/categories/options"),
    ("PATCH", "/v2/objects/companies/attributes/categories/options/B2B"),
    ("POST", "/v2/objects/deals/attributes/stage/statuses"),
    ("POST", "/v2/lists"),
    ("POST", "/v2/webhooks"),
]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def seeded_state(client) -> str:
    """The workspace before a test throws garbage at it, to show nothing was written."""
    return client.get("/_emulator/state").text


def _assert_unchanged(client, before: str) -> None:
    assert client.get("/_emulator/state").text == before


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "raw",
    [
        b'{"data": {',
        b"{'data': {}}",
        b'{"data": {"title": "x",}}',
        b"\xff\xfe\x00garbage",
        b"data=1",
    ],
    ids=["truncated", "single-quotes", "trailing-comma", "binary", "form"],
)
def test_malformed_json_is_400(client, seeded_state, method, path, raw):
    response = client.request(method, path, content=raw, headers=JSON)
    assert_error(response, 400, "validation_type", mentions="JSON")
    _assert_unchanged(client, seeded_state)


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "body",
    [[], [{"data": {}}], "data", 42, None, True, {"data": []}, {"data": "x"}, {"datum": {}}],
    ids=[
        "empty-list",
        "list",
        "string",
        "number",
        "null",
        "bool",
        "data-list",
        "data-str",
        "no-data",
    ],
)
def test_json_that_is_not_a_data_object_is_400(client, seeded_state, method, path, body):
    response = client.request(method, path, content=json.dumps(body), headers=JSON)
    assert_error(response, 400, "validation_type", mentions="data")
    _assert_unchanged(client, seeded_state)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_an_empty_body_is_400(client, method, path):
    assert_error(client.request(method, path), 400, "validation_type", mentions="data")


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/v2/objects", {"api_slug": ["a"], "singular_noun": "A", "plural_noun": "As"}, "api_slug"),
        (
            "/v2/objects",
            {"api_slug": "a", "singular_noun": {}, "plural_noun": "As"},
            "singular_noun",
        ),
        ("/v2/objects", {"api_slug": "a", "singular_noun": "A", "plural_noun": 1.5}, "plural_noun"),
        ("/v2/objects/people/attributes", attribute_body("a")["data"] | {"type": 3}, "type"),
        (
            "/v2/objects/people/attributes",
            attribute_body("a")["data"] | {"is_unique": "no"},
            "is_unique",
        ),
        ("/v2/lists", {"name": 1}, "api_slug"),
        ("/v2/webhooks", {"target_url": 443, "subscriptions": []}, "target_url"),
        ("/v2/webhooks", {"target_url": "https://a.b", "subscriptions": [7]}, "subscriptions[0]"),
    ],
)
def test_wrong_field_types_are_400_naming_the_field(client, seeded_state, path, data, field):
    response = client.post(path, json={"data": data})
    assert_error(response, 400, "validation_type", mentions=field)
    _assert_unchanged(client, seeded_state)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/nothing"),
        ("GET", "/v3/objects"),
        ("GET", "/"),
        ("GET", "/v2/attributes/00000000-0000-4000-8000-000000000000"),  # the seed reference's
        ("GET", "/v2/people/x/attributes"),  # a target that is neither objects nor lists
        ("GET", "/v2/comments/x"),  # comments, meetings and threads are not emulated
        ("GET", "/v2/meetings"),
    ],
)
def test_unknown_routes_are_404(client, method, path):
    response = client.request(method, path)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v2/objects/people"),
        ("DELETE", "/v2/objects/people/attributes/name"),
        ("DELETE", "/v2/lists/x"),
        ("PUT", "/v2/webhooks/00000000-0000-4000-8000-000000000000"),
        ("POST", "/v2/self"),
        ("PATCH", "/v2/objects"),
        ("GET", "/v2/objects/people/attributes/name/options/B2B"),
    ],
)
def test_a_wrong_method_is_405(client, method, path):
    response = client.request(method, path)
    assert_error(response, 405, "method_not_allowed", mentions=method)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_2mb_body_is_413(client, method, path):
    padding = "x" * (2 * 1024 * 1024)
    body = json.dumps({"data": {"title": padding}})
    response = client.request(method, path, content=body, headers=JSON)
    assert_error(response, 413, "payload_too_large")


def test_a_body_just_under_the_limit_is_read(client):
    body = json.dumps({"data": {"title": "x" * (1024 * 1000)}})
    response = client.post(
        "/v2/objects/companies/attributes/categories/options", content=body, headers=JSON
    )
    assert ok(response)["title"].startswith("xxx")


@pytest.mark.parametrize("depth", [990, 5_000, 200_000])
def test_deeply_nested_json_is_400(client, seeded_state, depth):
    nested = "[" * depth + "]" * depth
    body = f'{{"data": {{"api_slug": "a", "singular_noun": "A", "plural_noun": {nested}}}}}'
    response = client.post("/v2/objects", content=body, headers=JSON)
    assert_error(response, 400, "validation_type")
    _assert_unchanged(client, seeded_state)


def test_deeply_nested_json_where_anything_goes_is_refused(client, seeded_state):
    # default_value.template takes free-form values; deep junk there must not be stored.
    nested = "[" * 900 + "]" * 900
    body = json.dumps(
        attribute_body("due", "number", default_value={"type": "static", "template": []})
    ).replace('"template": []', f'"template": [{nested}]')
    response = client.post("/v2/objects/deals/attributes", content=body, headers=JSON)
    assert_error(response, 400, "validation_type", mentions="default_value.template")
    _assert_unchanged(client, seeded_state)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (
            "/v2/objects",
            b'{"data": {"api_slug": "a", "singular_noun": "\\ud800", "plural_noun": "B"}}',
        ),
        ("/v2/objects", b'{"data": {"\\udfff": 1}}'),
        (
            "/v2/objects/companies/attributes/categories/options",
            b'{"data": {"title": "a\\udc80b"}}',
        ),
        (
            "/v2/webhooks",
            b'{"data": {"target_url": "https://a.example.com", "subscriptions": [{"event_type":'
            b' "record.created", "filter": {"$and": [{"field": "x", "operator": "equals",'
            b' "value": "\\ud83d"}]}}]}}',
        ),
    ],
    ids=["value", "key", "option-title", "filter-value"],
)
def test_lone_surrogates_are_400_and_nothing_is_stored(client, seeded_state, path, raw):
    response = client.post(path, content=raw, headers=JSON)
    assert_error(response, 400, "validation_type", mentions="Unicode")
    _assert_unchanged(client, seeded_state)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_cannot_represent_are_400(client, seeded_state, constant):
    # Python's parser takes these; echoed back, they would make the response invalid JSON.
    body = json.dumps(
        attribute_body("due", "number", default_value={"type": "static", "template": []})
    ).replace('"template": []', f'"template": [{{"value": {constant}}}]')
    response = client.post("/v2/objects/deals/attributes", content=body, headers=JSON)
    assert_error(response, 400, "validation_type", mentions="data.default_value.template[0].value")
    _assert_unchanged(client, seeded_state)


def test_unicode_text_round_trips(client):
    title = "Ünïcödé ✓ 中文 🚀 \u200b"
    option = ok(
        client.post(
            "/v2/objects/companies/attributes/categories/options", json={"data": {"title": title}}
        )
    )
    assert option["title"] == title


@pytest.mark.parametrize("slug", ["ünïcode", "🚀", "a b", "A", "_a", "1a"])
def test_non_snake_case_slugs_are_400(client, slug):
    body = {"data": {"api_slug": slug, "singular_noun": "A", "plural_noun": "As"}}
    assert_error(client.post("/v2/objects", json=body), 400, "validation_type", mentions="api_slug")


@pytest.mark.parametrize(
    "path",
    [
        "/v2/objects/%FF%FE",
        "/v2/objects/%ED%A0%80",  # an encoded lone surrogate
        "/v2/objects/%F0%9F%9A%80",
        "/v2/objects/people/attributes/%C3%28",
        "/v2/objects/people/attributes?limit=%FF",
        "/v2/webhooks?offset=%00",
        "/v2/%00",
    ],
)
def test_garbage_in_the_url_is_4xx_with_the_flat_shape(emulator, path):
    # werkzeug's own test client builds a PEP 3333 environ, as a real server would; httpx's
    # WSGITransport cannot carry undecodable bytes in a path.
    response = WerkzeugClient(emulator).get(path)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    body = json.loads(response.get_data())
    assert set(body) == ERROR_KEYS
    assert body["status_code"] == response.status_code


def test_errors_are_json_with_the_status_repeated_in_the_body(client):
    response = client.get("/v2/objects/nope")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "status_code": 404,
        "type": "invalid_request_error",
        "code": "not_found",
        "message": 'Object with slug/ID "nope" not found.',
    }
