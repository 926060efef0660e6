"""Order changes so each runs after what it needs: parents, referenced objects, ref targets.

Creates and renames of an object come before its attributes; record-reference targets before
the attributes that point at them; attributes before their options and statuses; parent
objects before lists; referenced items before webhooks; new options and statuses of one
attribute one after another, in the manifests' order. Archives run children first. Anything
under a renamed item waits for the rename, however deep. Ties keep the order compare produced,
which follows the manifests.
"""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from schemactl.address import Address, AddressError
from schemactl.errors import SchemactlError
from schemactl.plan.changes import Change

# Changes that make an address exist (or exist under a new name) for the changes after them.
_ESTABLISHING = ("create", "rename", "unarchive")


class PlanCycleError(SchemactlError):
    """Changes that depend on each other in a circle; names every address in it."""


def dependencies(change: Change, planned: dict[Address, Change]) -> list[Address]:
    """Addresses of planned changes that `change` must wait for."""
    ancestor = _establishing_ancestor(change.address, planned)
    if change.action in ("archive", "delete"):
        # Children are archived before parents; a removal under a renamed item also waits for
        # the rename, since its address only exists after it.
        children = [
            address
            for address, other in planned.items()
            if other.action == "archive" and address.parent == change.address
        ]
        return children + ([ancestor] if ancestor else [])
    needed: list[Address] = []
    if ancestor is not None:
        needed.append(ancestor)
    after = change.after or {}
    for slug in after.get("allowed_objects") or ():
        needed.append(Address.object(slug))
    relationship = after.get("relationship")
    if isinstance(relationship, dict) and relationship.get("object"):
        needed.append(Address.object(relationship["object"]))
    if change.address.kind == "list" and after.get("parent_object"):
        needed.append(Address.object(after["parent_object"]))
    needed.extend(_refs(after))
    return [
        address
        for address in dict.fromkeys(needed)
        if address != change.address
        and address in planned
        and planned[address].action in _ESTABLISHING
    ]


def _establishing_ancestor(address: Address, planned: dict[Address, Change]) -> Address | None:
    """The nearest ancestor a planned change creates, renames or restores, if any.

    Not just the parent: an option added to an unchanged attribute of a renamed object must
    still wait for the object's rename, or a concurrent apply would address a slug not yet there.
    """
    ancestor = address.parent
    while ancestor is not None:
        if ancestor in planned and planned[ancestor].action in _ESTABLISHING:
            return ancestor
        ancestor = ancestor.parent
    return None


def _refs(value: Any) -> Iterable[Address]:
    if isinstance(value, dict):
        if "ref" in value and isinstance(value["ref"], str):
            try:
                yield Address.parse(value["ref"])
            except AddressError:
                return
            return
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def order(changes: Sequence[Change]) -> list[Change]:
    """The changes in a valid execution order, each with its `depends_on` filled in."""
    planned = {c.address: c for c in changes}
    position = {c.address: i for i, c in enumerate(changes)}
    graph = {c.address: dependencies(c, planned) for c in changes}
    _chain_siblings(changes, graph)
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(str(a) for a in exc.args[1])
        raise PlanCycleError(f"these changes depend on each other in a cycle: {cycle}") from None
    # Always take the earliest ready change (in compare's, i.e. the manifests', order), so
    # an object's attributes follow it rather than every other object.
    ordered: list[Change] = []
    ready: list[tuple[int, Address]] = []
    while sorter.is_active():
        for address in sorter.get_ready():
            heapq.heappush(ready, (position[address], address))
        _, address = heapq.heappop(ready)
        ordered.append(replace(planned[address], depends_on=tuple(graph[address])))
        sorter.done(address)
    return ordered


def _chain_siblings(changes: Sequence[Change], graph: dict[Address, list[Address]]) -> None:
    """New options and statuses of one attribute are created one after another, as declared:
    Attio keeps creation order (a pipeline's stages), and has no way to reorder them later."""
    previous: dict[Address | None, Address] = {}
    for change in changes:
        if change.action != "create" or change.address.kind not in ("option", "status"):
            continue
        attribute = change.address.parent
        if attribute in previous:
            graph[change.address].append(previous[attribute])
        previous[attribute] = change.address


def with_dependencies(
    selected: Iterable[Change], everything: Sequence[Change]
) -> tuple[list[Change], list[Address]]:
    """`selected` plus every change it needs, transitively; also which were pulled in."""
    planned = {c.address: c for c in everything}
    chosen = {c.address for c in selected}
    pulled: list[Address] = []
    queue = list(chosen)
    while queue:
        address = queue.pop()
        for needed in dependencies(planned[address], planned):
            if needed not in chosen:
                chosen.add(needed)
                pulled.append(needed)
                queue.append(needed)
    return [c for c in everything if c.address in chosen], pulled
