"""The workspace data model: frozen dataclasses shared by desired (manifests) and live state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from schemactl.address import Address

__all__ = [
    "Address",
    "Attribute",
    "CurrencyConfig",
    "List",
    "MemberAccess",
    "Object",
    "Ref",
    "Relationship",
    "SchemaItem",
    "SelectOption",
    "Status",
    "Subscription",
    "Webhook",
    "Workspace",
]

# JSON-shaped values (default values, webhook filters) are kept as plain data and never mutated.
JSON = Any
_Item = TypeVar("_Item")


def _first_by(items: Iterable[_Item], key: Callable[[_Item], str]) -> dict[str, _Item]:
    """Items by key, the first one winning, as a scan in order would find it."""
    index: dict[str, _Item] = {}
    for item in items:
        index.setdefault(key(item), item)
    return index


# The 15 attribute types Attio accepts on create.
CREATABLE_ATTRIBUTE_TYPES: tuple[str, ...] = (
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
)
# Types that exist on system attributes only; they appear when reading a workspace.
SYSTEM_ONLY_ATTRIBUTE_TYPES: tuple[str, ...] = ("interaction", "personal-name")
# Types on which Attio lets `is_multiselect` be true.
MULTISELECT_TYPES: frozenset[str] = frozenset(
    {"select", "record-reference", "actor-reference", "email-address", "phone-number", "domain"}
)


@dataclass(frozen=True)
class Ref:
    """`{ref: ADDRESS}`: the live id of another schema item, known once that item exists."""

    address: Address


@dataclass(frozen=True)
class SelectOption:
    """One option of a select attribute; identified by its title within the attribute."""

    title: str
    is_archived: bool = False
    renamed_from: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Status:
    """One status of a status attribute; identified by its title within the attribute."""

    title: str
    celebration_enabled: bool = False
    target_time_in_status: str | None = None
    is_archived: bool = False
    renamed_from: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class CurrencyConfig:
    """Config of a currency attribute: one currency per attribute, and how it is shown."""

    default_currency_code: str
    display_type: str


@dataclass(frozen=True)
class Relationship:
    """A two-way record reference: Attio also creates the reverse attribute on `object`."""

    object: str
    title: str
    api_slug: str
    is_multiselect: bool


@dataclass(frozen=True)
class Attribute:
    """An attribute of an object or a list, with its options or statuses."""

    api_slug: str
    title: str
    type: str
    description: str | None = None
    is_required: bool = False
    is_unique: bool = False
    is_multiselect: bool = False
    default_value: JSON = None
    currency: CurrencyConfig | None = None
    allowed_objects: tuple[str, ...] = ()
    relationship: Relationship | None = None
    options: tuple[SelectOption, ...] = ()
    statuses: tuple[Status, ...] = ()
    is_archived: bool = False
    # System attributes of standard objects: only their options/statuses may be managed.
    is_system: bool = False
    renamed_from: str | None = None
    id: str | None = None

    def option(self, title: str) -> SelectOption | None:
        return next((o for o in self.options if o.title == title), None)

    def status(self, title: str) -> Status | None:
        return next((s for s in self.statuses if s.title == title), None)


@dataclass(frozen=True)
class Object:
    """A custom object, or a standard one (people, companies, …) whose nouns are not managed."""

    api_slug: str
    singular_noun: str | None
    plural_noun: str | None
    attributes: tuple[Attribute, ...] = ()
    is_standard: bool = False
    renamed_from: str | None = None
    id: str | None = None

    def attribute(self, slug: str) -> Attribute | None:
        return self._attributes_by_slug.get(slug)

    @cached_property
    def _attributes_by_slug(self) -> dict[str, Attribute]:
        return _first_by(self.attributes, lambda a: a.api_slug)


@dataclass(frozen=True)
class MemberAccess:
    """One workspace member's access level on a list."""

    workspace_member_id: str
    level: str


@dataclass(frozen=True)
class List:
    """A list: entries of one parent object, with attributes of its own."""

    api_slug: str
    name: str
    parent_object: str
    workspace_access: str | None = "full-access"
    workspace_member_access: tuple[MemberAccess, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    renamed_from: str | None = None
    id: str | None = None

    def attribute(self, slug: str) -> Attribute | None:
        return self._attributes_by_slug.get(slug)

    @cached_property
    def _attributes_by_slug(self) -> dict[str, Attribute]:
        return _first_by(self.attributes, lambda a: a.api_slug)


@dataclass(frozen=True)
class Subscription:
    """One event a webhook receives, optionally narrowed by a filter (None: all events)."""

    event_type: str
    filter: JSON = None


@dataclass(frozen=True)
class Webhook:
    """A webhook, identified by its target URL (Attio webhooks have no name)."""

    target_url: str
    subscriptions: tuple[Subscription, ...] = ()
    status: str | None = None
    id: str | None = None


SchemaItem = Object | List | Attribute | SelectOption | Status | Webhook


@dataclass(frozen=True)
class Workspace:
    """A whole data model: what the manifests declare, or what a workspace holds."""

    objects: tuple[Object, ...] = ()
    lists: tuple[List, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    id: str | None = None
    slug: str | None = None

    def object(self, slug: str) -> Object | None:
        return self._objects_by_slug.get(slug)

    def list(self, slug: str) -> List | None:
        return self._lists_by_slug.get(slug)

    # Lookups by slug are indexed once per (immutable) instance: compare looks up every declared
    # item, which scanning tuples made quadratic on wide objects.
    @cached_property
    def _objects_by_slug(self) -> dict[str, Object]:
        return _first_by(self.objects, lambda o: o.api_slug)

    @cached_property
    def _lists_by_slug(self) -> dict[str, List]:
        return _first_by(self.lists, lambda lst: lst.api_slug)

    def items(self) -> Iterator[tuple[Address, SchemaItem]]:
        """Every item with its address, parents before children, in declaration order."""
        for parent, address in [(o, Address.object(o.api_slug)) for o in self.objects] + [
            (lst, Address.list(lst.api_slug)) for lst in self.lists
        ]:
            yield address, parent
            for attribute in parent.attributes:
                attribute_address = address.attribute(attribute.api_slug)
                yield attribute_address, attribute
                for option in attribute.options:
                    yield attribute_address.option(option.title), option
                for status in attribute.statuses:
                    yield attribute_address.status(status.title), status
        for webhook in self.webhooks:
            yield Address.webhook(webhook.target_url), webhook

    def find(self, address: Address) -> SchemaItem | None:
        """The item at `address`, or None."""
        return next((item for a, item in self.items() if a == address), None)
