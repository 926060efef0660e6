"""Attio's rules that need the whole project: references, uniqueness, renames, system attributes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from schemactl.address import Address, AddressError
from schemactl.attio.standard import STANDARD_OBJECTS, system_attribute_type
from schemactl.errors import Diagnostic
from schemactl.manifest.merge import Declarations, Declared
from schemactl.manifest.schema import DURATION_PATTERN, WORKSPACE_ACCESS_LEVELS

# Nouns Attio's standard objects already use; a custom object may not take them.
_STANDARD_NOUNS = {
    "Person": "people",
    "People": "people",
    "Company": "companies",
    "Companies": "companies",
    "Deal": "deals",
    "Deals": "deals",
    "User": "users",
    "Users": "users",
    "Workspace": "workspaces",
    "Workspaces": "workspaces",
}
# Attio refuses default values on these objects' attributes, and unique custom ones on companies.
_NO_DEFAULT_VALUE_OBJECTS = frozenset({"people", "companies"})
_NO_UNIQUE_OBJECTS = frozenset({"companies"})
_MANAGEABLE_SYSTEM_KEYS = {"status": "statuses", "select": "options"}


def check(declarations: Declarations) -> list[Diagnostic]:
    """Every cross-item problem in the merged declarations.

    When some file could not be loaded (declarations not `complete`), references to things
    that file may declare are not judged: they would only repeat that file's own error.
    """
    known = _known_addresses(declarations)
    problems: list[Diagnostic] = []
    problems += _check_renames(list(declarations.objects.values()), "object")
    problems += _check_renames(list(declarations.lists.values()), "list")
    problems += _check_nouns(declarations)
    problems += _check_lists(declarations)
    for parent in declarations.parents():
        attributes = list(parent.attributes())
        problems += _check_renames(attributes, "attribute")
        for attribute in attributes:
            problems += _check_attribute(parent, attribute, declarations)
    for webhook in declarations.webhooks.values():
        problems += _check_webhook(webhook, known if declarations.complete else None)
    return problems


def object_exists(declarations: Declarations, slug: Any) -> bool:
    if not isinstance(slug, str):
        return False
    known = slug in declarations.objects or slug in STANDARD_OBJECTS
    return known or not declarations.complete


def _known_addresses(declarations: Declarations) -> set[Address]:
    """Everything a `{ref: …}` may point at: declared items and the standard model."""
    known: set[Address] = set()
    for slug, attributes in STANDARD_OBJECTS.items():
        known.add(Address.object(slug))
        known.update(Address.object(slug).attribute(a) for a in attributes)
    for parent in declarations.parents():
        known.add(parent.address)
        for attribute in parent.attributes():
            known.add(attribute.address)
            for key, make in (
                ("options", attribute.address.option),
                ("statuses", attribute.address.status),
            ):
                known.update(make(title) for _, title, _ in _titled(attribute.data.get(key)))
    return known


def _titled(items: Any) -> Iterator[tuple[int, str, str | None]]:
    """(index, title, renamed_from) of each well-formed option or status entry."""
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if isinstance(item, str):
            yield index, item, None
        elif isinstance(item, dict) and isinstance(item.get("title"), str):
            renamed = item.get("renamed_from")
            yield index, item["title"], renamed if isinstance(renamed, str) else None


def _check_renames(items: list[Declared], what: str) -> Iterator[Diagnostic]:
    """`renamed_from` must name a slug that is free, and only one item may claim it."""
    slugs = {item.address.name for item in items}
    claimed: dict[str, Declared] = {}
    for item in items:
        old = item.data.get("renamed_from")
        if not isinstance(old, str):
            continue
        if old == item.address.name:
            yield item.diagnostic(f"renamed_from names this {what} itself", "renamed_from")
        elif old in slugs:
            article = "an" if what[0] in "aeiou" else "a"
            yield item.diagnostic(
                f"renamed_from '{old}' is also declared as {article} {what} here; "
                f"a rename needs the old {what} to be gone from the manifests",
                "renamed_from",
            )
        elif old in claimed:
            yield item.diagnostic(
                f"'{old}' is renamed twice: also by {claimed[old].address}", "renamed_from"
            )
        else:
            claimed[old] = item


def _check_nouns(declarations: Declarations) -> Iterator[Diagnostic]:
    """Attio refuses two objects with the same singular or plural noun."""
    owners: dict[str, str] = dict(_STANDARD_NOUNS)
    for declared in declarations.objects.values():
        if declared.address.name in STANDARD_OBJECTS:
            continue
        for key in ("singular_noun", "plural_noun"):
            noun = declared.data.get(key)
            if not isinstance(noun, str):
                continue
            owner = owners.setdefault(noun, declared.address.name)
            if owner != declared.address.name:
                yield declared.diagnostic(
                    f"the noun '{noun}' is already used by objects/{owner}", key
                )


def _check_lists(declarations: Declarations) -> Iterator[Diagnostic]:
    for declared in declarations.lists.values():
        parent = declared.data.get("parent_object")
        if isinstance(parent, str) and not object_exists(declarations, parent):
            yield declared.diagnostic(
                f"parent_object '{parent}' is not a declared or standard object", "parent_object"
            )
        access = declared.data.get("workspace_access", "full-access")
        if access is not None and access not in WORKSPACE_ACCESS_LEVELS:
            continue  # the schema check reports the unknown level
        members = declared.data.get("workspace_member_access") or []
        member_has_full = any(
            isinstance(m, dict) and m.get("level") == "full-access" for m in members
        )
        if access != "full-access" and not member_has_full:
            yield declared.diagnostic(
                "a list needs workspace_access: full-access, or a workspace member with "
                "full-access, or nobody could manage it",
                "workspace_access" if "workspace_access" in declared.data else "parent_object",
            )


def _check_attribute(
    parent: Declared, attribute: Declared, declarations: Declarations
) -> Iterator[Diagnostic]:
    data = attribute.data
    parent_slug = parent.address.name
    on_object = parent.address.kind == "object"
    attribute_type = data.get("type")
    system_type = system_attribute_type(parent_slug, attribute.address.name) if on_object else None
    if system_type is not None:
        yield from _check_system_attribute(attribute, system_type)
        return

    for index, slug in _strings(data.get("allowed_objects")):
        if not object_exists(declarations, slug):
            yield attribute.diagnostic(
                f"allowed_objects names '{slug}', which is not a declared or standard object",
                "allowed_objects",
                index,
            )
    relationship = data.get("relationship")
    if isinstance(relationship, dict):
        yield from _check_relationship(parent, attribute, relationship, declarations)

    for key in ("options", "statuses"):
        yield from _check_titles(attribute, key)

    if on_object and parent_slug in _NO_UNIQUE_OBJECTS and data.get("is_unique") is True:
        yield attribute.diagnostic(
            f"Attio does not allow unique custom attributes on {parent_slug}", "is_unique"
        )
    default = data.get("default_value")
    if isinstance(default, dict):
        if on_object and parent_slug in _NO_DEFAULT_VALUE_OBJECTS:
            yield attribute.diagnostic(
                f"Attio does not support default values on {parent_slug}", "default_value"
            )
        elif default.get("type") == "dynamic" and isinstance(attribute_type, str):
            yield from _check_dynamic_default(attribute, attribute_type, default.get("template"))


def _check_system_attribute(attribute: Declared, system_type: str) -> Iterator[Diagnostic]:
    """A standard object's system attribute may be declared only to manage its options/statuses."""
    object_slug = attribute.address.parent.name if attribute.address.parent else ""
    managed_key = _MANAGEABLE_SYSTEM_KEYS.get(system_type)
    base = f"'{attribute.address.name}' is a system attribute of {object_slug}"
    if managed_key is None:
        yield attribute.diagnostic(
            f"{base} and cannot be managed; choose another slug for a custom attribute",
            at_key=True,
        )
        return
    if attribute.data.get("type") not in (None, system_type):
        yield attribute.diagnostic(f"{base}; its type is {system_type}", "type")
    extra = sorted(set(attribute.data) - {"type", managed_key})
    for key in extra:
        yield attribute.diagnostic(
            f"{base}: only its {managed_key} can be managed, not '{key}'", key, at_key=True
        )
    yield from _check_titles(attribute, managed_key)


