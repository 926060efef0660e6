"""Compare desired and live models into changes. Pure: no I/O, plain data in and out.

Identity is the address: objects, lists and attributes by api_slug, options and statuses by
title within their attribute, webhooks by target URL. `renamed_from` turns a create into a
rename in place when only the old item exists. What the API cannot change in place becomes a
`manual` change with steps; nothing is ever archived and recreated behind the user's back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from schemactl import model as m
from schemactl.address import Address
from schemactl.attio.standard import STANDARD_OBJECTS
from schemactl.plan.changes import Change, Unmanaged
from schemactl.plan.fields import fields_of

ABSENT = "absent"
# Fields that Attio cannot change in place, per kind.
_IMMUTABLE_ATTRIBUTE_FIELDS = ("type", "is_multiselect", "relationship")


@dataclass(frozen=True)
class Problem:
    """Something in the manifests this workspace makes impossible (e.g. a system attribute)."""

    address: Address
    message: str


@dataclass
class Comparison:
    """What compare found: changes in declaration order, unmanaged items, notes, problems."""

    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PrunePolicy:
    """What may be removed: archive undeclared attributes/options/statuses; delete webhooks."""

    archive: bool = False
    delete_webhooks: bool = False


def fingerprint(item: m.SchemaItem | None) -> str:
    """A digest of an item's live state, archived flag included; `absent` when it is not there."""
    if item is None:
        return ABSENT
    state = {**fields_of(item), "is_archived": getattr(item, "is_archived", False)}
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    return f"sha256:{digest}"


def compare(
    desired: m.Workspace, live: m.Workspace, prune: PrunePolicy | None = None
) -> Comparison:
    """Every difference between `desired` and `live`, as unordered changes and unmanaged items."""
    return _Comparer(desired, live, prune or PrunePolicy()).run()


