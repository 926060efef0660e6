"""Shared resource rules: ids, timestamps, payload checks, and finding things by slug or id."""

from __future__ import annotations

import math
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.store import Store

SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MISSING = object()
# Every kind of resource the store holds; ids are unique across all of them.
KINDS = (
    "object",
    "attribute",
    "option",
    "status",
    "list",
    "webhook",
    "member",
    "record",
    "entry",
    "note",
    "task",
)


@dataclass
class Workspace:
    """One emulated workspace: its store plus what every handler needs to obey Attio's rules."""

    store: Store
    rng: random.Random = field(default_factory=random.Random)
    # Webhook events raised by the write in progress; the app takes them once it commits.
    pending_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.store.get_meta("workspace")["id"]

    @property
    def info(self) -> dict[str, Any]:
        return self.store.get_meta("workspace")

    def token_actor_id(self) -> str:
        """The actor id Attio records for writes made with an API token."""
        return self.info["api_token_id"]

    def new_id(self) -> str:
        """A fresh UUID. A seeded generator replays its sequence when a file-backed workspace
        is reopened, so ids already in the store are skipped rather than reissued."""
        while True:
            candidate = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            if not self._id_taken(candidate):
                return candidate

    def _id_taken(self, candidate: str) -> bool:
        info = self.store.get_meta("workspace") or {}
        if candidate in info.values():
            return True
        return any(self.store.get(kind, candidate) is not None for kind in KINDS)

    def emit(self, event_type: str, id_: dict[str, Any], **extra: Any) -> None:
        """Raise a webhook event (`record.created`, …) about the resource with this `id`.

        Delivery adds `actor`; `extra` carries event-specific fields such as
        `parent_object_id` and `parent_record_id` for list entries.
        """
        self.pending_events.append({"event_type": event_type, "id": dict(id_), **extra})

    def take_events(self) -> list[dict[str, Any]]:
        """The events raised since the last call, which are forgotten here."""
        events, self.pending_events = self.pending_events, []
        return events

    @staticmethod
    def now() -> str:
        """Attio's timestamp format: nanosecond precision, UTC, `Z`."""
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")

    # --- lookups -----------------------------------------------------------------------------

    def object(self, identifier: str) -> dict[str, Any]:
        """An object by api_slug or id; 404 otherwise."""
        found = self._find("object", identifier, "object_id")
        if found is None:
            raise errors.not_found(f'Object with slug/ID "{identifier}" not found.')
        return found

    def list(self, identifier: str) -> dict[str, Any]:
        found = self._find("list", identifier, "list_id")
        if found is None:
            raise errors.not_found(f'List with slug/ID "{identifier}" not found.')
        return found

    def parent(self, target: str, identifier: str) -> dict[str, Any]:
        """The object or list that owns attributes at `/v2/{target}/{identifier}`."""
        if target == "objects":
            return self.object(identifier)
        if target == "lists":
            return self.list(identifier)
        raise errors.not_found(f'Unknown target "{target}"; use objects or lists.')

    @staticmethod
    def parent_id(parent: dict[str, Any]) -> str:
        return parent["id"].get("object_id") or parent["id"]["list_id"]

    def attribute(self, parent: dict[str, Any], identifier: str) -> dict[str, Any]:
        parent_id = self.parent_id(parent)
        for attribute in self.store.all("attribute", parent_id):
            if identifier in (attribute["api_slug"], attribute["id"]["attribute_id"]):
                return attribute
        raise errors.not_found(f'Attribute with slug/ID "{identifier}" not found.')

    def _find(self, kind: str, identifier: str, id_key: str) -> dict[str, Any] | None:
        by_id = self.store.get(kind, identifier) if UUID_TEXT.match(identifier) else None
        if by_id is not None:
            return by_id
        return next((r for r in self.store.all(kind) if r.get("api_slug") == identifier), None)


def invalid(field_path: str, need: str) -> errors.ApiError:
    """400 validation_type naming the offending field, e.g. 'data.config.currency'."""
    return errors.validation(f"Body payload validation error: 'data.{field_path}' {need}.")


def public(resource: dict[str, Any]) -> dict[str, Any]:
    """A stored resource without the emulator's own bookkeeping keys (those starting with _)."""
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def payload(body: Any, *, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
    """The `data` object of a request body, with unknown and missing fields refused by name."""
    if not isinstance(body, dict) or "data" not in body:
        raise errors.validation("Body payload validation error: 'data' is required.")
    data = body["data"]
    if not isinstance(data, dict):
        raise errors.validation("Body payload validation error: 'data' must be an object.")
    broken = _unrepresentable_path(data)
    if broken is not None:
        # JSON may spell a lone surrogate (`"\ud800"`), which UTF-8 cannot carry, and Python's
        # parser accepts NaN and Infinity, which JSON has no words for: stored, either would
        # spoil every later response that echoes it.
        raise errors.validation(
            f"Body payload validation error: '{broken}' holds text that is not valid Unicode "
            "or a number JSON cannot represent."
        )
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise errors.validation(
            f"Body payload validation error: unrecognised field 'data.{unknown[0]}'."
        )
    missing = sorted(required - set(data))
    if missing:
        raise errors.validation(f"Body payload validation error: 'data.{missing[0]}' is required.")
    return data


def _unrepresentable_path(data: dict[str, Any]) -> str | None:
    """Where a key or string UTF-8 cannot encode, or a NaN or infinity, is, if anywhere."""
    stack: list[tuple[str, Any]] = [("data", data)]
    while stack:  # iterative: bodies may nest as deep as the JSON parser allowed
        where, node = stack.pop()
        if isinstance(node, str):
            if not _encodable(node):
                return where
        elif isinstance(node, float):
            if not math.isfinite(node):
                return where
        elif isinstance(node, dict):
            for key, value in node.items():
                if not _encodable(key):
                    return where
                stack.append((f"{where}.{key}", value))
        elif isinstance(node, list):
            stack.extend((f"{where}[{index}]", value) for index, value in enumerate(node))
    return None


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text(data: dict[str, Any], key: str, *, nullable: bool = False, min_length: int = 1) -> Any:
    """A string field (absent fields are not checked here)."""
    value = data.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str) or len(value) < min_length:
        need = "a non-empty string" if min_length else "a string"
        raise errors.validation(f"Body payload validation error: 'data.{key}' must be {need}.")
    return value


def flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise errors.validation(f"Body payload validation error: 'data.{key}' must be a boolean.")
    return value


def slug(data: dict[str, Any], key: str = "api_slug") -> str:
    value = text(data, key)
    if not SLUG.match(value):
        raise errors.validation(
            f"Body payload validation error: 'data.{key}' must be snake_case "
            "(lowercase letters, digits, _ and -, starting with a letter)."
        )
    return value


def is_true(value: str | None) -> bool:
    return (value or "").lower() == "true"


def page(
    items: list[Any],
    limit: str | None,
    offset: str | None,
    *,
    default: int | None,
    maximum: int | None = None,
    minimum: int = 1,
) -> list[Any]:
    """Apply `limit`/`offset` query parameters, refusing values Attio would refuse."""
    start = _int_param("offset", offset, 0, minimum=0)
    size = _int_param("limit", limit, default, minimum=minimum, maximum=maximum)
    return items[start:] if size is None else items[start : start + size]


def _int_param(
    name: str, raw: str | None, default: int | None, *, minimum: int, maximum: int | None = None
) -> int | None:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.validation(f"Query parameter '{name}' must be an integer.") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise errors.validation(f"Query parameter '{name}' must be at least {minimum}{upper}.")
    return value
