"""Request bodies and assertions shared by the emulator contract tests (plain HTTP, no mocks)."""

from __future__ import annotations

from typing import Any

import httpx

ERROR_KEYS = {"status_code", "type", "code", "message"}


def assert_error(
    response: httpx.Response, status: int, code: str, *, mentions: str | None = None
) -> dict[str, Any]:
    """The response is Attio's flat error with this status and code (and message fragment)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status_code"] == status
    assert body["code"] == code, body
    assert body["type"] == ("auth_error" if status in (401, 403) else "invalid_request_error")
    if mentions is not None:
        assert mentions in body["message"], body["message"]
    return body


def ok(response: httpx.Response) -> Any:
    """The `data` of a 200 response."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data"}, body
    return body["data"]


def attribute_body(
    api_slug: str,
    attribute_type: str = "text",
    *,
    title: str | None = None,
    config: dict[str, Any] | None = None,
    is_multiselect: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A complete attribute create body: Attio requires all eight fields."""
    return {
        "data": {
            "title": title or api_slug.replace("_", " ").capitalize(),
            "description": None,
            "api_slug": api_slug,
            "type": attribute_type,
            "is_required": False,
            "is_unique": False,
            "is_multiselect": is_multiselect,
            "config": config if config is not None else {},
            **extra,
        }
    }


def create_attribute(
    client: httpx.Client,
    target: str,
    identifier: str,
    api_slug: str,
    attribute_type: str = "text",
    **kwargs: Any,
) -> dict[str, Any]:
    response = client.post(
        f"/v2/{target}/{identifier}/attributes",
        json=attribute_body(api_slug, attribute_type, **kwargs),
    )
    return ok(response)


def create_object(
    client: httpx.Client, api_slug: str, singular: str | None = None, plural: str | None = None
) -> dict[str, Any]:
    singular = singular or api_slug.rstrip("s").capitalize()
    plural = plural or f"{singular}s"
    response = client.post(
        "/v2/objects",
        json={"data": {"api_slug": api_slug, "singular_noun": singular, "plural_noun": plural}},
    )
    return ok(response)


def list_body(api_slug: str, parent_object: str = "companies", **overrides: Any) -> dict[str, Any]:
    """A complete list create body: Attio requires all five fields."""
    data = {
        "name": api_slug.replace("_", " ").title(),
        "api_slug": api_slug,
        "parent_object": parent_object,
        "workspace_access": "full-access",
        "workspace_member_access": [],
    }
    return {"data": data | overrides}


def create_list(
    client: httpx.Client, api_slug: str, parent_object: str = "companies", **overrides: Any
) -> dict[str, Any]:
    return ok(client.post("/v2/lists", json=list_body(api_slug, parent_object, **overrides)))


def webhook_body(
    target_url: str = "https://hooks.example.com/attio",
    events: tuple[str, ...] = ("record.created",),
) -> dict[str, Any]:
    return {
        "data": {
            "target_url": target_url,
            "subscriptions": [{"event_type": event, "filter": None} for event in events],
        }
    }


class Pep3333:
    """Puts right the PATH_INFO that httpx's WSGITransport hands the app.

    httpx passes the path already percent-decoded (`Won 🎉`), where PEP 3333 wants the raw
    bytes spelled as latin-1, as every real WSGI server sends them; werkzeug then decodes
    garbage or fails. Wrapping the emulator lets non-ASCII titles in paths arrive as they would
    over real HTTP.
    """

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = environ["PATH_INFO"].encode("utf-8").decode("latin-1")
        return self.app(environ, start_response)