class _Comparer:
    def __init__(self, desired: m.Workspace, live: m.Workspace, prune: PrunePolicy):
        self.desired = desired
        self.live = live
        self.prune = prune
        self.result = Comparison()
        # Live objects and lists a rename takes over: not unmanaged.
        self.renamed_parents: set[Address] = set()
        # Reverse attributes that declared relationships create: Attio's, not unmanaged.
        self.implied: set[Address] = {
            Address.object(a.relationship.object).attribute(a.relationship.api_slug)
            for o in desired.objects
            for a in o.attributes
            if a.relationship is not None
        }

    def run(self) -> Comparison:
        for obj in self.desired.objects:
            self.compare_object(obj)
        for lst in self.desired.lists:
            self.compare_list(lst)
        self.compare_webhooks()
        self.list_unmanaged_parents()
        return self.result

    # --- recording -------------------------------------------------------------------------

    def add(
        self,
        address: Address,
        action: str,
        before: m.SchemaItem | None,
        after: m.SchemaItem | None,
        reason: str,
        *,
        renamed_from: Address | None = None,
        steps: tuple[str, ...] = (),
    ) -> None:
        change = Change(
            address=address,
            action=action,  # type: ignore[arg-type]
            before=None if before is None else fields_of(before),
            after=None if after is None else fields_of(after),
            reason=reason,
            destructive=action in ("archive", "delete"),
            renamed_from=renamed_from,
            steps=steps,
        )
        self.result.changes.append(change)
        self.result.fingerprints[str(address)] = fingerprint(before if not renamed_from else None)
        if renamed_from is not None:
            self.result.fingerprints[str(renamed_from)] = fingerprint(before)

    def problem(self, address: Address, message: str) -> None:
        self.result.problems.append(Problem(address, message))

    def leave(self, address: Address, note: str) -> None:
        self.result.unmanaged.append(Unmanaged(address, note))

    # --- objects and lists -----------------------------------------------------------------

    def compare_object(self, obj: m.Object) -> None:
        address = Address.object(obj.api_slug)
        live = self.live.object(obj.api_slug)
        if obj.is_standard:
            if live is None:
                self.problem(
                    address,
                    f"{address} is a standard object that is not enabled in this workspace; "
                    "enable it in Attio's settings first",
                )
                return
            self.compare_attributes(address, obj.attributes, live)
            return
        if live is not None and (live.is_standard or live.singular_noun is None):
            self.problem(address, f"{address} is a standard object in this workspace")
            return
        live = self.match_parent(address, obj, live, self.live.object, Address.object)
        self.compare_attributes(address, obj.attributes, live)

    def compare_list(self, lst: m.List) -> None:
        address = Address.list(lst.api_slug)
        live = self.live.list(lst.api_slug)
        old = self.live.list(lst.renamed_from) if lst.renamed_from and live is None else None
        current = live or old
        if current is not None and current.parent_object != lst.parent_object:
            # Over a renamed list, the live state is at the old address (fingerprinted there; the
            # new address is absent) and the old list is this declaration's, not unmanaged.
            renamed_from = Address.list(current.api_slug) if current is old else None
            if renamed_from is not None:
                self.renamed_parents.add(renamed_from)
            self.add(
                address,
                "manual",
                current,
                lst,
                f"a list's parent object cannot be changed through the API "
                f"({current.parent_object} -> {lst.parent_object})",
                steps=(
                    f"Create a new list with parent_object {lst.parent_object} "
                    "under a new api_slug.",
                    "Move the entries you need into it.",
                    f"Stop declaring {Address.list(current.api_slug)}; lists cannot be deleted "
                    "through the API, so remove it in Attio's UI if you no longer need it.",
                ),
                renamed_from=renamed_from,
            )
            return
        current = self.match_parent(address, lst, live, self.live.list, Address.list)
        self.compare_attributes(address, lst.attributes, current)

    def match_parent(self, address, declared, live, find, make_address):  # type: ignore[no-untyped-def]
        """Create, rename or update an object or list; return the live item its children meet."""
        if live is not None:
            if fields_of(declared) != fields_of(live):
                self.add(address, "update", live, declared, "fields differ")
            return live
        old_slug = declared.renamed_from
        old = find(old_slug) if old_slug else None
        if old is not None:
            self.renamed_parents.add(make_address(old_slug))
            self.add(
                address,
                "rename",
                old,
                declared,
                f"renamed_from {old_slug}",
                renamed_from=make_address(old_slug),
            )
            return old
        reason = "not in the workspace"
        if old_slug:
            reason += f"; renamed_from {old_slug} was not found either, so it is created"
        self.add(address, "create", None, declared, reason)
        return None

    def list_unmanaged_parents(self) -> None:
        declared = {Address.object(o.api_slug) for o in self.desired.objects}
        declared |= {Address.list(lst.api_slug) for lst in self.desired.lists}
        declared |= self.renamed_parents
        for obj in self.live.objects:
            address = Address.object(obj.api_slug)
            if not obj.is_standard and address not in declared:
                self.leave(
                    address,
                    "custom object not in the manifests; objects cannot be archived "
                    "through the API",
                )
        for lst in self.live.lists:
            address = Address.list(lst.api_slug)
            if address not in declared:
                self.leave(
                    address, "list not in the manifests; lists cannot be deleted through the API"
                )

    # --- attributes ------------------------------------------------------------------------

    def compare_attributes(
        self,
        parent_address: Address,
        declared: Iterable[m.Attribute],
        live_parent: m.Object | m.List | None,
    ) -> None:
        consumed: set[str] = set()
        for attribute in declared:
            address = parent_address.attribute(attribute.api_slug)
            live = live_parent.attribute(attribute.api_slug) if live_parent else None
            if live is None and attribute.renamed_from and live_parent is not None:
                old = live_parent.attribute(attribute.renamed_from)
                if old is not None and old.is_system:
                    # Renaming a system attribute is changing it; planning a create instead
                    # would say the old one "was not found", which is not true.
                    self.problem(
                        address,
                        f"{address} is renamed_from {parent_address.attribute(old.api_slug)}, "
                        "a system attribute in this workspace, which cannot be renamed; "
                        "remove renamed_from to declare a new attribute",
                    )
                    continue
                if old is not None:
                    consumed.add(old.api_slug)
                    self.rename_attribute(parent_address, address, attribute, old)
                    continue
            if live is not None:
                consumed.add(live.api_slug)
            self.compare_attribute(address, attribute, live)
        if live_parent is None:
            return
        for live in live_parent.attributes:
            address = parent_address.attribute(live.api_slug)
            if (
                live.api_slug in consumed
                or live.is_system
                or live.is_archived
                or address in self.implied
            ):
                continue
            if self.prune.archive:
                self.add(address, "archive", live, None, "not in the manifests (pruning)")
            else:
                self.leave(address, "attribute not in the manifests")

    def rename_attribute(
        self, parent: Address, address: Address, attribute: m.Attribute, old: m.Attribute
    ) -> None:
        old_address = parent.attribute(old.api_slug)
        if self.immutable_differences(attribute, old):
            # The live state is at the old address: fingerprint it there, not at the new one.
            self.manual_attribute(address, attribute, old, renamed_from=old_address)
            return
        action_reason = f"renamed_from {old.api_slug}"
        if old.is_archived:
            action_reason += " (it is archived; the rename restores it)"
        self.add(address, "rename", old, attribute, action_reason, renamed_from=old_address)
        self.compare_choices(address, attribute, old)

    def compare_attribute(
        self, address: Address, attribute: m.Attribute, live: m.Attribute | None
    ) -> None:
        if live is None:
            if attribute.is_system:
                self.problem(address, f"{address} is not a system attribute in this workspace")
                return
            reason = "not in the workspace"
            if attribute.renamed_from:
                reason += f"; renamed_from {attribute.renamed_from} was not found, so it is created"
            self.add(address, "create", None, attribute, reason)
            self.compare_choices(address, attribute, None)
            return
        if live.is_system and not attribute.is_system:
            self.problem(
                address,
                f"{address} is a system attribute in this workspace: only its options or "
                "statuses can be managed; choose another api_slug for a custom attribute",
            )
            return
        if attribute.is_system:
            self.compare_choices(address, attribute, live)
            return
        if self.immutable_differences(attribute, live):
            self.manual_attribute(address, attribute, live)
            return
        if live.is_archived:
            self.add(address, "unarchive", live, attribute, "archived in the workspace")
        elif fields_of(attribute) != fields_of(live):
            self.add(address, "update", live, attribute, "fields differ")
        self.compare_choices(address, attribute, live)

    @staticmethod
    def immutable_differences(declared: m.Attribute, live: m.Attribute) -> list[str]:
        wanted, current = fields_of(declared), fields_of(live)
        return [f for f in _IMMUTABLE_ATTRIBUTE_FIELDS if wanted[f] != current[f]]

    def manual_attribute(
        self,
        address: Address,
        declared: m.Attribute,
        live: m.Attribute,
        renamed_from: Address | None = None,
    ) -> None:
        what = ", ".join(self.immutable_differences(declared, live))
        self.add(
            address,
            "manual",
            live,
            declared,
            f"{what} cannot be changed in place",
            steps=(
                f"Declare a new attribute (a new api_slug) with the {what} you want.",
                "Apply, then migrate the data from the old attribute to the new one.",
                f"Remove {address} from the manifests and prune it (apply --prune) to archive it.",
                "Optionally rename the new attribute to the old slug with renamed_from.",
            ),
            renamed_from=renamed_from,
        )

    # --- options and statuses --------------------------------------------------------------

    def compare_choices(
        self, address: Address, attribute: m.Attribute, live: m.Attribute | None
    ) -> None:
        if attribute.type == "select" or attribute.options:
            self.compare_titled(
                address.option, attribute.options, live.options if live else (), "option"
            )
        if attribute.type == "status" or attribute.statuses:
            self.compare_titled(
                address.status, attribute.statuses, live.statuses if live else (), "status"
            )

    def compare_titled(self, make_address, declared, live_items, noun: str) -> None:  # type: ignore[no-untyped-def]
        live_by_title = {item.title: item for item in live_items}
        consumed: set[str] = set()
        for item in declared:
            address = make_address(item.title)
            live = live_by_title.get(item.title)
            if live is None and item.renamed_from in live_by_title:
                old = live_by_title[item.renamed_from]
                consumed.add(old.title)
                reason = f"renamed_from {item.renamed_from}"
                if old.is_archived:
                    # Said as for attributes: apply restores what it renames.
                    reason += " (it is archived; the rename restores it)"
                self.add(address, "rename", old, item, reason, renamed_from=make_address(old.title))
                continue
            if live is None:
                reason = "not in the workspace"
                if item.renamed_from:
                    reason += f"; renamed_from {item.renamed_from} was not found, so it is created"
                self.add(address, "create", None, item, reason)
                continue
            consumed.add(live.title)
            if live.is_archived:
                self.add(address, "unarchive", live, item, "archived in the workspace")
            elif fields_of(item) != fields_of(live):
                self.add(address, "update", live, item, "fields differ")
        for live in live_items:
            if live.title in consumed or live.is_archived:
                continue
            address = make_address(live.title)
            if self.prune.archive:
                self.add(address, "archive", live, None, "not in the manifests (pruning)")
            else:
                self.leave(address, f"{noun} not in the manifests")

    # --- webhooks --------------------------------------------------------------------------

    def compare_webhooks(self) -> None:
        live_by_url: dict[str, m.Webhook] = {}
        duplicates: list[m.Webhook] = []
        targets = ref_targets(self.desired)

        def by_id(address: Address) -> bool:
            # What no manifest can declare is compared by id; everything else by its ref.
            return address not in targets and (
                address in self.implied or _undeclarable(address, self.live)
            )

        for hook in (refs_to_ids(h, self.live, by_id)[0] for h in self.live.webhooks):
            if hook.target_url in live_by_url:
                duplicates.append(hook)
            else:
                live_by_url[hook.target_url] = hook
        declared_urls = set()
        for hook in self.desired.webhooks:
            declared_urls.add(hook.target_url)
            address = Address.webhook(hook.target_url)
            live = live_by_url.get(hook.target_url)
            if live is None:
                self.add(address, "create", None, hook, "not in the workspace")
            elif fields_of(hook) != fields_of(live):
                self.add(address, "update", live, hook, "subscriptions differ")
        leftovers = [h for h in live_by_url.values() if h.target_url not in declared_urls]
        for hook in leftovers + duplicates:
            address = Address.webhook(hook.target_url)
            if self.prune.archive and self.prune.delete_webhooks and hook not in duplicates:
                self.add(address, "delete", hook, None, "not in the manifests (pruning)")
            else:
                note = "webhook not in the manifests"
                if hook in duplicates:
                    note = "another webhook with the same target URL; only one is managed"
                self.leave(address, note)