def _check_relationship(
    parent: Declared, attribute: Declared, relationship: dict[str, Any], declarations: Declarations
) -> Iterator[Diagnostic]:
    if parent.address.kind != "object":
        yield attribute.diagnostic(
            "relationships link objects; a list attribute cannot have one", "relationship"
        )
        return
    other = relationship.get("object")
    if isinstance(other, str) and not object_exists(declarations, other):
        yield attribute.diagnostic(
            f"relationship.object '{other}' is not a declared or standard object",
            "relationship",
            "object",
        )
        return
    allowed = attribute.data.get("allowed_objects")
    if isinstance(allowed, list) and allowed != [other]:
        yield attribute.diagnostic(
            f"with a relationship, allowed_objects must be exactly [{other}]", "allowed_objects"
        )
    reverse = relationship.get("api_slug")
    if not isinstance(other, str) or not isinstance(reverse, str):
        return
    if system_attribute_type(other, reverse) is not None:
        yield attribute.diagnostic(
            f"the reverse attribute '{reverse}' is a system attribute of {other}",
            "relationship",
            "api_slug",
        )
    declared_other = declarations.objects.get(other)
    attributes = declared_other.data.get("attributes") if declared_other else None
    if isinstance(attributes, dict) and reverse in attributes:
        yield attribute.diagnostic(
            f"the reverse attribute objects/{other}/attributes/{reverse} is created by this "
            "relationship; do not declare it as well",
            "relationship",
            "api_slug",
        )


