"""Read the live workspace into the model with as few requests as the plan allows.

Only what can change the plan is read: attributes of declared objects and lists (and of the
items they are renamed from), options and statuses of declared select and status attributes,
and every webhook. Everything is read with `show_archived=true`, since archived is a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemactl import model as m
from schemactl.address import Address
from schemactl.attio import codec
from schemactl.attio.client import AttioClient, segment
from schemactl.attio.errors import AttioError

WEBHOOK_PAGE = 100  # Attio's maximum
ATTRIBUTE_PAGE = 500


@dataclass(frozen=True)
class ReadScope:
    """Which parents' attributes, and which attributes' options/statuses, are worth reading."""

    objects: frozenset[str] = frozenset()
    lists: frozenset[str] = frozenset()
    # (objects|lists, parent slug, attribute slug) whose options or statuses are compared.
    choices: frozenset[tuple[str, str, str]] = frozenset()
    webhooks: bool = True
    # Everything: every object and list, and the options/statuses of every attribute (export).
    everything: bool = False

    @classmethod
    def for_desired(cls, desired: m.Workspace) -> ReadScope:
        objects = {o.api_slug for o in desired.objects} | {
            o.renamed_from for o in desired.objects if o.renamed_from
        }
        lists = {lst.api_slug for lst in desired.lists} | {
            lst.renamed_from for lst in desired.lists if lst.renamed_from
        }
        choices: set[tuple[str, str, str]] = set()
        for target, parents in (("objects", desired.objects), ("lists", desired.lists)):
            for parent in parents:
                slugs = {parent.api_slug} | (
                    {parent.renamed_from} if parent.renamed_from else set()
                )
                for attribute in parent.attributes:
                    if attribute.type not in ("select", "status"):
                        continue
                    names = {attribute.api_slug} | (
                        {attribute.renamed_from} if attribute.renamed_from else set()
                    )
                    choices |= {(target, p, a) for p in slugs for a in names}
        # Webhook filters may name items the manifests do not declare (a standard object's
        # system attribute): their parents must be read too, so the refs get live ids.
        for address in _filter_refs(desired):
            root = address.parts[0]
            (objects if root[0] == "objects" else lists).add(root[1])
            if address.kind in ("option", "status") and len(address.parts) == 3:
                choices.add((root[0], root[1], address.parts[1][1]))
        return cls(frozenset(objects), frozenset(lists), frozenset(choices))


def _filter_refs(desired: m.Workspace) -> list[Address]:
    """The addresses `{ref: …}` values in webhook filters name, below an object or a list."""
    found: list[Address] = []

    def walk(value: Any) -> None:
        if isinstance(value, m.Ref):
            if value.address.parts[0][0] in ("objects", "lists") and len(value.address.parts) > 1:
                found.append(value.address)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for hook in desired.webhooks:
        for subscription in hook.subscriptions:
            walk(subscription.filter)
    return found


@dataclass
class LiveWorkspace:
    """The live model plus what it was read from: workspace identity and ids by address."""

    workspace: m.Workspace
    ids: dict[Address, str] = field(default_factory=dict)


def read_identity(client: AttioClient) -> dict[str, Any]:
    """`GET /v2/self`: which workspace this token reaches."""
    return client.get("self")


def read_workspace(
    client: AttioClient, scope: ReadScope, identity: dict[str, Any] | None = None
) -> LiveWorkspace:
    """Everything in `scope`, as a model with ids, plus an address -> live id map."""
    try:
        return _read_workspace(client, scope, identity)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        # Attio's answers were JSON with `data`, but not shaped as its documents say.
        raise AttioError(
            f"{client.base_url} answered with data not shaped as Attio's "
            f"({type(exc).__name__}: {str(exc)[:80]}); is it Attio's API, or an emulator "
            "of it?"
        ) from exc


def _read_workspace(
    client: AttioClient, scope: ReadScope, identity: dict[str, Any] | None
) -> LiveWorkspace:
    identity = identity if identity is not None else read_identity(client)
    objects_raw: list[dict[str, Any]] = client.get("objects")
    lists_raw: list[dict[str, Any]] = client.get("lists")
    object_slugs = {o["id"]["object_id"]: o["api_slug"] for o in objects_raw}

    parents = [
        ("objects", o) for o in objects_raw if scope.everything or o["api_slug"] in scope.objects
    ]
    parents += [
        ("lists", lst) for lst in lists_raw if scope.everything or lst["api_slug"] in scope.lists
    ]

    def attributes_of(entry: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        target, parent = entry
        parent_id = parent["id"]["object_id" if target == "objects" else "list_id"]
        return client.get_all(
            f"{target}/{parent_id}/attributes",
            {"show_archived": "true"},
            page_size=ATTRIBUTE_PAGE,
        )

    attributes_raw = dict(
        zip(
            [(t, p["api_slug"]) for t, p in parents],
            client.map_reads(attributes_of, parents),
            strict=True,
        )
    )
    wanted_choices = [
        (target, parent_slug, attribute)
        for (target, parent_slug), attributes in attributes_raw.items()
        for attribute in attributes
        if attribute["type"] in ("select", "status")
        and (
            (target, parent_slug, attribute["api_slug"]) in scope.choices
            # export leaves system attributes out, so their choices are not worth a request
            or (scope.everything and not attribute.get("is_system_attribute"))
        )
    ]

    def choices_of(entry: tuple[str, str, dict[str, Any]]) -> list[dict[str, Any]]:
        target, _, attribute = entry
        ids = attribute["id"]
        kind = "options" if attribute["type"] == "select" else "statuses"
        return client.get(
            f"{target}/{ids['object_id']}/attributes/{segment(ids['attribute_id'])}/{kind}",
            {"show_archived": "true"},
        )

    choices_raw = {
        entry[2]["id"]["attribute_id"]: found
        for entry, found in zip(
            wanted_choices, client.map_reads(choices_of, wanted_choices), strict=True
        )
    }
    webhooks_raw = client.get_all("webhooks", page_size=WEBHOOK_PAGE) if scope.webhooks else []
    return _assemble(
        identity, objects_raw, lists_raw, attributes_raw, choices_raw, webhooks_raw, object_slugs
    )


def _assemble(
    identity: dict[str, Any],
    objects_raw: list[dict[str, Any]],
    lists_raw: list[dict[str, Any]],
    attributes_raw: dict[tuple[str, str], list[dict[str, Any]]],
    choices_raw: dict[str, list[dict[str, Any]]],
    webhooks_raw: list[dict[str, Any]],
    object_slugs: dict[str, str],
) -> LiveWorkspace:
    ids: dict[Address, str] = {}

    def attributes(target: str, parent_slug: str, parent_address: Address) -> tuple:
        decoded = []
        for raw in attributes_raw.get((target, parent_slug), []):
            found = choices_raw.get(raw["id"]["attribute_id"], [])
            is_select = raw["type"] == "select"
            attribute = codec.decode_attribute(
                raw,
                object_slugs,
                options=tuple(codec.decode_option(c) for c in found) if is_select else (),
                statuses=tuple(codec.decode_status(c) for c in found) if not is_select else (),
            )
            address = parent_address.attribute(attribute.api_slug)
            ids[address] = raw["id"]["attribute_id"]
            for option in attribute.options:
                ids[address.option(option.title)] = option.id or ""
            for status in attribute.statuses:
                ids[address.status(status.title)] = status.id or ""
            decoded.append(attribute)
        return tuple(decoded)

    objects = []
    for raw in objects_raw:
        address = Address.object(raw["api_slug"])
        ids[address] = raw["id"]["object_id"]
        objects.append(codec.decode_object(raw, attributes("objects", raw["api_slug"], address)))
    lists = []
    for raw in lists_raw:
        address = Address.list(raw["api_slug"])
        ids[address] = raw["id"]["list_id"]
        lists.append(codec.decode_list(raw, attributes("lists", raw["api_slug"], address)))
    known_ids = {live_id: address for address, live_id in ids.items() if live_id}
    webhooks = tuple(codec.decode_webhook(w, known_ids) for w in webhooks_raw)
    for hook in webhooks:
        ids[Address.webhook(hook.target_url)] = hook.id or ""
    workspace = m.Workspace(
        objects=tuple(objects),
        lists=tuple(lists),
        webhooks=webhooks,
        id=identity.get("workspace_id"),
        slug=identity.get("workspace_slug"),
    )
    return LiveWorkspace(workspace, ids)
