"""Check emulator responses against Attio's OpenAPI document (the real API's shapes)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "shared" / "reference" / "attio-openapi.json"
# Error bodies: the flat shape every Attio error has. Operations document only some codes and
# statuses, so error bodies are held to the shape, not to one operation's enum of codes.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["status_code", "type", "code", "message"],
    "additionalProperties": False,
    "properties": {
        "status_code": {"type": "integer"},
        "type": {
            "enum": ["invalid_request_error", "auth_error", "rate_limit_error", "server_error"]
        },
        "code": {"type": "string", "minLength": 1},
        "message": {"type": "string", "minLength": 1},
    },
}


@cache
def document() -> dict[str, Any] | None:
    if not OPENAPI_PATH.is_file():
        return None
    return _allow_documented_nulls(json.loads(OPENAPI_PATH.read_text(encoding="utf-8")))


def _allow_documented_nulls(node: Any) -> Any:
    """Fix one defect of the document: `type: [string, null]` beside an `enum` without null.

    Under JSON Schema the enum wins and refuses null, yet Attio really sends null there (e.g.
    `config.currency.default_currency_code` of a text attribute, in recorded responses).
    """
    if isinstance(node, dict):
        types = node.get("type")
        if isinstance(types, list) and "null" in types and None not in node.get("enum", [None]):
            node["enum"] = [*node["enum"], None]
        for value in node.values():
            _allow_documented_nulls(value)
    elif isinstance(node, list):
        for value in node:
            _allow_documented_nulls(value)
    return node


@cache
def _operations() -> list[tuple[str, re.Pattern[str], str]]:
    doc = document() or {}
    found = []
    for template, operations in doc.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), pattern, template))
    # Literal paths before templated ones (/v2/objects/x before /v2/{target}/…).
    return sorted(found, key=lambda item: item[2].count("{"))


def operation_for(method: str, path: str) -> str | None:
    """The OpenAPI path template for a concrete request, or None if Attio has no such path."""
    for op_method, pattern, template in _operations():
        if op_method == method and pattern.match(path):
            return template
    return None


@cache
def _validator(template: str, method: str, status: str) -> Draft202012Validator | None:
    doc = document()
    assert doc is not None
    response = doc["paths"][template][method.lower()]["responses"].get(status)
    if response is None:
        return None
    schema = response["content"]["application/json"]["schema"]
    # `#/components/...` refs resolve against the root, so carry the components along.
    return Draft202012Validator({**schema, "components": doc["components"]})


def problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """Why a response breaks the document, as readable lines; empty when it conforms."""
    if status >= 400:
        validator = Draft202012Validator(ERROR_SCHEMA)
        found = [e.message for e in validator.iter_errors(body)]
        if isinstance(body, dict) and body.get("status_code") != status:
            found.append(f"status_code {body.get('status_code')} differs from HTTP {status}")
        return found
    template = operation_for(method, path)
    if template is None:
        return [f"{method} {path} is not an operation of the OpenAPI document"]
    validator = _validator(template, method, str(status))
    if validator is None:
        return [f"{method} {template} does not document status {status}"]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in validator.iter_errors(body)
    ]