def ref_targets(workspace: m.Workspace) -> set[Address]:
    """What a `{ref: …}` may name: the workspace's items, standard objects and their system
    attributes (the rule manifests are validated by)."""
    targets = {address for address, _ in workspace.items()}
    for slug, attributes in STANDARD_OBJECTS.items():
        targets.add(Address.object(slug))
        targets.update(Address.object(slug).attribute(a) for a in attributes)
    return targets


def refs_to_ids(
    hook: m.Webhook, live: m.Workspace, by_id: Callable[[Address], bool]
) -> tuple[m.Webhook, list[Address]]:
    """`hook` with each Ref in its filters for which `by_id` holds turned back into the live
    id it was read from; and the addresses so turned.

    A manifest names an item it cannot declare (an archived option, a custom object's system
    attribute, the reverse side of a relationship) by its id, as `export` writes it.
    """
    turned: list[Address] = []

    def restore(value: Any) -> Any:
        if isinstance(value, m.Ref):
            item = live.find(value.address)
            if item is None or not item.id or not by_id(value.address):
                return value
            turned.append(value.address)
            return item.id
        if isinstance(value, dict):
            return {k: restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [restore(v) for v in value]
        return value

    if not any(s.filter for s in hook.subscriptions):
        return hook, turned
    subscriptions = tuple(replace(s, filter=restore(s.filter)) for s in hook.subscriptions)
    return replace(hook, subscriptions=subscriptions), turned


def _undeclarable(address: Address, live: m.Workspace) -> bool:
    """Whether the item, or one above it, is archived or a system attribute."""
    for depth in range(1, len(address.parts) + 1):
        item = live.find(Address(address.parts[:depth]))
        if getattr(item, "is_archived", False) or getattr(item, "is_system", False):
            return True
    return False


def annotate_refs(value: Any, resolve: dict[str, str | None]) -> Any:
    """Give every `{ref: …}` its live id, or `(known after apply)` for items the plan creates."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return {"ref": value["ref"], "id": resolve.get(value["ref"])}
        return {k: annotate_refs(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [annotate_refs(v, resolve) for v in value]
    return value