def _check_titles(attribute: Declared, key: str) -> Iterator[Diagnostic]:
    """Option and status titles are unique per attribute, renames included."""
    what = "option" if key == "options" else "status"
    entries = list(_titled(attribute.data.get(key)))
    seen: dict[str, int] = {}
    titles = {title for _, title, _ in entries}
    renamed: set[str] = set()
    for index, title, renamed_from in entries:
        if title in seen:
            yield attribute.diagnostic(
                f"duplicate {what} title '{title}' (also item {seen[title] + 1} of {key})",
                key,
                index,
            )
        seen.setdefault(title, index)
        if renamed_from is None:
            continue
        if renamed_from == title:
            yield attribute.diagnostic(f"renamed_from names this {what} itself", key, index)
        elif renamed_from in titles:
            yield attribute.diagnostic(
                f"renamed_from '{renamed_from}' is also declared as a {what} of this attribute",
                key,
                index,
            )
        elif renamed_from in renamed:
            yield attribute.diagnostic(f"'{renamed_from}' is renamed twice", key, index)
        renamed.add(renamed_from)


def _check_dynamic_default(
    attribute: Declared, attribute_type: str, template: Any
) -> Iterator[Diagnostic]:
    if attribute_type == "actor-reference":
        if template != "current-user":
            yield attribute.diagnostic(
                "a dynamic default for an actor-reference attribute must be 'current-user'",
                "default_value",
                "template",
            )
    elif attribute_type in ("date", "timestamp"):
        if not isinstance(template, str) or not re.match(DURATION_PATTERN, template):
            yield attribute.diagnostic(
                f"a dynamic default for a {attribute_type} attribute is an ISO 8601 duration "
                "such as P1M",
                "default_value",
                "template",
            )
    else:
        yield attribute.diagnostic(
            "dynamic defaults exist only for actor-reference, date and timestamp attributes",
            "default_value",
        )


def _check_webhook(webhook: Declared, known: set[Address] | None) -> Iterator[Diagnostic]:
    subscriptions = webhook.data.get("subscriptions")
    if not isinstance(subscriptions, list):
        return
    seen: dict[str, int] = {}
    for index, subscription in enumerate(subscriptions):
        if not isinstance(subscription, dict):
            continue
        # Key order does not make two filters different.
        identity = json.dumps(
            [subscription.get("event_type"), subscription.get("filter")], sort_keys=True
        )
        if identity in seen:
            yield webhook.diagnostic(
                f"subscription repeats subscription {seen[identity] + 1} (same event and filter)",
                "subscriptions",
                index,
            )
        seen.setdefault(identity, index)
        for sub_path, target in _refs(subscription.get("filter"), ()):
            problem = _ref_problem(target, known)
            if problem:
                yield webhook.diagnostic(problem, "subscriptions", index, "filter", *sub_path)


def _refs(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every `{ref: …}` inside a filter, with its path."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            yield (*path, "ref"), value["ref"]
            return
        for key, item in value.items():
            yield from _refs(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refs(item, (*path, index))


def _ref_problem(target: Any, known: set[Address] | None) -> str | None:
    if not isinstance(target, str):
        return None  # the schema check reports it
    try:
        address = Address.parse(target)
    except AddressError as exc:
        return f"invalid ref: {exc}"
    if address.kind == "webhook":
        return "a ref names an object, list, attribute, option or status, not a webhook"
    if known is not None and address not in known:
        return f"ref '{target}' does not name anything declared in the manifests"
    return None


def _strings(values: Any) -> Iterable[tuple[int, str]]:
    if isinstance(values, list):
        return [(i, v) for i, v in enumerate(values) if isinstance(v, str)]
    return []
