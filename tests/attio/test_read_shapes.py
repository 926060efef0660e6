"""A server whose answers are JSON with `data`, but not shaped as Attio's: a clear error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from schemactl.attio.client import AttioClient
from schemactl.attio.errors import AttioError
from schemactl.attio.read import ReadScope, read_workspace

SELF = {"active": True, "workspace_id": "w", "workspace_slug": "odd"}


def _serving(answers: dict[str, Any]) -> Callable[..., Iterable[bytes]]:
    """A WSGI app answering each path's `data` from `answers` (anything else: an empty list)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        body = SELF if path == "/v2/self" else {"data": answers.get(path, [])}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return app


@pytest.mark.parametrize(
    "answers",
    [
        {"/v2/objects": [{"workspace_id": 1}]},  # an object without its id or slug
        {"/v2/objects": ["companies"]},  # strings where objects belong
        {
            "/v2/objects": [{"id": {"object_id": "o"}, "api_slug": "companies"}],
            "/v2/objects/o/attributes": [{"id": None}],
        },  # an attribute without its id
    ],
    ids=["missing-keys", "strings", "attribute-without-id"],
)
def test_data_not_shaped_as_attios_is_a_clear_error(answers: dict[str, Any]) -> None:
    transport = httpx.WSGITransport(app=_serving(answers))
    client = AttioClient("http://127.0.0.1/v2", "odd-token-1234", transport=transport)
    with client, pytest.raises(AttioError, match="data not shaped as Attio's") as caught:
        read_workspace(client, ReadScope(objects=frozenset({"companies"})))
    assert "odd-token-1234" not in str(caught.value)
